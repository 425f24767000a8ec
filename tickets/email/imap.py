"""Polling a tenant's IMAP mailboxes.

A message is marked processed on the server (moved to the processed folder, or flagged \\Seen)
only after it is stored in ``InboundEmail``: a crash between the two re-reads it on the next poll,
and the raw-bytes dedupe makes that harmless.
"""
from __future__ import annotations

import imaplib
import logging
import re
import ssl
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from core import netpolicy
from tickets.email.inbound import email_ingest
from tickets.email.intake_cache import IntakeCache
from tickets.models import InboundEmail, Mailbox

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BATCH = 200
TIMEOUT = 30


class MailboxError(Exception):
    pass


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _CheckedSocket:
    """imaplib connects to an address the outbound policy checked (``core.netpolicy``), at connect
    time; TLS (IMAPS, STARTTLS) still verifies the host name's certificate."""

    def _create_socket(self, timeout):
        sock = netpolicy.connect(self.host, self.port, min(timeout or TIMEOUT, netpolicy.CONNECT_TIMEOUT))
        sock.settimeout(timeout)
        return sock


class _IMAP4(_CheckedSocket, imaplib.IMAP4):
    pass


class _IMAP4_SSL(_CheckedSocket, imaplib.IMAP4_SSL):  # noqa: N801 (imaplib's name)
    def _create_socket(self, timeout):
        return self.ssl_context.wrap_socket(super()._create_socket(timeout), server_hostname=self.host)


def imap_connect(mailbox: Mailbox) -> imaplib.IMAP4:
    if mailbox.security == Mailbox.Security.TLS:
        conn = _IMAP4_SSL(mailbox.host, mailbox.port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT)
    else:
        conn = _IMAP4(mailbox.host, mailbox.port, timeout=TIMEOUT)
        if mailbox.security == Mailbox.Security.STARTTLS:
            conn.starttls(ssl_context=ssl.create_default_context())
    username, password = mailbox.username, mailbox.password
    if (username + password).isascii():
        conn.login(username, password)
    else:
        # imaplib's LOGIN sends ASCII only; SASL PLAIN carries UTF-8 (RFC 4616), e.g. Polish letters.
        conn.authenticate("PLAIN", lambda _challenge: f"\0{username}\0{password}".encode("utf-8"))
    return conn


def _ok(result: tuple, what: str) -> list:
    status, data = result
    if status != "OK":
        raise MailboxError(f"{what}: {status} {data!r}")
    return data


def mailbox_claim(mailbox_id: int) -> Mailbox | None:
    """Hold the mailbox for this poll; another worker already polling it wins."""
    now = timezone.now()
    claimed = (Mailbox.objects.filter(pk=mailbox_id, active=True)
               .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
               .update(lease_until=now + LEASE))
    if not claimed:
        return None
    return Mailbox.objects.select_related("tenant").get(pk=mailbox_id)


def mailbox_poll(mailbox_id: int) -> list[InboundEmail]:
    """Fetch new messages of one mailbox and ingest them. Records the outcome on the mailbox."""
    mailbox = mailbox_claim(mailbox_id)
    if mailbox is None:
        return []
    results: list[InboundEmail] = []
    error = ""
    try:
        results = _poll(mailbox)
    except (OSError, imaplib.IMAP4.error, MailboxError, ValueError) as exc:
        error = f"{exc.__class__.__name__}: {exc}"
        log.warning("mailbox %s (%s): %s", mailbox.pk, mailbox.tenant.slug, error)
    finally:
        Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error=error[:2000],
                                                     lease_until=None)
    return results


def _poll(mailbox: Mailbox) -> list[InboundEmail]:
    conn = imap_connect(mailbox)
    results = []
    cache = IntakeCache()  # one poll is one batch: plan terms and addresses read once
    try:
        _ok(conn.select(_quote(mailbox.folder)), f"select {mailbox.folder}")
        move = bool(mailbox.processed_folder)
        if move:
            conn.create(_quote(mailbox.processed_folder))  # "already exists" is fine
        criteria = "ALL" if move else "UNSEEN"
        uids = _ok(conn.uid("SEARCH", None, criteria), "search")[0].split()[:BATCH]
        for uid in uids:
            data = _ok(conn.uid("FETCH", uid, "(BODY.PEEK[])"), f"fetch {uid!r}")
            raw = next((item[1] for item in data if isinstance(item, tuple)), None)
            if raw is None:
                continue
            results.append(email_ingest(tenant=mailbox.tenant, raw=raw, mailbox=mailbox, cache=cache))
            if move:
                _ok(conn.uid("COPY", uid, _quote(mailbox.processed_folder)), f"copy {uid!r}")
                _ok(conn.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted \Seen)"), f"delete {uid!r}")
            else:
                _ok(conn.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)"), f"flag {uid!r}")
        if move and uids:
            conn.expunge()
    finally:
        try:
            conn.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
    return results


def mailboxes_due() -> list[int]:
    return list(Mailbox.objects.filter(active=True).values_list("pk", flat=True))


def mailbox_test(mailbox: Mailbox) -> str:
    """Log in and select the folder; returns '' or the error (for the admin's "test" action)."""
    try:
        conn = imap_connect(mailbox)
        try:
            data = _ok(conn.select(_quote(mailbox.folder)), f"select {mailbox.folder}")
        finally:
            conn.logout()
    except (OSError, imaplib.IMAP4.error, MailboxError, ValueError) as exc:
        return f"{exc.__class__.__name__}: {exc}"
    return "" if re.match(rb"^\d+$", data[0] or b"") else f"unexpected answer {data!r}"
