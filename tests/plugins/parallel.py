"""Separate services for each process of a parallel run (``pytest -n 2``, pytest-xdist).

Each worker process gets its own test database already (pytest-django adds ``_gw0``, ``_gw1``… to
PostgreSQL's name; SQLite's file name is random per process). What the settings read from the
environment is shared unless separated here, before Django reads its settings (this module is
loaded with ``-p``, ahead of pytest-django's setup, in the controller and in every worker):

- ``REDIS_URL`` and ``CELERY_BROKER_URL``: a Redis database per worker (the URL's database number
  plus ``REDIS_DB_STRIDE`` × the worker's number), so that one worker's ``cache.clear()`` or cached
  tenancy answers (keyed by ids that both test databases reuse) never reach the other;
- ``MEDIA_ROOT``: a folder per worker under ``var/test/``;
- ``TEST_WORKER_NUMBER``: for tests that need a port of their own (a Redis server they kill).

The embedded broker's SQLite file (when no ``CELERY_BROKER_URL`` is set) stays the one of the
settings: the tests that run Celery workers give them a broker file of their own, and what else
the test processes publish there is never consumed.

Without xdist (or in the controller) nothing changes.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

REDIS_DB_STRIDE = 4
VAR_TEST = Path(__file__).resolve().parents[2] / "var" / "test"


def _worker_number() -> int | None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    match = re.fullmatch(r"gw(\d+)", worker)
    return int(match.group(1)) if match else None


def _redis_url_for(url: str, number: int) -> str:
    """``redis://host:port/N`` → the same server, database N + stride × number (0 when none is given)."""
    match = re.fullmatch(r"(rediss?://[^/]+)(?:/(\d*))?(\?.*)?", url)
    if not match:
        return url
    base, db, query = match.group(1), int(match.group(2) or 0), match.group(3) or ""
    separate_db = db + REDIS_DB_STRIDE * number
    if separate_db > 15:
        raise RuntimeError(f"{url}: worker {number} would need Redis database {separate_db}; Redis has 0–15 "
                           "by default: run fewer processes (-n) or give the URLs lower database numbers")
    return f"{base}/{separate_db}{query}"


def separate(number: int, environ: dict[str, str] = os.environ) -> None:
    environ["TEST_WORKER_NUMBER"] = str(number)
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        if environ.get(name, "").startswith(("redis://", "rediss://")):
            environ[name] = _redis_url_for(environ[name], number)
    if not environ.get("MEDIA_ROOT"):
        environ["MEDIA_ROOT"] = str(VAR_TEST / f"media-gw{number}")


_number = _worker_number()
if _number is not None:
    separate(_number)
