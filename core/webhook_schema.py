"""The webhook payloads as JSON Schema, published in the OpenAPI document's ``webhooks`` (3.1).

Every event body is ``{"id", "type", "timestamp", "data"}``; ``data`` holds the API's own
representation of the resource (the components of the same document: ``Ticket``, ``Message``,
``TimeEntry``, ``Package``), built when the change happened. ``add_webhooks`` is a drf-spectacular
postprocessing hook; ``event_schema`` gives one event's schema for validators.
"""
from __future__ import annotations

from copy import deepcopy

from core.webhooks import EVENTS

ID_PATTERN = r"^msg_[0-9a-f]{32}$"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict, description: str) -> dict:
    return {"type": "object", "description": description, "properties": properties,
            "required": list(properties), "additionalProperties": False}


_TICKET = _ref("Ticket")
_SLA = {
    "ticket": _TICKET,
    "kind": {"type": "string", "enum": ["warning", "breach"], "description": "What the monitor recorded."},
    "at": {"type": "string", "format": "date-time",
           "description": "When it happened by the rules: the warning time or the deadline."},
    "late": {"type": "boolean", "description": "A warning recorded only once the deadline had passed too."},
    "recorded_at": {"type": "string", "format": "date-time", "description": "When it was recorded."},
    "target": {"type": "string", "enum": ["reaction", "next_reply", "resolution"],
               "description": "Which target (RULES 4.7): the reaction, the next reply or the resolution."},
    "cycle": {"type": "integer", "minimum": 1,
              "description": "The target's cycle: each reply owed is a new next-reply cycle; 1 otherwise."},
}
_PACKAGE = {"package": _ref("Package")}

DATA: dict[str, dict] = {
    "ticket.created": _object({"ticket": _TICKET}, "The new ticket."),
    "ticket.updated": _object({
        "ticket": _TICKET,
        "previous_status": {"type": ["string", "null"], "description": "The status before a status change; "
                            "null when the status did not change."},
        "changes": {"type": "array", "items": {"type": "string"}, "description": "The fields that changed."},
    }, "One change of a ticket, with the ticket as it was right after it."),
    "ticket.message_added": _object({"ticket": _TICKET, "message": _ref("Message")},
                                    "A public message, with the ticket as it was when the message was added."),
    "ticket.merged": _object({"ticket": _TICKET, "into": _TICKET},
                             "A ticket (`ticket`, now closed, its `merged_into` set) was merged into another "
                             "(`into`): its messages, attachments and time entries are on `into` now."),
    "sla.warning": _object(_SLA, "A target's due time (reaction, next reply, resolution) is near (or passed: "
                                 "`late`)."),
    "sla.breached": _object(_SLA, "A target (reaction, next reply, resolution) was missed: its due time passed."),
    "time_entry.created": _object({"time_entry": _ref("TimeEntry")}, "Work was logged."),
    "package.low": _object(_PACKAGE, "A package ends within 7 days and has hours left."),
    "package.exhausted": _object(_PACKAGE, "A package ran out, at the moment its last minutes were used."),
    "package.expired": _object(_PACKAGE, "A package passed its end date."),
    "appointment.booked": _object({"appointment": _ref("Appointment")},
                                  "A remote session or phone consultation was booked (or a proposal accepted)."),
    "appointment.rescheduled": _object({"appointment": _ref("Appointment")},
                                       "An appointment moved; `sequence` grew, the calendar invitation's UID stayed."),
    "appointment.cancelled": _object({"appointment": _ref("Appointment")}, "An appointment was cancelled."),
}
assert set(DATA) == set(EVENTS), "every event type needs its schema"


def event_schema(event_type: str) -> dict:
    return {
        "type": "object",
        "required": ["id", "type", "timestamp", "data"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "pattern": ID_PATTERN,
                   "description": "The event id, also the `webhook-id` header: the same on every attempt."},
            "type": {"type": "string", "const": event_type},
            "timestamp": {"type": "string", "format": "date-time", "description": "When the event happened."},
            "data": deepcopy(DATA[event_type]),
        },
    }


def _component_name(event_type: str) -> str:
    return "WebhookEvent" + "".join(part.capitalize() for part in event_type.replace("_", ".").split("."))


HEADERS = [
    {"name": "webhook-id", "in": "header", "required": True, "schema": {"type": "string", "pattern": ID_PATTERN},
     "description": "The event id; a re-sent event carries the same one (deduplicate on it)."},
    {"name": "webhook-timestamp", "in": "header", "required": True, "schema": {"type": "string"},
     "description": "Unix time of this attempt."},
    {"name": "webhook-signature", "in": "header", "required": True, "schema": {"type": "string"},
     "description": "`v1,<base64 HMAC-SHA256>` per Standard Webhooks; verify with an official library."},
]


def add_webhooks(result, generator, request, public):
    """drf-spectacular postprocessing hook: one ``webhooks`` entry and one component per event type."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    hooks = result.setdefault("webhooks", {})
    for event_type in EVENTS:
        name = _component_name(event_type)
        schemas[name] = event_schema(event_type)
        hooks[event_type] = {"post": {
            "operationId": f"webhook_{event_type.replace('.', '_')}",
            "summary": f"`{event_type}` event",
            "description": DATA[event_type]["description"] + " Sent at least once; answer 2xx within 10 s.",
            "parameters": deepcopy(HEADERS),
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(name)}}},
            "responses": {"2XX": {"description": "Accepted; any other answer is retried with backoff."}},
        }}
    return result
