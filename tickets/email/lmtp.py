"""A long-running LMTP server: the MTA hands mail over once, the Django start-up is paid once.

For every message the raw bytes are committed as an ``InboundEmail`` (status *received*), per
recipient, before that recipient's ``250`` is sent: once the MTA is told "delivered" the message is
in the database, whatever happens next. Placing it (ticket, reply, quarantine) is done afterwards by
one worker thread in the same process, with an ``IntakeCache`` shared by the whole stream. A message
whose placing fails is quarantined with the cause (``inbound_process``); a message left *received*
by a crash is picked up when the server starts again.

Recipients: with ``tenant`` every address is that tenant's (a mailbox of that address, if any, is
recorded); otherwise an address is the ``username`` of a mailbox, or a tenant's ``support_email``.
Any other recipient is refused at RCPT (550), so the MTA bounces it instead of it being lost here.

The database work runs on threads of its own (Django's ORM is synchronous; aiosmtpd's handlers run
on an asyncio loop): one stores and answers, one places. On SQLite, which has one writer at a time,
both are the same thread: a placing transaction and a store would otherwise fail each other with
"database is locked".
"""
from __future__ import annotations

import asyncio
import logging
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from django.db import close_old_connections, connection
from django.utils import timezone

from core.models import Tenant
from tickets.email.inbound import inbound_process, inbound_store
from tickets.email.intake_cache import DEFAULT_TTL, IntakeCache
from tickets.models import InboundEmail, Mailbox

log = logging.getLogger(__name__)

# A message still *received* this long after it arrived was being placed by a process that died.
RECOVER_AFTER = timedelta(minutes=2)
DATA_SIZE_LIMIT = 50 * 1024 * 1024


@dataclass(frozen=True)
class Target:
    tenant_id: int
    mailbox_id: int | None


class IntakeHandler:
    """aiosmtpd handler: RCPT checks the address, DATA stores the message for each recipient."""

    def __init__(self, *, tenant: Tenant | None = None, cache_ttl: float = DEFAULT_TTL) -> None:
        self.tenant = tenant
        self.cache = IntakeCache(ttl=cache_ttl)
        self._targets = IntakeCache(ttl=cache_ttl)
        self._store = ThreadPoolExecutor(1, thread_name_prefix="lmtp-store")
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._shared = connection.vendor == "sqlite"
        self._worker = threading.Thread(target=self._work, name="lmtp-process", daemon=True)
        self._idle = threading.Event()
        self._idle.set()
        self._pending = 0
        self._lock = threading.Lock()
        self.stored = 0
        self.processed = 0

    # --- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        self._worker.start()
        for pk in self._store.submit(self._leftovers).result():
            self._enqueue(pk)

    def stop(self, timeout: float = 60.0) -> None:
        """Finish what is queued, then end both threads."""
        self._queue.put(None)
        self._worker.join(timeout)
        self._store.submit(lambda: connection.close()).result()  # the store thread's own connection
        self._store.shutdown(wait=True)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """True when every stored message has been placed (for tests and the benchmark)."""
        return self._idle.wait(timeout)

    def _enqueue(self, pk: int) -> None:
        with self._lock:
            self._pending += 1
            self._idle.clear()
        if self._shared:
            self._store.submit(self._process_one, pk)
        else:
            self._queue.put(pk)

    # --- SMTP hooks (asyncio loop) ----------------------------------------------------------

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options):
        loop = asyncio.get_running_loop()
        try:
            target = await loop.run_in_executor(self._store, self._resolve, address)
        except Exception as exc:  # The database is away: the MTA keeps the message and retries.
            log.exception("lmtp: cannot look up %s", address)
            return f"451 4.3.0 Temporary failure looking up the recipient: {exc.__class__.__name__}"
        if target is None:
            return f"550 5.1.1 <{address}>: no helpdesk mailbox here"
        envelope.rcpt_tos.append(address)
        if not hasattr(envelope, "helpdesk_targets"):
            envelope.helpdesk_targets = []
        envelope.helpdesk_targets.append(target)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or b""
        targets = getattr(envelope, "helpdesk_targets", [])
        loop = asyncio.get_running_loop()
        replies = await loop.run_in_executor(self._store, self._store_all, raw, targets)
        # LMTP (RFC 2033): one reply per accepted recipient, in RCPT order.
        return "\r\n".join(replies)

    # --- database work (store thread) -------------------------------------------------------

    def _resolve(self, address: str) -> Target | None:
        address = address.strip().lower()
        return self._targets._get(("rcpt", address), lambda: self._lookup(address))

    def _lookup(self, address: str) -> Target | None:
        mailboxes = Mailbox.objects.filter(username__iexact=address)
        if self.tenant is not None:
            mailbox = mailboxes.filter(tenant=self.tenant).values_list("pk", flat=True).first()
            return Target(self.tenant.pk, mailbox)
        found = mailboxes.values_list("tenant_id", "pk").first()
        if found is not None:
            return Target(*found)
        tenant_id = Tenant.objects.filter(support_email__iexact=address).values_list("pk", flat=True).first()
        return Target(tenant_id, None) if tenant_id is not None else None

    def _store_all(self, raw: bytes, targets: list[Target]) -> list[str]:
        replies: list[str] = []
        stored: dict[Target, str] = {}
        for target in targets:
            if target not in stored:
                stored[target] = self._store_one(raw, target)
            replies.append(stored[target])
        return replies

    def _store_one(self, raw: bytes, target: Target) -> str:
        try:
            tenant = self._tenant(target.tenant_id)
            mailbox = Mailbox(pk=target.mailbox_id, tenant_id=target.tenant_id) if target.mailbox_id else None
            # Committed when this returns (autocommit outside any transaction): only then the 250.
            inbound, created = inbound_store(tenant=tenant, raw=raw, mailbox=mailbox)
        except Exception as exc:
            log.exception("lmtp: cannot store a message for tenant %s", target.tenant_id)
            connection.close_if_unusable_or_obsolete()
            return f"451 4.3.0 Not stored, try again later: {exc.__class__.__name__}"
        self.stored += 1
        if created or inbound.status == InboundEmail.Status.RECEIVED:
            self._enqueue(inbound.pk)
        return f"250 2.0.0 Stored as inbound e-mail #{inbound.pk}"

    def _tenant(self, pk: int) -> Tenant:
        return self._targets._get(("tenant", pk), lambda: Tenant.objects.get(pk=pk))

    def _leftovers(self) -> list[int]:
        before = timezone.now() - RECOVER_AFTER
        filters = {"status": InboundEmail.Status.RECEIVED, "received_at__lt": before}
        if self.tenant is not None:
            filters["tenant"] = self.tenant
        return list(InboundEmail.objects.filter(**filters).order_by("id").values_list("pk", flat=True))

    # --- placing (worker thread) ------------------------------------------------------------

    def _work(self) -> None:
        while True:
            pk = self._queue.get()
            if pk is None:
                break
            self._process_one(pk)
        connection.close()

    def _process_one(self, pk: int) -> None:
        try:
            self._process(pk)
        finally:
            with self._lock:
                self._pending -= 1
                if self._pending == 0:
                    self._idle.set()

    def _process(self, pk: int) -> None:
        try:
            inbound = InboundEmail.objects.select_related("tenant", "mailbox").get(pk=pk)
            if inbound.status == InboundEmail.Status.RECEIVED:
                inbound_process(inbound=inbound, cache=self.cache)
                self.processed += 1
        except Exception:  # The database is away: the row stays received and is retried at start-up.
            log.exception("lmtp: inbound e-mail %s could not be placed", pk)
            close_old_connections()


class LmtpController(Controller):
    def factory(self):
        return LMTP(self.handler, **self.SMTP_kwargs)


def lmtp_server(*, host: str, port: int, tenant: Tenant | None = None,
                cache_ttl: float = DEFAULT_TTL) -> tuple[LmtpController, IntakeHandler]:
    """Start the server on its own threads; the caller stops it with ``lmtp_stop``."""
    handler = IntakeHandler(tenant=tenant, cache_ttl=cache_ttl)
    handler.start()
    controller = LmtpController(handler, hostname=host, port=port, data_size_limit=DATA_SIZE_LIMIT,
                                enable_SMTPUTF8=True, ident="helpdesk LMTP")
    controller.start()
    return controller, handler


def lmtp_stop(controller: LmtpController, handler: IntakeHandler) -> None:
    controller.stop()
    handler.stop()
