"""The Redis cache backend keeps one client per connection pool, on a real Redis server."""
import threading
import uuid

from django.conf import settings

from helpdesk.redis_cache import RedisCache

# The suite's Redis when it has one (a database per test process), otherwise the machine's.
URL = settings.REDIS_URL or "redis://127.0.0.1:6379/15"


def make_cache() -> RedisCache:
    return RedisCache(URL, {"KEY_PREFIX": f"t-{uuid.uuid4().hex}", "TIMEOUT": 60})


def test_one_client_per_pool_serves_every_operation():
    cache = make_cache()
    client = cache._cache.get_client("a")
    assert cache._cache.get_client("b", write=True) is client
    cache.set("a", {"x": 1})
    assert cache.get("a") == {"x": 1}
    assert cache.add("a", 2) is False and cache.add("b", 2) is True
    assert cache.incr("b") == 3
    assert cache.get_many(["a", "b", "missing"]) == {"a": {"x": 1}, "b": 3}
    cache.delete_many(["a", "b"])
    assert cache.get("a", "gone") == "gone"
    assert cache._cache.get_client("c") is client


def test_threads_share_the_client_without_mixing_answers():
    cache = make_cache()
    errors = []

    def work(n: int) -> None:
        for i in range(50):
            key = f"k{n}-{i}"
            cache.set(key, (n, i))
            if cache.get(key) != (n, i):
                errors.append((n, i, cache.get(key)))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert cache.get("k7-49") == (7, 49)
    cache.delete_many([f"k{n}-{i}" for n in range(8) for i in range(50)])
