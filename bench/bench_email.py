"""Inbound mail throughput: messages per second through ingest_email's code path, on SQLite.

Runs on a fresh temporary SQLite database with the demo data, so it never touches var/.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = tempfile.mkdtemp(prefix="bench-email-")
os.environ["DATABASE_URL"] = f"sqlite:///{WORK}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ["MEDIA_ROOT"] = f"{WORK}/media"
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

CORPUS = ROOT / "tests" / "tickets" / "email_corpus"
N = int(os.environ.get("BENCH_EMAIL_MESSAGES", "300"))


def main() -> None:
    call_command("migrate", verbosity=0)
    from helpdesk.management.commands.seed_demo import seed
    from core.models import Tenant
    from tickets.management.commands.ingest_email import ingest_bytes
    from tickets.models import InboundEmail

    seed()
    tenant = Tenant.objects.get(slug="wysylki")
    shapes = [(CORPUS / name).read_bytes() for name in (
        "thunderbird_utf8.eml", "outlook_cp1250.eml", "html_only_inline_image.eml", "rfc2231_rejected_attachment.eml",
        "forwarded_as_attachment.eml", "autoreply_outlook_pl.eml", "broken_mime_no_message_id.eml")]
    messages = []
    for i in range(N):
        raw = shapes[i % len(shapes)]
        # Unique Message-ID and bytes per message, so every one is filed (not deduplicated).
        messages.append(f"X-Bench: {i}\r\n".encode() + raw.replace(b"Message-ID: <", f"Message-ID: <b{i}.".encode())
                        .replace(b"Message-Id: <", f"Message-Id: <b{i}.".encode()))
    # Enqueueing notifications is the broker's cost, not intake's: on-commit hooks are not run here.
    notify_off = transaction.on_commit
    transaction.on_commit = lambda func, using=None, robust=False: None
    try:
        start = time.perf_counter()
        for raw in messages:
            ingest_bytes(tenant, raw)
        elapsed = time.perf_counter() - start
    finally:
        transaction.on_commit = notify_off
    statuses = {s: InboundEmail.objects.filter(tenant=tenant, status=s).count()
                for s in ("processed", "discarded", "quarantined")}
    print(f"ingest_email: {N} messages in {elapsed:.2f} s = {N / elapsed:.1f} messages/s "
          f"(SQLite, {len(shapes)} corpus shapes; {statuses})")


if __name__ == "__main__":
    main()
