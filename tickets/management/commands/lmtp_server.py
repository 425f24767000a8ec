"""Run the LMTP server the MTA delivers to (Postfix: ``lmtp:inet:127.0.0.1:8024``).

Stops on SIGTERM or Ctrl-C after placing what it has already accepted.
"""
from __future__ import annotations

import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from core.models import Tenant
from tickets.email.intake_cache import DEFAULT_TTL
from tickets.email.lmtp import lmtp_server, lmtp_stop


class Command(BaseCommand):
    help = "Receive e-mail over LMTP: each message is stored before it is acknowledged, then filed."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8024)
        parser.add_argument("--tenant", help="tenant slug: accept every recipient for this tenant")
        parser.add_argument("--cache-ttl", type=float, default=DEFAULT_TTL,
                            help="seconds the plan terms and mailbox addresses are reused (default %(default)s)")

    def handle(self, *args, host: str, port: int, tenant: str | None, cache_ttl: float, **options):
        found = None
        if tenant:
            found = Tenant.objects.filter(slug=tenant).first()
            if found is None:
                raise CommandError(f"unknown tenant: {tenant}")
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every connection at INFO
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        controller, handler = lmtp_server(host=host, port=port, tenant=found, cache_ttl=cache_ttl)
        self.stdout.write(f"LMTP on {host}:{port}" + (f" for {found.slug}" if found else ""))
        self.stdout.flush()
        try:
            stop.wait()
        finally:
            lmtp_stop(controller, handler)
            self.stdout.write(f"stopped: {handler.stored} stored, {handler.processed} placed")
