"""Read one RFC 5322 message from stdin (an MTA pipe) and file it.

Prints the ticket number it landed in, ``quarantined: <reason>`` or ``discarded: <reason>``. Exits 0
for every message, so the MTA never bounces a customer's mail; only an unknown tenant is an error
(the MTA then keeps the message in its queue).
"""
from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from core.models import Tenant
from tickets.email.inbound import email_ingest
from tickets.models import InboundEmail


def ingest_bytes(tenant: Tenant, raw: bytes) -> str:
    inbound = email_ingest(tenant=tenant, raw=raw)
    if inbound.status == InboundEmail.Status.QUARANTINED:
        return f"quarantined: {inbound.reason}"
    if inbound.ticket_id is not None:
        return inbound.ticket.reference
    return f"{inbound.status}: {inbound.reason}"


class Command(BaseCommand):
    help = "Read one e-mail from stdin and file it as a ticket or a reply (or quarantine it)."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant slug")

    def handle(self, *args, tenant: str, **options):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"unknown tenant: {tenant}")
        stream = options.get("stdin") or sys.stdin.buffer
        raw = stream.read()
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        self.stdout.write(ingest_bytes(found, raw))
