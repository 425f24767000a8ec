"""``make prod-smoke``: the production stack of the Procfile, started, used and stopped.

1. A fresh PostgreSQL database and a Redis database, a local SMTP sink (aiosmtpd) for outbound mail.
2. ``scripts/prod.sh`` with production settings (PRODUCTION=1, a real SECRET_KEY, DEBUG off, JSON
   logs, whitenoise): the release step, then gunicorn, a Celery worker, exactly one beat and the
   LMTP mail entry under honcho.
3. A ticket filed through the REST API and another delivered by LMTP; the acknowledgement of the
   e-mailed one reaches the SMTP sink; beat's SLA scan runs (its heartbeat appears in /healthz);
   /healthz answers 200; the logs are JSON lines.
4. SIGTERM to the stack: every process exits within 30 s, none is left behind.

Environment: SMOKE_DATABASE (default postgres://postgres@127.0.0.1:5432/helpdesk_smoke; the database
is dropped and created), SMOKE_REDIS (default redis://127.0.0.1:6379/7, flushed), SMOKE_PORT (8771),
SMOKE_LMTP_PORT (8772), SMOKE_SMTP_PORT (8773). Exit status 0 when every step passed.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("VENV", ROOT / ".venv"))
PYTHON = str(VENV / "bin" / "python")
DATABASE = os.environ.get("SMOKE_DATABASE", "postgres://postgres@127.0.0.1:5432/helpdesk_smoke")
REDIS = os.environ.get("SMOKE_REDIS", "redis://127.0.0.1:6379/7")
PORT = int(os.environ.get("SMOKE_PORT", "8771"))
LMTP_PORT = int(os.environ.get("SMOKE_LMTP_PORT", "8772"))
SMTP_PORT = int(os.environ.get("SMOKE_SMTP_PORT", "8773"))
BASE = f"http://127.0.0.1:{PORT}"
MAIL_DIR: Path | None = None
LOG_PATH: Path | None = None
HOST_HEADER = "wysylki.localhost"


def step(text: str) -> None:
    print(f"--- {text}", flush=True)


def wait_for(what: str, seconds: float, probe):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            result = probe()
            if result:
                return result
        except Exception as exc:  # the service is still starting
            last = exc
        time.sleep(0.5)
    raise SystemExit(f"FAILED: {what} within {seconds:.0f} s" + (f" (last error: {last!r})" if last else ""))


def http(method: str, path: str, *, token: str | None = None, body: dict | None = None,
         host: str = HOST_HEADER) -> tuple[int, dict | str]:
    headers = {"Host": host, "Accept": "application/json"}
    data = None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read().decode(), exc.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


def database_recreate() -> None:
    import psycopg

    parts = urlsplit(DATABASE)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def redis_flush() -> None:
    import redis

    redis.Redis.from_url(REDIS).flushdb()


def smtp_sink(folder: Path):
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            name = f"{time.time_ns()}.eml"
            (folder / name).write_bytes(envelope.original_content or envelope.content)
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    return controller


def manage(env: dict, *args: str) -> str:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    if result.returncode != 0:
        raise SystemExit(f"FAILED: manage.py {' '.join(args)}\n{result.stdout}\n{result.stderr}")
    return result.stdout


def send_lmtp(subject: str, sender: str) -> None:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "pomoc@wysylki.example.com"
    message["Subject"] = subject
    message["Message-ID"] = f"<smoke-{secrets.token_hex(8)}@example.com>"
    message.set_content(f"{subject}\n")
    with smtplib.LMTP("127.0.0.1", LMTP_PORT, timeout=30) as client:
        assert not client.send_message(message)


def scale_out_burst(token: str, contact: dict, sender: str, count: int = 20) -> dict:
    """``count`` API tickets and ``count`` e-mailed ones at once, from 8 threads."""
    from concurrent.futures import ThreadPoolExecutor

    def api(n: int) -> int:
        return http("POST", "/api/v1/tickets/", token=token, body={
            "subject": f"Burst API {n}", "body": "Zgłoszenie z CRM.", "contact": contact["id"],
            "organization": contact["organization"]})[0]

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(api, range(count)))
        list(pool.map(lambda n: send_lmtp(f"Burst mail {n}", sender), range(count)))
    assert statuses == [201] * count, statuses

    def mailed() -> list[dict]:
        tickets, path = [], "/api/v1/tickets/?channel=email"
        while path:
            status, page = http("GET", path, token=token)
            tickets += page["results"]
            path = page["next"].split(f":{PORT}", 1)[1] if page.get("next") else None
        return [t for t in tickets if t["subject"].startswith("Burst mail")]

    tickets = wait_for(f"{count} e-mailed burst tickets", 120, lambda: (lambda t: t if len(t) == count else None)(
        mailed()))
    references = [t["reference"].encode() for t in tickets]

    def acknowledged() -> dict | None:
        bodies = [p.read_bytes() for p in Path(MAIL_DIR).glob("*.eml")]
        counts = {ref: sum(ref in body for body in bodies) for ref in references}
        return counts if all(counts.values()) else None

    counts = wait_for("an acknowledgement for every burst ticket", 120, acknowledged)
    time.sleep(3)  # a duplicate would arrive right behind the first
    counts = acknowledged()
    doubled = {ref.decode(): n for ref, n in counts.items() if n != 1}
    assert not doubled, f"acknowledged more than once: {doubled}"

    lines = Path(LOG_PATH).read_text(errors="replace").splitlines()
    web_pids = set()
    for line in lines:
        if line.startswith(tuple(f"{h}" for h in "0123456789")) and " web.1 " in line and " | {" in line:
            record = json.loads(line.split(" | ", 1)[1])
            if record.get("path") == "/api/v1/tickets/" and record.get("method") == "POST":
                web_pids.add(record.get("pid"))
    workers = sorted({line.split()[1] for line in lines if " worker." in line and "succeeded" in line})
    assert len(web_pids) >= 2, f"one web process served the whole burst: {web_pids}"
    assert workers == ["worker.1", "worker.2"], f"workers that ran tasks: {workers}"
    return {"tickets": 2 * count, "acknowledgements": len(counts), "web_pids": sorted(web_pids), "workers": workers}


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="helpdesk-smoke-"))
    mail_dir = work / "mail"
    mail_dir.mkdir()
    log_path = work / "stack.log"
    global MAIL_DIR, LOG_PATH
    MAIL_DIR, LOG_PATH = mail_dir, log_path
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))},
        "PRODUCTION": "1", "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(64),
        "DATABASE_URL": DATABASE, "CELERY_BROKER_URL": REDIS, "REDIS_URL": REDIS,
        "EMAIL_URL": f"smtp://127.0.0.1:{SMTP_PORT}", "DEFAULT_FROM_EMAIL": "helpdesk@example.com",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,.localhost", "SECURE_SSL_REDIRECT": "false",
        "HOST": "127.0.0.1", "PORT": str(PORT), "LMTP_PORT": str(LMTP_PORT), "WEB_CONCURRENCY": "2",
        "WORKER_CONCURRENCY": "2", "PROCESS_COUNTS": "worker=2", "LOG_FORMAT": "json",
        "MEDIA_ROOT": str(work / "media"), "PYTHONUNBUFFERED": "1", "VENV": str(VENV),
        # The burst mails 20 tickets from one customer; the loop guard would hold most of them back.
        "EMAIL_ACK_LIMIT_PER_HOUR": "100",
    }
    step(f"fresh database {urlsplit(DATABASE).path.lstrip('/')}, Redis {REDIS}, SMTP sink on {SMTP_PORT}")
    database_recreate()
    redis_flush()
    sink = smtp_sink(mail_dir)
    stack = None
    try:
        step("release step and demo data")
        subprocess.run(["bash", "scripts/prod.sh", "release"], cwd=ROOT, env=env, check=True, timeout=600)
        manage(env, "seed_demo")
        token = manage(env, "create_api_token", "--tenant", "wysylki", "--name", "smoke", "--role", "admin").strip()

        step("the stack: web, worker, beat, mail (honcho)")
        with log_path.open("wb") as log:
            stack = subprocess.Popen(["bash", "scripts/prod.sh", "start"], cwd=ROOT, env=env, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        wait_for("the web process answers /healthz/live", 90,
                 lambda: http("GET", "/healthz/live")[0] == 200)

        step("a ticket through the REST API")
        status, contacts = http("GET", "/api/v1/contacts/", token=token)
        assert status == 200, contacts
        contact = contacts["results"][0]
        status, created = http("POST", "/api/v1/tickets/", token=token, body={
            "subject": "Smoke: drukarka etykiet nie drukuje", "body": "Zgłoszenie z CRM.",
            "contact": contact["id"], "organization": contact["organization"]})
        assert status == 201, created
        print(f"    {created['reference']} created through the API")

        step("a ticket delivered by LMTP, acknowledged through the SMTP sink")
        sender = contact["emails"][0]
        message = EmailMessage()
        message["From"] = sender
        message["To"] = "pomoc@wysylki.example.com"
        message["Subject"] = "Smoke: faktura ZN-4001 ma złą stawkę VAT"
        message["Message-ID"] = f"<smoke-{secrets.token_hex(8)}@example.com>"
        message.set_content("Dzień dobry,\nfaktura ZN-4001 ma stawkę 8 % zamiast 23 %.\n")
        tenant_support = wait_for("the LMTP entry accepts connections", 60,
                                  lambda: smtplib.LMTP("127.0.0.1", LMTP_PORT, timeout=10))
        refused = tenant_support.send_message(message)
        tenant_support.quit()
        assert not refused, refused
        ticket = wait_for("the e-mailed ticket appears in the API", 60, lambda: next(
            (t for t in http("GET", "/api/v1/tickets/?channel=email", token=token)[1]["results"]
             if t["subject"].startswith("Smoke: faktura")), None))
        print(f"    {ticket['reference']} created from the LMTP message")
        acknowledgement = wait_for("the acknowledgement reaches the SMTP sink", 90, lambda: next(
            (p for p in mail_dir.glob("*.eml") if ticket["reference"].encode() in p.read_bytes()), None))
        print(f"    acknowledgement {acknowledgement.name} mentions {ticket['reference']}")

        step("two web processes and two workers share a burst without doing anything twice")
        burst = scale_out_burst(token, contact, sender)
        print(f"    {burst['tickets']} tickets, {burst['acknowledgements']} acknowledgements (one each); "
              f"web pids {burst['web_pids']}, workers {burst['workers']}")

        step("beat runs the SLA scan; /healthz is green")
        health = wait_for("an SLA scan heartbeat in /healthz", 150, lambda: (
            lambda s_b: s_b[1] if s_b[1]["checks"]["sla_scan"]["since"] else None)(http("GET", "/healthz")))
        status, health = http("GET", "/healthz")
        assert status == 200, health
        print(f"    last SLA scan {health['checks']['sla_scan']['since']}")

        step("the logs are JSON lines with a request id")
        lines = [line.split(" | ", 1)[1] for line in log_path.read_text(errors="replace").splitlines()
                 if " | {" in line]
        records = [json.loads(line) for line in lines]
        assert any(r.get("request_id") for r in records), "no log line carries a request id"
        print(f"    {len(records)} JSON log lines")
    except BaseException:
        if log_path.exists():
            print("--- the stack's log (last 80 lines)", file=sys.stderr)
            print("\n".join(log_path.read_text(errors="replace").splitlines()[-80:]), file=sys.stderr)
        raise
    finally:
        if stack is not None:
            step("SIGTERM to the stack")
            os.killpg(stack.pid, signal.SIGTERM)
            try:
                stack.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(stack.pid, signal.SIGKILL)
                raise SystemExit("FAILED: the stack did not stop within 30 s of SIGTERM")
            left = subprocess.run(["ps", "-o", "pid=,cmd=", "-s", str(stack.pid)], capture_output=True, text=True)
            if left.stdout.strip():
                os.killpg(stack.pid, signal.SIGKILL)
                raise SystemExit(f"FAILED: processes left after the stack stopped:\n{left.stdout}")
            print("    every process stopped")
        sink.stop()
    print("prod-smoke passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
