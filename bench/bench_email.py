"""Inbound mail throughput: the LMTP server end to end and in-process intake, on the same messages.

Without ``DATABASE_URL`` it runs on a fresh temporary SQLite file with the demo data (never var/).
With ``DATABASE_URL=postgres://…/NAME`` it drops and re-creates that database first (use a name of
its own, e.g. ``hd_email_bench``).

Figures printed:
* in-process: ``email_ingest`` in a loop with one ``IntakeCache`` (what an IMAP poll does), messages/s
  and SQL queries per message;
* LMTP: the same shapes sent over one LMTP connection to ``lmtp_server`` running in this process,
  from the first MAIL FROM to the last ticket committed ("end to end"), and to the last 250
  ("accepted"); queries per message on the server's threads;
* HTML to text: words of the corpus's HTML parts lost by the hand-written converter and by
  inscriptis and html2text when those are installed (they are not dependencies).
"""
from __future__ import annotations

import argparse
import logging
import os
import smtplib
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = tempfile.mkdtemp(prefix="bench-email-")
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL.startswith("postgres"):
    DATABASE_URL = os.environ["DATABASE_URL"] = f"sqlite:///{WORK}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ["MEDIA_ROOT"] = f"{WORK}/media"
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"


def _fresh_postgres(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


if DATABASE_URL.startswith("postgres"):
    _fresh_postgres(DATABASE_URL)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.backends.signals import connection_created  # noqa: E402

CORPUS = ROOT / "tests" / "tickets" / "email_corpus"
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every connection at INFO
SHAPES = ("thunderbird_utf8.eml", "outlook_cp1250.eml", "html_only_inline_image.eml", "rfc2231_rejected_attachment.eml",
          "forwarded_as_attachment.eml", "autoreply_outlook_pl.eml", "broken_mime_no_message_id.eml",
          "outlook_html_table.eml", "webform_reply_to.eml", "nul_bytes_outlook.eml")

QUERIES = Counter()


def _count(execute, sql, params, many, context):
    QUERIES["n"] += 1
    return execute(sql, params, many, context)


def _count_on(sender, connection, **kwargs):
    if _count not in connection.execute_wrappers:
        connection.execute_wrappers.append(_count)


def messages(n: int, tag: str) -> list[bytes]:
    shapes = [(CORPUS / name).read_bytes() for name in SHAPES]
    out = []
    for i in range(n):
        raw = shapes[i % len(shapes)]
        # Unique Message-ID and bytes per message, so every one is filed (not deduplicated).
        out.append(f"X-Bench: {tag}{i}\r\n".encode() + raw.replace(b"Message-ID: <", f"Message-ID: <{tag}{i}.".encode())
                   .replace(b"Message-Id: <", f"Message-Id: <{tag}{i}.".encode()))
    return out


def statuses(tenant, ids) -> dict:
    from tickets.models import InboundEmail

    rows = InboundEmail.objects.filter(tenant=tenant, pk__in=ids).values_list("status", flat=True)
    return dict(Counter(rows))


def bench_in_process(tenant, batch: list[bytes]) -> tuple[float, float, list[int]]:
    from tickets.email.inbound import email_ingest
    from tickets.email.intake_cache import IntakeCache

    cache = IntakeCache()
    QUERIES.clear()
    start = time.perf_counter()
    ids = [email_ingest(tenant=tenant, raw=raw, cache=cache).pk for raw in batch]
    elapsed = time.perf_counter() - start
    return elapsed, QUERIES["n"] / len(batch), ids


def bench_lmtp(tenant, batch: list[bytes]) -> tuple[float, float, float, list[int]]:
    from tickets.email.lmtp import lmtp_server, lmtp_stop
    from tickets.models import InboundEmail

    port = _free_port()
    controller, handler = lmtp_server(host="127.0.0.1", port=port)
    try:
        first_id = (InboundEmail.objects.order_by("-id").values_list("id", flat=True).first() or 0)
        QUERIES.clear()
        start = time.perf_counter()
        with smtplib.LMTP("127.0.0.1", port) as client:
            client.ehlo()
            for raw in batch:
                refused = client.sendmail("bench@example.org", [tenant.support_email], raw)
                assert not refused, refused
        accepted = time.perf_counter() - start
        if not handler.wait_idle(600):
            raise SystemExit("LMTP: messages still being placed after 600 s")
        elapsed = time.perf_counter() - start
        queries = QUERIES["n"] / len(batch)
    finally:
        lmtp_stop(controller, handler)
    ids = list(InboundEmail.objects.filter(tenant=tenant, pk__gt=first_id).values_list("pk", flat=True))
    return elapsed, accepted, queries, ids


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def html_words_lost() -> str:
    """Words of the HTML parts' text nodes missing from each converter's output."""
    from email import message_from_bytes, policy

    from tickets.email.parse import html_to_text

    try:
        import lxml.html
    except ImportError:
        return "HTML to text: lxml not installed, comparison skipped"
    strip = "|*_#[]()<>`"

    def words(text: str) -> Counter:
        return Counter(w.strip(strip) for w in text.split() if w.strip(strip))

    htmls = []
    for path in sorted(CORPUS.glob("*.eml")):
        for part in message_from_bytes(path.read_bytes(), policy=policy.default).walk():
            if part.get_content_type() == "text/html":
                htmls.append(part.get_content())
    converters = {"hand-written": html_to_text}
    try:
        import inscriptis

        converters["inscriptis"] = inscriptis.get_text
    except ImportError:
        pass
    try:
        import html2text

        def h2t(html: str) -> str:
            conv = html2text.HTML2Text()
            conv.body_width = 0
            return conv.handle(html)
        converters["html2text"] = h2t
    except ImportError:
        pass
    results = []
    for name, convert in converters.items():
        lost = total = 0
        for html in htmls:
            doc = lxml.html.fromstring(html)
            for node in doc.xpath("//script|//style|//head"):
                node.drop_tree()
            reference = Counter()
            for text in doc.xpath("//text()"):
                reference.update(words(text))
            lost += sum((reference - words(convert(html))).values())
            total += sum(reference.values())
        results.append(f"{name} {lost}/{total}")
    return f"HTML to text, words lost on {len(htmls)} corpus HTML parts: " + ", ".join(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=int(os.environ.get("BENCH_EMAIL_MESSAGES", "300")))
    args = parser.parse_args()
    n = args.messages

    call_command("migrate", verbosity=0)
    from helpdesk.management.commands.seed_demo import seed
    from core.models import Tenant

    seed()
    tenant = Tenant.objects.get(slug="wysylki")
    backend = "PostgreSQL" if DATABASE_URL.startswith("postgres") else "SQLite"
    connection_created.connect(_count_on)
    from django.db import connection

    _count_on(None, connection)
    # Enqueueing notifications is the broker's cost, not intake's: on-commit hooks are not run here.
    notify_off = transaction.on_commit
    transaction.on_commit = lambda func, using=None, robust=False: None
    try:
        # Warm-up (imports, first queries), not counted.
        bench_in_process(tenant, messages(20, "w"))
        in_elapsed, in_queries, in_ids = bench_in_process(tenant, messages(n, "a"))
        lmtp_elapsed, lmtp_accepted, lmtp_queries, lmtp_ids = bench_lmtp(tenant, messages(n, "b"))
    finally:
        transaction.on_commit = notify_off
    in_rate, lmtp_rate = n / in_elapsed, n / lmtp_elapsed
    print(f"{backend}, {n} messages of {len(SHAPES)} corpus shapes per path")
    print(f"in-process: {in_elapsed:.2f} s = {in_rate:.1f} messages/s, {in_queries:.1f} queries/message "
          f"{statuses(tenant, in_ids)}")
    print(f"LMTP end to end (first MAIL FROM -> last ticket committed): {lmtp_elapsed:.2f} s = {lmtp_rate:.1f} "
          f"messages/s, {lmtp_queries:.1f} queries/message {statuses(tenant, lmtp_ids)}; "
          f"all accepted (250) after {lmtp_accepted:.2f} s")
    print(f"LMTP / in-process: {lmtp_rate / in_rate:.0%}")
    print(html_words_lost())


if __name__ == "__main__":
    main()
