"""``/metrics``: the Prometheus exposition of what operators watch.

The figures come from the database at scrape time (``helpdesk.backlog``), so every web process
answers the same and nothing needs a multi-process registry: the SLA scan's lag, the outbox
backlog, inbound mail waiting, tickets by SLA state and webhook deliveries by status.

Access: a bearer token (``METRICS_TOKEN``) or a client address in ``METRICS_ALLOWED_IPS``; with
neither configured the endpoint answers 404, as if it did not exist.
"""
from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from helpdesk import backlog


class BacklogCollector:
    def collect(self):
        now = timezone.now()
        figures = backlog.figures(now=now)

        def age(since) -> float:
            return max((now - since).total_seconds(), 0.0) if since else 0.0

        yield GaugeMetricFamily("helpdesk_sla_scan_age_seconds",
                                "Seconds since the SLA monitor last completed a scan (0: never).",
                                value=age(figures.last_sla_scan))
        yield GaugeMetricFamily("helpdesk_outbox_oldest_undelivered_age_seconds",
                                "Age of the oldest notification or webhook not yet delivered (0: none).",
                                value=age(figures.oldest_undelivered))
        yield GaugeMetricFamily("helpdesk_intake_oldest_unprocessed_age_seconds",
                                "Age of the oldest inbound e-mail stored but not yet processed (0: none).",
                                value=age(figures.oldest_unprocessed_inbound))
        yield GaugeMetricFamily("helpdesk_imap_oldest_poll_age_seconds",
                                "Seconds since the least recently polled active mailbox was polled (0: none).",
                                value=age(figures.oldest_mailbox_poll))
        states = GaugeMetricFamily("helpdesk_tickets", "Tickets by SLA state.", labels=["sla_state"])
        for state, count in backlog.tickets_by_sla_state().items():
            states.add_metric([state], count)
        yield states
        deliveries = GaugeMetricFamily("helpdesk_webhook_deliveries", "Webhook deliveries by status.",
                                       labels=["status"])
        for status, count in backlog.webhook_deliveries_by_status().items():
            deliveries.add_metric([status], count)
        yield deliveries
        messages = GaugeMetricFamily("helpdesk_outbox_messages",
                                     "Outbound e-mails, pages and digests by status (dead: failed for good).",
                                     labels=["status"])
        for status, count in backlog.outbox_messages_by_status().items():
            messages.add_metric([status], count)
        yield messages


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    networks = settings.METRICS_ALLOWED_IPS
    if networks:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(net, strict=False) for net in networks)
    return False


@never_cache
@require_safe
def metrics(request):
    if not _allowed(request):
        raise Http404
    registry = CollectorRegistry(auto_describe=False)
    registry.register(BacklogCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
