"""Ranked search for a viewer, on PostgreSQL (tsvector + GIN) or SQLite (FTS5), behind one function.

Query → stems (``core.text.terms``) → each stem, or its nearest known stems when it is not in
the tenant's vocabulary (a typo), or a prefix when it is the word being typed → all groups must
match; when that finds nothing, any group may. Ranking: the engine's relevance with the title
weighted ten times the body (PostgreSQL: weights A and B; SQLite: bm25 column weights), times 1.5
for a solved topic or an article, divided by 1 + the age in years.
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


def _known(tenant_id: int, terms: list[str]) -> set[str]:
    return set(SearchTerm.objects.for_tenant(tenant_id).filter(term__in=terms).values_list("term", flat=True))


def corrections(tenant_id: int, term: str) -> list[str]:
    """The tenant's stems within the typo limit of ``term``, nearest first."""
    limit = text.typo_limit(term)
    if limit == 0:
        return []
    near = SearchTerm.objects.for_tenant(tenant_id).filter(length__gte=len(term) - limit,
                                                           length__lte=len(term) + limit)
    # A typo rarely hits the first letter: that filter keeps the candidates few on any database.
    # With pg_trgm, words sharing trigrams are added (a typo in the first letter is found too).
    candidates = set(near.filter(term__startswith=term[0]).values_list("term", flat=True)[:5000])
    if _trigram_available():
        candidates |= set(near.extra(where=["term %% %s"], params=[term]).values_list("term", flat=True)[:500])
    scored = []
    for candidate in candidates:
        d = text.distance(term, candidate, limit)
        if d <= limit:
            scored.append((d, candidate))
    return [c for _d, c in sorted(scored)[:MAX_CORRECTIONS]]


def _groups(tenant_id: int, query: str, prefix_last: bool, result: Result) -> list[tuple[list[str], bool]]:
    stems = list(dict.fromkeys(text.terms(query)))[:MAX_TERMS]
    if not stems:
        stems = list(dict.fromkeys(text.terms(query, keep_stopwords=True)))[:MAX_TERMS]
    result.terms = stems
    known = _known(tenant_id, stems)
    groups = []
    for position, term in enumerate(stems):
        is_last = position == len(stems) - 1
        if term in known or len(term) < 4:
            groups.append(([term], prefix_last and is_last))
            continue
        fixed = corrections(tenant_id, term)
        if fixed:
            result.corrected[term] = fixed
        groups.append(([term, *fixed], prefix_last and is_last))
    return groups


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
        sql = (f"SELECT {COLUMNS}, ts_rank('{{0, 0, {BODY_WEIGHT / TITLE_WEIGHT}, 1}}', e.document, r) "
               f"* (CASE WHEN e.solved THEN {SOLVED_BOOST} ELSE 1.0 END) "
               "/ (1.0 + EXTRACT(EPOCH FROM (now() - e.activity_at)) / 31557600.0) AS score "
               "FROM helpcenter_searchentry e, to_tsquery('simple', %s) q, to_tsquery('simple', %s) r "
               f"WHERE e.document @@ q AND {where} ORDER BY score DESC, e.id DESC LIMIT %s")
        # q filters (tenant token and terms, through the GIN index); r ranks (the terms alone).
        params = [_tsquery(token, groups, any_group), _tsquery("", groups, any_group), *params, limit]
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


def search(*, viewer: Viewer, query: str, limit: int = 20, kinds: tuple[str, ...] = (),
           language: str | None = None, prefix_last: bool = False) -> Result:
    """Hits the viewer may see, best first. ``prefix_last``: the last word is still being typed."""
    result = Result()
    query = (query or "").strip()[:200]
    if not query:
        return result
    groups = _groups(viewer.tenant.pk, query, prefix_last, result)
    if not groups:
        return result
    for any_group in ((False, True) if len(groups) > 1 else (False,)):
        for lang in ((language, None) if language else (None,)):
            hits = _run(viewer, groups, any_group, kinds, lang, limit)
            if hits:
                result.hits, result.relaxed = hits, any_group
                return result
    return result
