"""What the load scripts share: the server processes (started in process groups of their own and
always stopped), a login over HTTP and the environment of the processes. Loopback (127.0.0.1) only.
"""
from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
for path in (str(ROOT), str(BENCH)):
    if path not in sys.path:
        sys.path.insert(0, path)
# The bin folder of the interpreter running the bench (the checkout's .venv, or another one's).
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
PASSWORD = "demo-haslo-2026"


def server_env(database_url: str, *, broker_url: str, media_root: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": database_url, "CELERY_BROKER_URL": broker_url, "EMAIL_URL": "memorymail://",
        "MEDIA_ROOT": media_root, "LOG_LEVEL": "WARNING", "DEBUG": "0", "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        # The load is the point here: the per-token rate limit must not answer 429.
        "API_RATE": "1000000/min",
    })
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    return env


class Processes:
    """Child processes, each the leader of its own process group; ``stop`` ends every group."""

    def __init__(self, log_dir: str):
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.children: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "wb")
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.children.append((name, process))
        return process

    def dead(self) -> list[str]:
        return [name for name, process in self.children if process.poll() is not None]

    def stop(self) -> None:
        for _name, process in self.children:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 20
        for _name, process in self.children:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=10)

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.log_dir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def gunicorn_start(processes: Processes, env: dict[str, str], *, port: int, workers: int,
                   threads: int = 1) -> None:
    command = [str(VENV_BIN / "gunicorn"), "helpdesk.wsgi:application", "--bind", f"{HOST}:{port}",
               "--workers", str(workers), "--timeout", "60", "--graceful-timeout", "5"]
    if threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    processes.start("gunicorn", command, env)
    base = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if processes.dead():
            raise RuntimeError("gunicorn exited:\n" + processes.log_tail("gunicorn"))
        try:
            with urllib.request.urlopen(f"{base}/login/", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError("gunicorn did not answer within 60 s:\n" + processes.log_tail("gunicorn"))


def login(base: str, email: str, password: str = PASSWORD) -> str:
    """Log in through the login form like a browser; return the session cookie's value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/login/", timeout=30) as response:
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": email, "password": password,
                                   "csrfmiddlewaretoken": token}).encode()
    request = urllib.request.Request(f"{base}/login/", data=data, headers={"Referer": f"{base}/login/"})
    with opener.open(request, timeout=30) as response:
        response.read()
    session = next((c.value for c in jar if c.name == "sessionid"), None)
    if not session:
        raise RuntimeError(f"login of {email} failed")
    return session


def api_token(env: dict[str, str], tenant: str, name: str = "bench") -> str:
    result = subprocess.run([str(VENV_BIN / "python"), "manage.py", "create_api_token", "--tenant", tenant,
                             "--name", name], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                            check=True)
    return result.stdout.strip().splitlines()[-1]


def redis_flush(url: str) -> None:
    """Empty the bench's own Redis database (its number is in the URL) so no task is left behind."""
    if not url.startswith("redis://"):
        return
    import redis

    redis.Redis.from_url(url).flushdb()
