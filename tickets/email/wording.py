"""The wording of customer notifications that a tenant may change: a restricted placeholder syntax.

A tenant's subject and text hold plain words and ``{{ name }}`` placeholders from the list of the
notification's kind, nothing else: no template tags, filters, attributes or loops, so a template
cannot read anything but the values handed to it, nor run code. The values are substituted as
text; in the HTML part every piece is escaped, and the agent's reply is put in as the sanitised
HTML the ticket page shows (``tickets.text.message_html``) when it stands alone in its paragraph.

Rules of rendering, which the settings page explains:
- a placeholder with nothing to put in also takes the space before it ("Dzień dobry {{ requester_name }},"
  reads "Dzień dobry," without a name);
- a line holding ``{{ deadline }}`` or ``{{ notes }}`` is left out when there is nothing to say there.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

ACK, REPLY = "ack", "reply"
LANGUAGES = ("pl", "en")
MAX_BODY = 20000
MAX_SUBJECT = 300

PLACEHOLDER = re.compile(r"( ?)\{\{\s*([a-z_]+)\s*\}\}")
# Anything that looks like template syntax but is not a placeholder of the list.
TEMPLATE_SYNTAX = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
OPTIONAL_LINES = ("deadline", "notes")

COMMON = {
    "ticket_number": _("the ticket's number, e.g. WYS-1024"),
    "ticket_subject": _("the ticket's subject"),
    "requester_name": _("the name of the person who wrote (may be empty)"),
    "company": _("your company's name"),
}
PLACEHOLDERS = {
    ACK: {**COMMON, "deadline": _("the reaction deadline under the customer's plan (may be empty)"),
          "notes": _("notes the system adds, e.g. that the request is outside the plan (may be empty)")},
    REPLY: {**COMMON, "message": _("the agent's reply"), "agent_name": _("the name of the agent who replied")},
}
REQUIRED = {
    ACK: {"subject": ("ticket_number",), "body": ()},
    REPLY: {"subject": ("ticket_number",), "body": ("message",)},
}

DEFAULTS = {
    (ACK, "pl"): ("[{{ ticket_number }}] {{ ticket_subject }}",
                  "Dzień dobry {{ requester_name }},\n\n"
                  "dziękujemy za wiadomość. Zarejestrowaliśmy zgłoszenie {{ ticket_number }}: "
                  "„{{ ticket_subject }}”.\n\n"
                  "Zgodnie z Państwa planem zareagujemy najpóźniej do: {{ deadline }}.\n\n"
                  "{{ notes }}\n\n"
                  "Odpowiadając na tę wiadomość, prosimy zachować numer {{ ticket_number }} w temacie — odpowiedź "
                  "trafi wtedy do tego zgłoszenia.\n\n"
                  "Pozdrawiamy\n{{ company }}"),
    (ACK, "en"): ("[{{ ticket_number }}] {{ ticket_subject }}",
                  "Hello {{ requester_name }},\n\n"
                  "thank you for your message. We have registered ticket {{ ticket_number }}: "
                  "\"{{ ticket_subject }}\".\n\n"
                  "Under your plan we will react by: {{ deadline }}.\n\n"
                  "{{ notes }}\n\n"
                  "When you reply, please keep {{ ticket_number }} in the subject so that your answer reaches "
                  "this ticket.\n\n"
                  "Kind regards\n{{ company }}"),
    (REPLY, "pl"): ("Re: [{{ ticket_number }}] {{ ticket_subject }}",
                    "{{ message }}\n\n--\n{{ agent_name }}\n{{ company }}\n"
                    "Zgłoszenie {{ ticket_number }} — odpowiedz na tę wiadomość, aby dopisać się do zgłoszenia."),
    (REPLY, "en"): ("Re: [{{ ticket_number }}] {{ ticket_subject }}",
                    "{{ message }}\n\n--\n{{ agent_name }}\n{{ company }}\n"
                    "Ticket {{ ticket_number }} — reply to this e-mail to add to the ticket."),
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def placeholders_in(source: str) -> list[str]:
    return [name for _space, name in PLACEHOLDER.findall(source or "")]


def check(kind: str, subject: str, body: str) -> None:
    """ValidationError (per field) unless both use only the kind's placeholders and hold the required ones."""
    allowed = PLACEHOLDERS[kind]
    errors: dict[str, list] = {}
    for field, source, limit in (("subject", subject or "", MAX_SUBJECT), ("body", body or "", MAX_BODY)):
        problems = []
        if not source.strip():
            problems.append(_("Write the text."))
        if len(source) > limit:
            problems.append(_("At most %(n)s characters.") % {"n": limit})
        if field == "subject" and ("\n" in source or "\r" in source):
            problems.append(_("The subject is one line."))
        unknown = sorted({name for name in placeholders_in(source) if name not in allowed})
        if unknown:
            problems.append(_("Unknown placeholder: %(names)s. Use only those listed beside the form.")
                            % {"names": ", ".join("{{ %s }}" % name for name in unknown)})
        if TEMPLATE_SYNTAX.search(PLACEHOLDER.sub("", source)):
            problems.append(_("Only placeholders such as {{ ticket_number }} may stand in braces; template tags "
                              "and filters are not allowed."))
        missing = [name for name in REQUIRED[kind][field] if name not in placeholders_in(source)]
        if missing and source.strip():
            problems.append(_("The text must contain %(names)s.")
                            % {"names": ", ".join("{{ %s }}" % name for name in missing)})
        if problems:
            errors[field] = problems
    if errors:
        raise ValidationError(errors)


def _fill(source: str, values: dict[str, str], *, escape_values: bool, html_values: dict[str, str] | None = None
          ) -> str:
    def replace(match: re.Match) -> str:
        space, name = match.group(1), match.group(2)
        if html_values is not None and name in html_values:
            value = html_values[name]
        else:
            value = str(values.get(name, "") or "")
            value = escape(value) if escape_values else value
        return space + value if value else ""

    return PLACEHOLDER.sub(replace, source)


def _drop_empty_optional_lines(body: str, values: dict[str, str]) -> str:
    lines = []
    for line in body.splitlines():
        names = placeholders_in(line)
        if any(name in OPTIONAL_LINES and not values.get(name) for name in names):
            continue
        lines.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def render(subject: str, body: str, values: dict[str, str], *, message_html: str = "") -> Rendered:
    """The e-mail from a checked template: subject (one line), text and HTML.

    ``values`` are plain text; ``message_html`` is the agent's reply already sanitised."""
    subject_text = " ".join(_fill(subject, values, escape_values=False).split())[:MAX_SUBJECT]
    body = _drop_empty_optional_lines(body or "", values)
    text = _fill(body, values, escape_values=False).strip() + "\n"
    paragraphs = []
    for block in re.split(r"\n\s*\n", body):
        if not block.strip():
            continue
        names = placeholders_in(block)
        if message_html and names == ["message"] and PLACEHOLDER.fullmatch(block.strip()):
            paragraphs.append(f"<div>{message_html}</div>")
            continue
        filled = _fill(escape(block), values, escape_values=True)
        paragraphs.append("<p>" + filled.strip().replace("\n", "<br>\n") + "</p>")
    html = ("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>" + escape(subject_text) + "</title></head>\n"
            "<body style=\"font-family: Arial, sans-serif; font-size: 14px; color: #222;\">\n"
            + "\n".join(paragraphs) + "\n</body></html>\n")
    return Rendered(subject=subject_text, text=text, html=html)
