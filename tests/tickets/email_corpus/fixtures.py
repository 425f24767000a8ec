"""Real mail servers for the e-mail tests: a private Dovecot (IMAP) and an aiosmtpd SMTP sink.

Dovecot comes from Debian's ``dovecot-imapd``, which ``make test`` installs (scripts/system_deps.sh);
the instance runs from a temporary configuration on a free port, with a passwd-file user and a
maildir in a temporary directory, and is stopped after the session.
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent


def corpus(name: str, **replace: str) -> bytes:
    raw = (CORPUS / name).read_bytes()
    for old, new in replace.items():
        raw = raw.replace(old.encode(), new.encode())
    return raw


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


@dataclass
class Dovecot:
    host: str
    port: int
    username: str
    password: str
    root: Path


DOVECOT_CONF = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:~/Maildir
{users}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


@pytest.fixture(scope="session")
def dovecot():
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    doveadm = shutil.which("doveadm") or "/usr/bin/doveadm"
    if not (os.path.exists(binary) and os.path.exists(doveadm)):
        # `make test` installs it first (scripts/system_deps.sh); a bare pytest does not.
        pytest.fail("Dovecot is not installed (Debian package dovecot-imapd): run `make test`, or "
                    "apt-get install -y --no-install-recommends dovecot-imapd")
    root = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
    os.chmod(root, 0o755)
    for sub in ("run", "state", "home"):
        (root / sub).mkdir()
    if os.geteuid() == 0:
        # Dovecot refuses to deliver mail as root: the mail user is nobody.
        account = pwd.getpwnam("nobody")
        users = ""
    else:
        account = pwd.getpwuid(os.geteuid())
        users = f"default_internal_user = {account.pw_name}\ndefault_login_user = {account.pw_name}\n"
    os.chown(root / "home", account.pw_uid, account.pw_gid)
    port = free_port()
    password = "Tajne-hasło-1"
    (root / "passwd").write_text(
        f"support:{{PLAIN}}{password}:{account.pw_uid}:{account.pw_gid}::{root}/home/support\n", encoding="utf-8")
    conf = root / "dovecot.conf"
    conf.write_text(DOVECOT_CONF.format(root=root, port=port, users=users), encoding="utf-8")
    subprocess.run([binary, "-c", str(conf)], check=True)
    try:
        _wait_for_port(port)
        yield Dovecot(host="127.0.0.1", port=port, username="support", password=password, root=root)
    finally:
        subprocess.run([doveadm, "-c", str(conf), "stop"], check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class SmtpSink:
    host: str
    port: int
    received: list = field(default_factory=list)

    def messages(self):
        return [message_from_bytes(envelope.original_content, policy=policy.default) for envelope in self.received]


@pytest.fixture(scope="session")
def _smtp_server():
    from aiosmtpd.controller import Controller

    sink = SmtpSink(host="127.0.0.1", port=free_port())

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            sink.received.append(envelope)
            return "250 OK"

    controller = Controller(Handler(), hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def smtp(_smtp_server, settings):
    """Outbound mail goes through Django's SMTP backend to a real SMTP server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = _smtp_server.host
    settings.EMAIL_PORT = _smtp_server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    _smtp_server.received.clear()
    return _smtp_server


@pytest.fixture
def eager_tasks():
    from helpdesk.celery import app

    old = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    try:
        yield app
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = old
