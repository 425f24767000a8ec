"""Full-text search of tickets for agents: subject, every message (public and internal), requester,
organization and the reference, over every status.

The text is folded and stemmed by ``core.text`` (the help center's Polish normaliser), so "drukarka",
"drukarki" and "Drukarką" meet; the database's engine sits on top (PostgreSQL: a generated
``tsvector`` with a GIN index; SQLite: FTS5; migration 0007). Every word of the query must occur; the
last one may be a prefix (the word being typed). A reference ("KJM-1005", "#1005", "1005") also
matches the ticket's number.

``ticket_reindex_head`` and ``ticket_reindex_body`` keep one ``TicketSearch`` row per ticket in step;
they run from the model signals (``tickets.apps``) in the transaction of the write, and from the
services that change messages with ``update()`` (GDPR anonymisation).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from core import text
from tickets.models import Message, Ticket, TicketSearch

MAX_TERMS = 8
# Up to this many matches a search hands the ticket queries a list of ids (read through the primary
# key); beyond it, the match stays a subquery. Measured at 100 000 tickets (bench/README.md): reading
# 5 000 ids costs a common word more than the subquery saves a rarer one.
FEW_MATCHES = 500
MAX_BODY_CHARS = 60_000
HEAD_FIELDS = frozenset({"number", "subject", "requester_name", "requester_email", "organization"})
_REFERENCE = re.compile(r"^#?(?:([a-z0-9]{1,10})-)?(\d{1,9})$", re.I)


def tenant_token(tenant_id: int) -> str:
    # Indexed with the text, so the full-text index itself narrows a query to one tenant.
    return f"tt{tenant_id}x"


def head_text(ticket: Ticket) -> str:
    parts = [ticket.tenant.ticket_prefix, str(ticket.number), ticket.subject, ticket.requester_name,
             ticket.requester_email]
    if ticket.organization_id:
        parts.append(ticket.organization.name)
    return text.index_text(" ".join(p for p in parts if p))


def body_text(ticket_id: int) -> str:
    chunks, size = [], 0
    rows = Message.objects.filter(ticket_id=ticket_id).order_by("created_at", "id").values_list(
        "author_name", "body")
    for author, body in rows:
        chunk = text.index_text(f"{author} {body}")
        chunks.append(chunk)
        size += len(chunk) + 1
        if size >= MAX_BODY_CHARS:
            break
    return " ".join(chunks)[:MAX_BODY_CHARS]


def ticket_reindex_head(ticket: Ticket) -> None:
    head = head_text(ticket)
    updated = TicketSearch.objects.filter(ticket_id=ticket.pk).update(head_terms=head)
    if not updated:
        TicketSearch.objects.create(ticket_id=ticket.pk, tenant_id=ticket.tenant_id,
                                    tenant_token=tenant_token(ticket.tenant_id), head_terms=head,
                                    body_terms=body_text(ticket.pk))


def ticket_reindex_body(ticket_id: int, tenant_id: int) -> None:
    body = body_text(ticket_id)
    if not TicketSearch.objects.filter(ticket_id=ticket_id).update(body_terms=body):
        ticket = Ticket.objects.select_related("tenant", "organization").filter(pk=ticket_id).first()
        if ticket is not None:
            TicketSearch.objects.create(ticket_id=ticket_id, tenant_id=tenant_id,
                                        tenant_token=tenant_token(tenant_id), head_terms=head_text(ticket),
                                        body_terms=body)


def ticket_reindex(ticket: Ticket) -> None:
    ticket_reindex_head(ticket)
    ticket_reindex_body(ticket.pk, ticket.tenant_id)


def reference_number(query: str, prefix: str) -> int | None:
    """The ticket number a query names ("KJM-1005", "kjm-1005", "#1005", "1005"), or None."""
    match = _REFERENCE.match(query.strip())
    if not match or (match.group(1) and match.group(1).lower() != prefix.lower()):
        return None
    return int(match.group(2))


def query_terms(query: str) -> list[str]:
    stems = list(dict.fromkeys(text.terms(query)))[:MAX_TERMS]
    return stems or list(dict.fromkeys(text.terms(query, keep_stopwords=True)))[:MAX_TERMS]


def _matching(tenant_id: int, stems: list[str]) -> RawSQL:
    # The stems are [0-9a-z]+ (core.text), so they cannot carry the engines' query syntax.
    token = tenant_token(tenant_id)
    if connection.vendor == "postgresql":
        words = " & ".join(w + (":*" if i == len(stems) - 1 else "") for i, w in enumerate(stems))
        return RawSQL("SELECT ticket_id FROM tickets_ticketsearch WHERE document @@ to_tsquery('simple', %s)",
                      [f"{token} & {words}"])
    words = " AND ".join(f'"{w}"' + ("*" if i == len(stems) - 1 else "") for i, w in enumerate(stems))
    return RawSQL("SELECT rowid FROM tickets_search_fts WHERE tickets_search_fts MATCH %s",
                  [f'tenant_token : "{token}" AND {{head_terms body_terms}} : ({words})'])


@dataclass(frozen=True)
class Match:
    """The tickets a search finds: ``condition`` for the ticket queries and, read on the way, how many
    there are, counted up to the caller's cap + 1 (more than the cap: cap + 1). ``ids``: every ticket
    it finds, when there are no more than the cap (else None): a count with other filters reads
    those through the primary key instead of checking the text of each candidate ticket."""

    condition: Q
    count: int
    ids: tuple[int, ...] | None = None

    def listed(self) -> Match:
        """The same tickets named by their ids (``ids`` must be known)."""
        assert self.ids is not None
        return Match(Q(pk__in=self.ids), self.count, self.ids)


def _matching_ids(tenant_id: int, stems: list[str], number: int | None,
                  probe: int = FEW_MATCHES) -> tuple[list[int] | RawSQL, list[int], list[int] | None]:
    """The full-text matches' ids when they are few, else the subquery; the tickets a reference
    names (the ticket of that number and, if it was merged, the one it was merged into); and every
    ticket matched when no more than ``probe`` text matches were found (else None; up to ``probe`` +
    1 are read). One query.

    Planners join a handful of matches badly (PostgreSQL hashes the whole ticket table to find three
    rows, or walks the tickets in the page's order matching each one's text); a list of ids goes
    through the primary key. Many matches stay a subquery, which the planner probes while it walks the
    ticket index in the page's order. Reference hits are always resolved here: an ``OR`` of the
    number with the text match would make every ticket query read the tenant's whole table."""
    parts, params = [], []
    if stems:
        matching = _matching(tenant_id, stems)
        parts.append(f"{matching.sql} LIMIT %s")
        params += [*matching.params, max(probe, FEW_MATCHES) + 1]
    if number is not None:
        table = Ticket._meta.db_table
        parts.append(f"SELECT id FROM {table} WHERE tenant_id = %s AND number = %s")
        parts.append(f"SELECT merged_into_id FROM {table} WHERE tenant_id = %s AND number = %s "
                     "AND merged_into_id IS NOT NULL")
        params += [tenant_id, number, tenant_id, number]
    with connection.cursor() as cursor:
        # Each part tagged with its position, so the text matches are told from the reference's.
        tagged = " UNION ALL ".join(f"SELECT {i} AS part, m.* FROM ({sql}) AS m" for i, sql in enumerate(parts))
        cursor.execute(tagged, params)
        rows = cursor.fetchall()
    text_ids = [row[1] for row in rows if stems and row[0] == 0]
    reference_ids = [row[1] for row in rows if not (stems and row[0] == 0)]
    found = (sorted(set(text_ids) | set(reference_ids)) if not stems or len(text_ids) <= max(probe, FEW_MATCHES)
             else None)
    if stems and len(text_ids) > FEW_MATCHES:
        return _matching(tenant_id, stems), reference_ids, found
    return text_ids, reference_ids, found


def search_condition(*, tenant_id: int, prefix: str, query: str, inline: bool = False) -> Q:
    """The tickets matching ``query`` (every word, the last one as a prefix) or naming its number.

    Runs one query (the matches, when few, and the tickets a reference names) while it builds the
    condition, unless ``inline``: then everything stays a subquery of the statement (the saved views'
    counts, many in one query)."""
    if not inline:
        return search_match(tenant_id=tenant_id, prefix=prefix, query=query).condition
    query = (query or "").strip()[:200]
    stems = query_terms(query)
    number = reference_number(query, prefix)
    condition = Q(pk__in=_matching(tenant_id, stems)) if stems else Q(pk__in=[])
    if number is not None:
        # A merged ticket's reference also finds the ticket it was merged into.
        merged = Ticket.objects.filter(tenant_id=tenant_id, number=number, merged_into__isnull=False)
        condition |= Q(tenant_id=tenant_id, number=number) | Q(pk__in=merged.values("merged_into"))
    return condition


def search_match(*, tenant_id: int, prefix: str, query: str, count_cap: int = FEW_MATCHES) -> Match:
    """``search_condition`` and the number of tickets it matches among all the tenant's, up to
    ``count_cap`` + 1, from the same query: a search without other filters needs no count of its own
    (the count over the tickets cost 5–20 ms where thousands match, bench/README.md)."""
    query = (query or "").strip()[:200]
    stems = query_terms(query)
    number = reference_number(query, prefix)
    if not stems and number is None:
        return Match(Q(pk__in=[]), 0, ())
    matches, reference_ids, found = _matching_ids(tenant_id, stems, number, probe=count_cap)
    ids = tuple(found) if found is not None and len(found) <= count_cap else None
    count = len(ids) if ids is not None else count_cap + 1
    if isinstance(matches, list):
        return Match(Q(pk__in=sorted(set(matches) | set(reference_ids))), count, ids)
    return Match(Q(pk__in=matches) | Q(pk__in=reference_ids), count, ids)


# --- keeping the index in step (connected in tickets.apps) -----------------------------------------


def on_ticket_saved(sender, instance: Ticket, created: bool, update_fields=None, raw: bool = False, **kwargs):
    if raw:
        return
    if created or update_fields is None or HEAD_FIELDS & set(update_fields):
        ticket_reindex_head(instance)


def on_message_changed(sender, instance: Message, raw: bool = False, **kwargs):
    if raw:
        return
    ticket_reindex_body(instance.ticket_id, instance.tenant_id)
