"""Ranked search for a viewer, on PostgreSQL (tsvector + GIN) or SQLite (FTS5), behind one function.

Query → stems (``core.text.terms``) → all must match (the last one as a prefix when it is the
word being typed); when that finds too little, a stem not in the tenant's vocabulary (a typo) is
widened to its nearest known stems; when nothing matches all words, any word may. Ranking: the
engine's relevance with the title weighted ten times the body (PostgreSQL: weights A and B; SQLite:
bm25 column weights), times 1.5 for a solved topic or an article, divided by 1 + the age in years.
On PostgreSQL only a limited candidate set (the newest matches in the title and anywhere) is ranked.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from django.db import connection
from django.utils import timezone

from core import text
from helpcenter.models import SearchTerm, Viewer
from helpcenter.search.index import tenant_token

MAX_TERMS = 8
MAX_CORRECTIONS = 3
CANDIDATES = 200
FEW_HITS = 3  # fewer hits than this and a word not in the vocabulary: try its corrections
SOLVED_BOOST = 1.5
TITLE_WEIGHT, BODY_WEIGHT = 10.0, 1.0


@dataclass(frozen=True)
class Hit:
    kind: str
    object_id: int
    title: str
    excerpt: str
    solved: bool
    score: float


@dataclass
class Result:
    hits: list[Hit] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    corrected: dict[str, list[str]] = field(default_factory=dict)
    relaxed: bool = False


@lru_cache(maxsize=1)
def _trigram_available() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        return cursor.fetchone() is not None


def corrections_for(tenant_id: int, stems: list[str]) -> dict[str, list[str]]:
    """For each of ``stems`` that is not in the tenant's vocabulary, its nearest known stems
    within the typo limit, nearest first. One query whatever the number of words.

    Candidates of a word: same length ± its limit and the same first letter; with pg_trgm also
    words sharing trigrams (the vocabulary's trigram GIN index), so a typo in the first letter is
    found too. The exact distance (optimal string alignment) is then computed here."""
    fixable = [t for t in stems if len(t) >= 4 and text.typo_limit(t) > 0]
    if not fixable:
        return {}
    trigram = _trigram_available()
    where, params = ["term IN (%s)" % ", ".join(["%s"] * len(fixable))], list(fixable)
    for term in fixable:
        limit = text.typo_limit(term)
        near = "term LIKE %s" + (" OR term %% %s" if trigram else "")
        where.append(f"(length BETWEEN %s AND %s AND ({near}))")
        params += [len(term) - limit, len(term) + limit, term[0] + "%", *([term] if trigram else [])]
    sql = (f"SELECT term FROM {SearchTerm._meta.db_table} WHERE tenant_id = %s AND ({' OR '.join(where)}) "
           "LIMIT 5000")
    with connection.cursor() as cursor:
        cursor.execute(sql, [tenant_id, *params])
        vocabulary = {row[0] for row in cursor.fetchall()}
    found = {}
    for term in fixable:
        if term in vocabulary:
            continue
        limit = text.typo_limit(term)
        scored = sorted((d, c) for c in vocabulary if (d := text.distance(term, c, limit)) <= limit)
        if scored:
            found[term] = [c for _d, c in scored[:MAX_CORRECTIONS]]
    return found


def corrections(tenant_id: int, term: str) -> list[str]:
    """The tenant's stems within the typo limit of ``term``, nearest first (none when it is known)."""
    return corrections_for(tenant_id, [term]).get(term, [])


MAX_EXPANSIONS = 20


def _expanded(tenant_id: int, term: str) -> list[str] | None:
    """The known stems starting with ``term`` (the word being typed), when there are few of them.

    PostgreSQL estimates how many entries a prefix (``term:*``) matches badly and may then read
    every one of them; the same words listed exactly are estimated from the statistics. The
    vocabulary holds every stem of four letters or more, so the list is exactly what the prefix
    matches."""
    if len(term) < 4 or term.isdigit():
        return None
    found = list(SearchTerm.objects.for_tenant(tenant_id).filter(term__startswith=term)
                 .order_by("length", "term").values_list("term", flat=True)[:MAX_EXPANSIONS + 1])
    return found if len(found) <= MAX_EXPANSIONS else None


def _stems(query: str) -> list[str]:
    stems = list(dict.fromkeys(text.terms(query)))[:MAX_TERMS]
    return stems or list(dict.fromkeys(text.terms(query, keep_stopwords=True)))[:MAX_TERMS]


def _fts5_expression(token: str, groups, any_group: bool) -> str:
    parts = []
    for words, prefix in groups:
        options = [f'"{w}"' + ("*" if prefix else "") for w in words]
        parts.append("(" + " OR ".join(options) + ")")
    body = (" OR " if any_group else " AND ").join(parts)
    return f'tenant_token : "{token}" AND {{title_terms body_terms}} : ({body})'


def _tsquery(token: str, groups, any_group: bool) -> str:
    parts = []
    for words, prefix in groups:
        parts.append("(" + " | ".join(w + (":*" if prefix else "") for w in words) + ")")
    body = (" | " if any_group else " & ").join(parts)
    return f"{token} & ({body})" if token else body


def _filters(viewer: Viewer, kinds, language: str | None) -> tuple[str, list]:
    sql = [f"e.tenant_id = %s AND e.visibility IN ({', '.join(['%s'] * len(viewer.visibilities))})",
           "e.published_at IS NOT NULL AND e.published_at <= %s"]
    params: list = [viewer.tenant.pk, *[str(v) for v in viewer.visibilities],
                    connection.ops.adapt_datetimefield_value(timezone.now())]
    if language:
        sql.append("(e.language = '' OR e.language = %s)")
        params.append(language)
    if kinds:
        sql.append(f"e.kind IN ({', '.join(['%s'] * len(kinds))})")
        params.extend(kinds)
    return " AND ".join(sql), params


COLUMNS = "e.kind, e.object_id, e.title, e.excerpt, e.solved"


def _run(viewer: Viewer, groups, any_group: bool, kinds, language, limit: int) -> list[Hit]:
    token = tenant_token(viewer.tenant.pk)
    where, params = _filters(viewer, kinds, language)
    if connection.vendor == "postgresql":
        # Rank a LIMITed candidate set, not every match: the newest CANDIDATES entries matching in
        # the title and the newest matching anywhere (an index walk on searchentry_recent_idx when
        # the words are common, the GIN index when they are rare). A common word matches half of a
        # large index; ranking all of that is what made a search slow.
        candidates = ("(SELECT e.id FROM helpcenter_searchentry e WHERE e.{} @@ to_tsquery('simple', %s) "
                      f"AND {where} ORDER BY e.activity_at DESC LIMIT {CANDIDATES})")
        sql = (f"WITH c AS ({candidates.format('title_document')} UNION {candidates.format('document')}) "
               f"SELECT {COLUMNS}, ts_rank('{{0, 0, {BODY_WEIGHT / TITLE_WEIGHT}, 1}}', e.document, r) "
               f"* (CASE WHEN e.solved THEN {SOLVED_BOOST} ELSE 1.0 END) "
               "/ (1.0 + EXTRACT(EPOCH FROM (now() - e.activity_at)) / 31557600.0) AS score "
               "FROM c JOIN helpcenter_searchentry e ON e.id = c.id, to_tsquery('simple', %s) r "
               "ORDER BY score DESC, e.id DESC LIMIT %s")
        # The candidates' queries filter (tenant token and terms, through the GIN index); r ranks.
        params = [_tsquery(token, groups, any_group), *params,
                  _tsquery(token, groups, any_group), *params, _tsquery("", groups, any_group), limit]
    else:
        sql = (f"SELECT {COLUMNS}, -bm25(helpcenter_search_fts, 0.0, {TITLE_WEIGHT}, {BODY_WEIGHT}) "
               f"* (CASE WHEN e.solved THEN {SOLVED_BOOST} ELSE 1.0 END) "
               "/ (1.0 + (julianday('now') - julianday(e.activity_at)) / 365.25) AS score "
               "FROM helpcenter_search_fts JOIN helpcenter_searchentry e ON e.id = helpcenter_search_fts.rowid "
               f"WHERE helpcenter_search_fts MATCH %s AND {where} ORDER BY score DESC, e.id DESC LIMIT %s")
        params = [_fts5_expression(token, groups, any_group), *params, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [Hit(kind=kind, object_id=object_id, title=title, excerpt=excerpt, solved=bool(solved),
                score=float(score or 0)) for kind, object_id, title, excerpt, solved, score in rows]


def _attempt(viewer, groups, any_group, kinds, language, limit) -> list[Hit]:
    for lang in ((language, None) if language else (None,)):
        hits = _run(viewer, groups, any_group, kinds, lang, limit)
        if hits:
            return hits
    return []


def search(*, viewer: Viewer, query: str, limit: int = 20, kinds: tuple[str, ...] = (),
           language: str | None = None, prefix_last: bool = False) -> Result:
    """Hits the viewer may see, best first. ``prefix_last``: the last word is still being typed.

    All words as typed must match; when that finds too little (fewer than ``FEW_HITS``), words
    not in the tenant's vocabulary are widened to their nearest known stems (one query) and the
    search is run again; when nothing matches all words, any word may. Articles in the viewer's
    language first, then any language. At most eight queries, whatever the size of the index."""
    result = Result()
    query = (query or "").strip()[:200]
    if not query:
        return result
    stems = _stems(query)
    result.terms = stems
    if not stems:
        return result
    last = len(stems) - 1
    groups = [([term], prefix_last and i == last) for i, term in enumerate(stems)]
    if prefix_last and connection.vendor == "postgresql":
        expanded = _expanded(viewer.tenant.pk, stems[last])
        if expanded is not None:
            # No known word starts so: keep the prefix (it matches nothing, the typo path may help).
            groups[last] = (expanded, False) if expanded else groups[last]
    hits = _attempt(viewer, groups, False, kinds, language, limit)
    if len(hits) < FEW_HITS:
        fixed = corrections_for(viewer.tenant.pk, [t for i, t in enumerate(stems) if not (prefix_last and i == last)])
        if fixed:
            result.corrected = fixed
            groups = [([words[0], *fixed.get(words[0], [])], prefix) for words, prefix in groups]
            hits = _attempt(viewer, groups, False, kinds, language, limit) or hits
    if not hits and len(groups) > 1:
        hits = _attempt(viewer, groups, True, kinds, language, limit)
        result.relaxed = bool(hits)
    result.hits = hits
    return result
