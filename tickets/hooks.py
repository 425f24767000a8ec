"""What the tickets app needs from the layers above it, registered by them at start-up.

The tickets app sits below billing: it may not import it. Yet the deadline policy needs two facts
that only billing knows (how much guaranteed e-mail support an organization used this month, and
whether it holds a valid hour package), and the agent's and customer's ticket pages show panels
that billing owns (time logged, usage). Billing registers those here in its ``AppConfig.ready``;
the tickets app calls through this module and never names billing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Protocol

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from core.models import Organization, Tenant
    from tickets.models import Ticket


class Entitlements(Protocol):
    def email_guarantee_used_minutes(self, *, tenant: Tenant, organization: Organization | None,
                                     at: datetime) -> int: ...

    def organization_has_valid_package(self, *, tenant: Tenant, organization: Organization | None,
                                       at: datetime) -> bool: ...


@dataclass(frozen=True)
class TicketPanel:
    """A section of a ticket page contributed by another app.

    ``context(request, ticket)`` returns the template's context, or ``None`` to leave the panel
    out for this ticket; ``template`` is rendered with it (plus ``ticket`` and ``request``).
    ``shares`` names what the page has already computed and passes as keyword arguments
    (the agent's page: ``in_force``, the organization's ``plan_in_force`` now), so that a panel
    does not compute it again.
    """

    name: str
    template: str
    context: Callable[..., dict[str, Any] | None]
    shares: tuple[str, ...] = ()


_entitlements: Entitlements | None = None
_agent_panels: dict[str, TicketPanel] = {}
_portal_panels: dict[str, TicketPanel] = {}


def entitlements_register(source: Entitlements) -> None:
    global _entitlements
    _entitlements = source


def entitlements() -> Entitlements:
    if _entitlements is None:
        raise ImproperlyConfigured("No entitlement source is registered (is the billing app installed?).")
    return _entitlements


def agent_panel_register(panel: TicketPanel) -> None:
    _agent_panels[panel.name] = panel


def agent_panels(request, ticket: Ticket, **shared: Any) -> list[dict[str, Any]]:
    """The registered panels of the agent's ticket page that apply to ``ticket``, in registration order.

    ``shared``: what the page computed that panels may ask for (``TicketPanel.shares``)."""
    shown = []
    for panel in _agent_panels.values():
        context = panel.context(request, ticket, **{name: shared[name] for name in panel.shares if name in shared})
        if context is not None:
            shown.append({"name": panel.name, "template": panel.template, "context": context})
    return shown


def portal_panel_register(panel: TicketPanel) -> None:
    _portal_panels[panel.name] = panel


def portal_panels(request, ticket: Ticket) -> list[dict[str, Any]]:
    """The registered panels of the customer's ticket page that apply to ``ticket``."""
    shown = []
    for panel in _portal_panels.values():
        context = panel.context(request, ticket)
        if context is not None:
            shown.append({"name": panel.name, "template": panel.template, "context": context})
    return shown


# --- lines of a ticket's history kept by the layers above -------------------------------------------

_history_sources: list[Callable[[Ticket], list]] = []


def history_source_register(source: Callable[[Ticket], list]) -> None:
    """``source(ticket)`` returns lines of the ticket's history that another app keeps (the monitor's
    SLA warnings and breaches), as unsaved ``TicketEvent`` objects: the history page shows them with
    the ticket's own events, in time order."""
    if source not in _history_sources:
        _history_sources.append(source)


def history_lines(ticket: Ticket) -> list:
    return [line for source in _history_sources for line in source(ticket)]


# --- SLA breaches found outside the monitor's scan -------------------------------------------------

_breach_listeners: list[Callable[..., None]] = []


def sla_breach_listener_register(listener: Callable[..., None]) -> None:
    """``listener(ticket=…, found_at=…, target=…)`` runs inside the transaction that found a target of
    a ticket missed (a reaction, reply or resolution recorded after its due time, before the monitor's
    scan saw it). The SLA monitor registers one that records the breach event (and a late warning) as
    its scan would."""
    if listener not in _breach_listeners:
        _breach_listeners.append(listener)


def sla_breached(*, ticket: Ticket, found_at: datetime, target: str = "reaction") -> None:
    for listener in _breach_listeners:
        listener(ticket=ticket, found_at=found_at, target=target)


# --- merging tickets -------------------------------------------------------------------------------

_merge_listeners: list[Callable[..., None]] = []


def ticket_merge_listener_register(listener: Callable[..., None]) -> None:
    """``listener(source=…, target=…, actor=…)`` runs inside the transaction of a merge (``tickets.merge``),
    before the messages move, with both tickets locked. It moves what its app keeps on the source
    ticket (billing: the time entries and quotes) and raises ``ValidationError`` to refuse the merge
    (time on an issued statement)."""
    if listener not in _merge_listeners:
        _merge_listeners.append(listener)


def ticket_merging(*, source: Ticket, target: Ticket, actor) -> dict[str, int]:
    """Run the merge listeners; what each moved, by name (``{"time_entries": 2}``)."""
    moved: dict[str, int] = {}
    for listener in _merge_listeners:
        moved.update(listener(source=source, target=target, actor=actor) or {})
    return moved
