"""Display helpers for tickets: SLA badges, durations, plan terms in plain words."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from html import escape

from django import template
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from plans.models import WEEKDAY_KEYS, Channel
from tickets.models import Ticket

register = template.Library()


@dataclass(frozen=True)
class SlaBadge:
    tone: str  # ok, warn, danger, muted, met
    label: str
    title: str
    # A pending target: the page counts down to ``due`` (static/js/app.js) and turns to warn at ``warn``.
    due: datetime | None = None
    warn: datetime | None = None


_BADGE_TEXTS: dict[str, dict[str, str]] = {}


def badge_texts() -> dict[str, str]:
    """The words of the SLA badges and durations in the active language, translated once per language
    and process: a queue page shows fifty badges, each needing some six of them."""
    from tickets.sla_targets import TARGET_LABELS

    language = translation.get_language() or ""
    texts = _BADGE_TEXTS.get(language)
    if texts is None:
        texts = {
            "left": _("%(time)s left"), "overdue": _("overdue %(time)s"), "breached": _("breached"),
            "target_due": _("%(target)s due %(due)s."), "target_was_due": _("%(target)s was due %(due)s."),
            "reaction_due": _("Reaction due %(due)s."), "reaction_was_due": _("Reaction was due %(due)s."),
            "none": _("no guarantee"), "none_title": _("No guaranteed reaction time for this ticket."),
            "met": _("met"), "met_title": _("Reaction in time."),
            "d_h": _("%(d)s d %(h)s h"), "d": _("%(d)s d"), "h_m": _("%(h)s h %(m)s min"), "h": _("%(h)s h"),
            "m": _("%(m)s min"),
            **{f"target:{key}": str(label).capitalize() for key, label in TARGET_LABELS.items()},
        }
        texts["left_attr"] = escape(texts["left"] % {"time": "{t}"})
        texts["overdue_attr"] = escape(texts["overdue"] % {"time": "{t}"})
        _BADGE_TEXTS[language] = texts
    return texts


def duration_text(delta: timedelta, texts: dict[str, str] | None = None) -> str:
    """A short human duration: 45 min, 3 h 20 min, 2 d 4 h."""
    texts = texts or badge_texts()
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return texts["d_h"] % {"d": days, "h": hours} if hours else texts["d"] % {"d": days}
    if hours:
        return texts["h_m"] % {"h": hours, "m": mins} if mins else texts["h"] % {"h": hours}
    return texts["m"] % {"m": mins}


# Django's date format characters that ``strftime`` renders the same (numbers only: names would come
# out in the C locale's English).
_STRFTIME = {"d": "%d", "m": "%m", "Y": "%Y", "y": "%y", "H": "%H", "i": "%M", "s": "%S"}
_STRFTIME_PATTERNS: dict[str, str | None] = {}


def _strftime_pattern(django_format: str) -> str | None:
    """``django_format`` as a ``strftime`` pattern, or None where it needs Django's formatter."""
    parts, chars = [], iter(django_format)
    for char in chars:
        if char == "\\":
            char = next(chars, "")
        elif char.isalpha():
            if char not in _STRFTIME:
                return None
            parts.append(_STRFTIME[char])
            continue
        parts.append(char.replace("%", "%%"))
    return "".join(parts)


def _url_template(viewname: str) -> str:
    """The escaped address of ``viewname`` for an object id, with ``{}`` for the id: reversed once for
    a page's rows instead of once a row."""
    placeholder = 987654321
    return escape(reverse(viewname, args=[placeholder])).replace(str(placeholder), "{}")


def local_formatter():
    """``_local`` for many values: the time zone and the pattern looked up once."""
    zone = timezone.get_current_timezone()
    django_format = formats.get_format("SHORT_DATETIME_FORMAT")
    pattern = _STRFTIME_PATTERNS.get(django_format, "")
    if pattern == "":
        pattern = _STRFTIME_PATTERNS[django_format] = _strftime_pattern(django_format)

    def local(value: datetime) -> str:
        value = value.astimezone(zone)
        if pattern is None or value.year < 1000:
            return formats.date_format(value, django_format)
        return value.strftime(pattern)

    return local


def _local(value: datetime) -> str:
    """``value`` in the current time zone, in the language's SHORT_DATETIME_FORMAT. A queue page formats
    some hundred of them; Django's formatter parses the format each time, ``strftime`` does not."""
    return local_formatter()(value)


def sla_badge(ticket: Ticket, now: datetime | None = None, local=None) -> SlaBadge:
    """The queue row's badge: the earliest pending target (reaction, next reply, resolution) counting
    down, or else how the reaction went. ``local``: a ``local_formatter()`` shared by a page's badges."""
    now = now or timezone.now()
    texts = badge_texts()
    local = local or _local
    if ticket.next_due_target and ticket.next_due_at is not None:
        due = ticket.next_due_at
        target = texts.get(f"target:{ticket.next_due_target}", ticket.next_due_target)
        if now >= due:
            return SlaBadge("danger", texts["overdue"] % {"time": duration_text(now - due, texts)},
                            texts["target_was_due"] % {"target": target, "due": local(due)}, due=due)
        warn_at = {"reaction": ticket.warn_at, "next_reply": ticket.reply_warn_at,
                   "resolution": ticket.resolution_warn_at}.get(ticket.next_due_target)
        tone = "warn" if warn_at is not None and now >= warn_at else "ok"
        return SlaBadge(tone, texts["left"] % {"time": duration_text(due - now, texts)},
                        texts["target_due"] % {"target": target, "due": local(due)}, due=due, warn=warn_at)
    if ticket.sla_state == Ticket.SlaState.NONE:
        return SlaBadge("muted", texts["none"], texts["none_title"])
    if ticket.sla_state == Ticket.SlaState.MET:
        return SlaBadge("met", texts["met"], texts["met_title"])
    # Formatted only for the badges that show it (most rows of a search are met or closed).
    due = local(ticket.due_at) if ticket.due_at else ""
    if ticket.sla_state == Ticket.SlaState.BREACHED or (ticket.due_at is not None and now >= ticket.due_at):
        late = duration_text(now - ticket.due_at, texts) if ticket.due_at and not ticket.reacted_at else ""
        label = texts["overdue"] % {"time": late} if late else texts["breached"]
        return SlaBadge("danger", label, texts["reaction_was_due"] % {"due": due})
    if ticket.due_at is None:
        return SlaBadge("muted", texts["none"], "")
    warn_at = ticket.warn_at
    if warn_at is None and ticket.sla_started_at is not None:
        warn_at = ticket.sla_started_at + (ticket.due_at - ticket.sla_started_at) * 3 / 4
    tone = "warn" if warn_at is not None and now >= warn_at else "ok"
    return SlaBadge(tone, texts["left"] % {"time": duration_text(ticket.due_at - now, texts)},
                    texts["reaction_due"] % {"due": due})


@register.filter
def badge_html(badge: SlaBadge, zone=None) -> str:
    """The badge's markup: a span with its tone, the full deadline as its title and, while a target is
    pending, what static/js/app.js needs to count down. Every value escaped (``html.escape``)."""
    attributes = f' title="{escape(badge.title)}"' if badge.title else ""
    if badge.due:
        zone = zone or timezone.get_current_timezone()
        attributes += f' data-countdown="{badge.due.astimezone(zone).isoformat()}"'
        if badge.warn:
            attributes += f' data-warn="{badge.warn.astimezone(zone).isoformat()}"'
        texts = badge_texts()
        attributes += f' data-left="{texts["left_attr"]}" data-over="{texts["overdue_attr"]}"'
    return mark_safe(f'<span class="badge badge--{escape(badge.tone)}"{attributes}>{escape(badge.label)}</span>')


@register.simple_tag(takes_context=True)
def sla(context, ticket: Ticket) -> str:
    return badge_html(sla_badge(ticket, context.get("now")))


@register.simple_tag
def options(choices, selected=None) -> str:
    """``<option>`` elements of (value, label) ``choices``, the one equal to ``selected`` selected (as
    text: an id from the query string and the choice's integer id match). Cheaper than a form
    widget's template or a template loop, for selects shown on every queue page."""
    chosen = "" if selected is None else str(selected)
    if chosen == "" and not any(str(value) == "" for value, _label in choices):
        chosen = None  # nothing to select: the browser shows the first option
    parts = []
    for value, text in choices:
        value = "" if value is None else str(value)
        parts.append(f'<option value="{escape(value)}"{" selected" if value == chosen else ""}>'
                     f'{escape(str(text))}</option>')
    return mark_safe("".join(parts))


@register.simple_tag(takes_context=True)
def queue_rows(context, tickets, unread, names) -> str:
    """The rows of the agents' queue table: tickets of ``tickets.selectors.queue`` with their customer's
    name annotated (``row_contact``), the names of their other relations from ``names``
    (``tickets.selectors.queue_row_names``).

    Built here rather than by a template loop: a page of 50 rows resolved some 2 500 template
    variables and rendered an SLA badge template per row (bench/README.md). The labels are
    translated once per page, every value is escaped (``html.escape``, quotes included)."""
    now = context.get("now")
    unread = unread or ()
    local, zone = local_formatter(), timezone.get_current_timezone()
    t = {key: escape(text) for key, text in (
        ("reaction", _("Reaction")), ("ticket", _("Ticket")), ("organization", _("Organization")),
        ("plan", _("Plan")), ("status", _("Status")), ("assignee", _("Assignee")), ("received", _("Received")),
        ("critical", _("critical")), ("nobody", _("nobody")), ("new_activity", _("New customer activity")),
        ("unread", _("Unread:")))}
    select = _("Select %(ref)s")
    detail_url = _url_template("agent:ticket_detail")
    critical_badge = f' <span class="badge badge--danger">{t["critical"]}</span>'
    unread_marker = (f'<span class="unread-dot" title="{t["new_activity"]}"></span>'
                     f'<span class="visually-hidden">{t["unread"]} </span>')
    nobody = f'<span class="muted">{t["nobody"]}</span>'
    rows = []
    for ticket in tickets:
        is_unread = ticket.pk in unread
        reference = escape(ticket.reference)
        details = [ticket.row_contact or ticket.requester_name or ticket.requester_email]
        details += [name for name in (names.categories.get(ticket.category_id),
                                      names.products.get(ticket.product_id)) if name]
        details.append(label(ticket, "channel"))
        staff = names.staff.get(ticket.assignee_id) if ticket.assignee_id else None
        assignee = escape(staff) if staff is not None else nobody
        organization = names.organizations.get(ticket.organization_id) or "—"
        plan = names.plans.get(ticket.plan_id)
        plan = f'<div class="muted small">{t["plan"]} {escape(plan)}</div>' if plan else ""
        badge = badge_html(sla_badge(ticket, now, local), zone)
        rows.append(
            f'<tr class="{"is-critical" if ticket.critical else ""}{" is-unread" if is_unread else ""}"'
            f'{" data-unread" if is_unread else ""} data-row>'
            f'<td class="pick"><input type="checkbox" name="ids" value="{ticket.pk}" form="bulk-form" data-bulk-pick '
            f'aria-label="{escape(select % {"ref": ticket.reference})}"></td>'
            f'<td data-label="{t["reaction"]}" class="nowrap">{badge}</td>'
            f'<td data-label="{t["ticket"]}">{unread_marker if is_unread else ""}'
            f'<a class="rowlink" href="{detail_url.format(ticket.pk)}" data-row-link>'
            f'<span class="ref">{reference}</span> '
            f'{escape(ticket.subject)}</a>{critical_badge if ticket.critical else ""}'
            f'<div class="muted small">{" · ".join(escape(str(d)) for d in details)}</div></td>'
            f'<td data-label="{t["organization"]}">{escape(organization)}{plan}</td>'
            f'<td data-label="{t["status"]}"><span class="badge badge--{status_tone(ticket.status)}">'
            f'{escape(label(ticket, "status"))}</span></td>'
            f'<td data-label="{t["assignee"]}">{assignee}</td>'
            f'<td data-label="{t["received"]}">'
            f'{escape(local(ticket.received_at)) if ticket.received_at else ""}</td></tr>')
    return mark_safe("\n".join(rows))


@register.simple_tag
def portal_rows(tickets, names, now) -> str:
    """The rows of the customer's ticket list: tickets of ``tickets.selectors.portal_tickets`` (the
    filer's name annotated as ``row_contact``), category and product names from ``names``
    (``tickets.selectors.queue_row_names``). Built here, as ``queue_rows``: the template loop resolved
    some 1 200 variables and reversed two addresses per row. Every value escaped."""
    from tickets.templatetags.sla_ui import reaction_status

    t = {key: escape(text) for key, text in (
        ("number", _("Number")), ("subject", _("Subject")), ("status", _("Status")),
        ("reaction", _("Reaction due")), ("filed_by", _("Filed by")), ("received", _("Received")),
        ("critical", _("critical")))}
    detail_url = _url_template("portal:ticket_detail")
    critical_badge = f' <span class="badge badge--danger">{t["critical"]}</span>'
    local = local_formatter()
    rows = []
    for ticket in tickets:
        url = detail_url.format(ticket.pk)
        category = names.categories.get(ticket.category_id) if ticket.category_id else None
        details = ""
        if category is not None:
            product = names.products.get(ticket.product_id) if ticket.product_id else None
            details = (f'<div class="muted small">{escape(category)}'
                       f'{f" · {escape(product)}" if product is not None else ""}</div>')
        reaction = escape(reaction_status(ticket, now))
        if ticket.reacted_at:
            reaction = f'<span class="muted">{reaction}</span>'
        rows.append(
            f'<tr><td data-label="{t["number"]}" class="nowrap"><a href="{url}">{escape(ticket.reference)}</a></td>'
            f'<td data-label="{t["subject"]}"><a class="rowlink" href="{url}">{escape(ticket.subject)}</a>'
            f'{critical_badge if ticket.critical else ""}{details}</td>'
            f'<td data-label="{t["status"]}"><span class="badge badge--{status_tone(ticket.status)}">'
            f'{escape(label(ticket, "status"))}</span></td>'
            f'<td data-label="{t["reaction"]}">{reaction}</td>'
            f'<td data-label="{t["filed_by"]}">{escape(ticket.row_contact or ticket.requester_name or "—")}</td>'
            f'<td data-label="{t["received"]}" class="nowrap">'
            f'{escape(local(ticket.received_at)) if ticket.received_at else ""}</td></tr>')
    return mark_safe("\n".join(rows))


@register.simple_tag
def mini_tickets(tickets) -> str:
    """The ``<li>`` rows of the ticket page's "other tickets" lists (``selectors.customer_tickets``):
    built here rather than by an included template per ticket, which reversed an address and parsed
    the date format for each of the sixteen. Every value escaped."""
    detail_url = _url_template("agent:ticket_detail")
    zone = timezone.get_current_timezone()
    date_format = formats.get_format("SHORT_DATE_FORMAT")
    critical = ' <span class="badge badge--danger">!</span>'
    rows = []
    for ticket in tickets:
        subject = ticket.subject if len(ticket.subject) <= 60 else ticket.subject[:59] + "…"
        received = (f'<span class="muted small">'
                    f'{escape(formats.date_format(ticket.received_at.astimezone(zone), date_format))}</span>'
                    if ticket.received_at else "")
        rows.append(
            f'<li><a href="{detail_url.format(ticket.pk)}"><span class="ref">{escape(ticket.reference)}</span> '
            f'{escape(subject)}</a> <span class="badge badge--{status_tone(ticket.status)}">'
            f'{escape(label(ticket, "status"))}</span>'
            f'{critical if ticket.critical else ""} {received}</li>')
    return mark_safe("\n".join(rows))


_LABELS: dict[tuple[str, str, str], dict] = {}


@register.filter
def label(obj, field_name: str) -> str:
    """``obj.get_<field_name>_display()`` from a table built once per model field and language
    (Django's rebuilds the choices on every call: ~50 times a page in a list of 50 rows)."""
    key = (obj._meta.label, field_name, translation.get_language() or "")
    labels = _LABELS.get(key)
    if labels is None:
        labels = _LABELS[key] = {value: str(text) for value, text in obj._meta.get_field(field_name).flatchoices}
    value = getattr(obj, field_name)
    return labels.get(value, value)


@register.filter
def grouped(value) -> str:
    """A count with the language's digit grouping ("14 859" in Polish), whatever USE_THOUSAND_SEPARATOR
    says (which would group every number of every page, ids in addresses included)."""
    return formats.number_format(value, force_grouping=True)


@register.filter
def status_tone(status: str) -> str:
    return {
        "triage": "warn", "new": "info", "open": "info", "waiting_customer": "muted",
        "waiting_package": "warn", "resolved": "met", "closed": "muted",
    }.get(status, "muted")


@register.filter
def filesize(size: int) -> str:
    if size < 1024:
        return _("%(n)s B") % {"n": size}
    if size < 1024 * 1024:
        return _("%(n)s kB") % {"n": formats.number_format(size / 1024, 0)}
    return _("%(n)s MB") % {"n": formats.number_format(size / 1048576, 1)}


def hours_text(minutes: int | None) -> str:
    if minutes is None:
        return ""
    hours, mins = divmod(int(minutes), 60)
    if mins:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": mins}
    return ngettext("%(h)s hour", "%(h)s hours", hours) % {"h": hours}


register.filter("hours", hours_text)


def _day_names() -> list[str]:
    return [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def calendar_lines(spec: dict | None) -> list[str]:
    """Weekly windows as lines like "Mon–Fri 9:00–15:00", consecutive equal days grouped."""
    if not spec:
        return []
    windows = spec.get("windows") or {}
    names = _day_names()
    per_day = [tuple(tuple(w) for w in windows.get(key, [])) for key in WEEKDAY_KEYS]
    lines: list[str] = []
    index = 0
    while index < 7:
        end = index
        while end + 1 < 7 and per_day[end + 1] == per_day[index]:
            end += 1
        if per_day[index]:
            days = names[index] if end == index else f"{names[index]}–{names[end]}"
            if per_day[index] == (("00:00", "24:00"),):
                hours = _("all day")
            else:
                hours = ", ".join(f"{_hm(a)}–{_hm(b)}" for a, b in per_day[index])
            lines.append(f"{days} {hours}")
        index = end + 1
    if not lines:
        lines.append(_("no service hours"))
    return lines


def _hm(value: str) -> str:
    return value[1:] if value.startswith("0") else value


def _money(value: Decimal | None, currency: str) -> str:
    if value is None:
        return _("per contract")
    return f"{formats.number_format(value, 2, use_l10n=True, force_grouping=True)} {currency}"


@dataclass(frozen=True)
class TermLine:
    label: str
    value: str
    lines: tuple[str, ...] = ()


def terms_lines(terms, product_names: dict[str, str] | None = None) -> list[TermLine]:
    """The terms of a plan as a customer reads them, in plain words."""
    if terms is None:
        return []
    rows: list[TermLine] = []
    service = calendar_lines(terms.service_calendar)
    holidays = terms.service_calendar.get("holidays") if terms.service_calendar else None
    days_off = _("also on days off and public holidays") if terms.days_off_support else (
        _("closed on public holidays") if holidays else "")
    rows.append(TermLine(_("Service hours"), days_off, tuple(service)))
    if terms.reaction_minutes:
        rows.append(TermLine(_("Guaranteed reaction time"),
                             _("%(time)s of service hours") % {"time": hours_text(terms.reaction_minutes)}))
    else:
        rows.append(TermLine(_("Guaranteed reaction time"), _("none")))
    if terms.critical_reaction_minutes:
        rows.append(TermLine(_("Reaction to a critical failure"),
                             _("%(time)s, within the hours below") % {
                                 "time": hours_text(terms.critical_reaction_minutes)},
                             tuple(calendar_lines(terms.critical_calendar))))
    if getattr(terms, "next_reply_minutes", None):
        rows.append(TermLine(_("Next reply to your message"),
                             _("%(time)s of service hours") % {"time": hours_text(terms.next_reply_minutes)}))
    if getattr(terms, "resolution_minutes", None):
        rows.append(TermLine(_("Resolution time"),
                             _("%(time)s of service hours, not counting the time we wait for you or for a package") % {
                                 "time": hours_text(terms.resolution_minutes)}))
    if terms.critical_on_days_off:
        rows.append(TermLine(_("Critical problems on days off"),
                             _("may be reported; the on-call staff is paged at once")))
    if terms.email_scope == "bugs":
        rows.append(TermLine(_("E-mail support"), _("bug reports only")))
    if terms.email_limit_minutes is not None:
        rows.append(TermLine(_("Guaranteed e-mail support per month"), hours_text(terms.email_limit_minutes)))
    if terms.included_unlimited:
        rows.append(TermLine(_("Included work"), _("unlimited during service hours")))
    elif terms.included_minutes:
        rows.append(TermLine(_("Hours included per month"), hours_text(terms.included_minutes)))
    if terms.package_minutes:
        rows.append(TermLine(_("Hour package"), ngettext(
            "%(time)s, valid %(months)s month", "%(time)s, valid %(months)s months",
            terms.package_validity_months or 0) % {"time": hours_text(terms.package_minutes),
                                                   "months": terms.package_validity_months or 0}))
    if terms.hourly_rate_net is not None:
        rows.append(TermLine(_("Hourly rate beyond the package"),
                             _("%(amount)s net") % {"amount": _money(terms.hourly_rate_net, terms.currency)}))
    if terms.after_hours_rate_net is not None:
        rows.append(TermLine(_("After-hours emergency rate"),
                             _("%(amount)s net per hour") % {
                                 "amount": _money(terms.after_hours_rate_net, terms.currency)}))
    channel_labels = dict(Channel.choices)
    if terms.channels:
        rows.append(TermLine(_("Contact channels"), ", ".join(str(channel_labels.get(c, c)) for c in terms.channels)))
    services = [label for flag, label in (
        (terms.phone_support, _("phone technical support")),
        (terms.phone_consultations, _("phone consultations")),
        (terms.development, _("development work")),
        (terms.priority_development, _("priority queue for development work")),
        (terms.carrier_contact, _("contacting the carrier on your behalf")),
        (terms.account_manager, _("a named account manager")),
    ) if flag]
    if services:
        rows.append(TermLine(_("Included services"), ", ".join(str(s) for s in services)))
    if terms.products:
        names = product_names or {}
        rows.append(TermLine(_("Products covered"), ", ".join(names.get(code, code) for code in terms.products)))
    if terms.minimum_term_months:
        rows.append(TermLine(_("Minimum term"), ngettext("%(n)s month", "%(n)s months",
                                                          terms.minimum_term_months) % {
            "n": terms.minimum_term_months}))
    if terms.notice_days:
        rows.append(TermLine(_("Notice period"), ngettext("%(n)s day", "%(n)s days", terms.notice_days) % {
            "n": terms.notice_days}))
    return rows


@register.simple_tag
def querystring_with(request, **changes) -> str:
    """The current query string with some keys replaced (None removes a key)."""
    query = request.GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def _status_label(value) -> str:
    try:
        return str(Ticket.Status(value).label)
    except ValueError:
        return str(value or "—")


@register.filter
def event_text(event) -> str:
    """One line of a ticket's history in words."""
    data = event.data or {}
    kind = event.kind
    if kind == "created":
        try:
            channel = str(Ticket.Channel(data.get("channel")).label)
        except ValueError:
            channel = str(data.get("channel") or "")
        return _("Ticket received (%(channel)s)") % {"channel": channel}
    if kind == "message":
        return _("Public reply") if data.get("from_staff") else _("Customer's message")
    if kind == "note":
        return _("Internal note")
    if kind == "status":
        text = _("Status: %(old)s → %(new)s") % {"old": _status_label(data.get("old")),
                                                 "new": _status_label(data.get("new"))}
        reason = {"customer_reply": _("the customer replied"), "accepted": _("accepted after verification")}.get(
            data.get("reason", ""))
        return f"{text} ({reason})" if reason else text
    if kind == "assigned":
        return _("Assigned to %(name)s") % {"name": data["name"]} if data.get("name") else _("Unassigned")
    if kind == "reaction":
        return _("Reaction recorded")
    if kind == "paged":
        return _("On-call staff paged")
    if kind == "updated":
        return _("Ticket details changed: %(fields)s") % {"fields": ", ".join(sorted(data.get("changes", {})))}
    if kind in ("sla_warning", "warned", "warning"):
        return {"next_reply": _("Next reply deadline is near"), "resolution": _("Resolution deadline is near")}.get(
            data.get("target"), _("Reaction deadline is near"))
    if kind in ("sla_breached", "breached", "breach"):
        return {"next_reply": _("Next reply deadline missed"), "resolution": _("Resolution deadline missed")}.get(
            data.get("target"), _("Reaction deadline missed"))
    return kind.replace("_", " ")
