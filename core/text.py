"""Polish text for search: lower case, no diacritics, a small suffix-stripping stemmer, typo distance.

Pure functions (no database). The same ``terms()`` runs over the indexed text and over a query, so
"faktura", "fakturę", "faktury" and "fakturami" all become "faktur" on both sides. The stemmer is
deliberately light: it strips the commonest inflectional endings of nouns, adjectives and verbs and
never leaves a stem shorter than three letters; stem alternations ("faktura" / "fakturze" works,
"drukarka" / "drukarce" does not) are left to the typo tolerance.
"""
from __future__ import annotations

import re
import unicodedata

_FOLD = str.maketrans({"ł": "l", "Ł": "l"})
_WORD = re.compile(r"[0-9a-z]+")

# Longest first; checked in this order.
SUFFIXES = sorted({
    # verbs and verbal nouns
    "owaniami", "owaniach", "owaniem", "owania", "owanie", "owaniu", "owanych", "owanym", "owana", "owane", "owany",
    "owanej", "owanego", "owanemu", "owanymi",
    "owac", "owal", "owala", "owali", "uje", "ujesz", "ujemy", "ujecie", "uja", "ujac",
    "ac", "ic", "yc", "esz", "emy", "ecie",
    # nouns
    "iami", "iach", "ami", "ach", "iom", "iow", "om", "ow", "iem", "em", "ie", "ia", "iu", "ze",
    # adjectives
    "owego", "owemu", "owych", "owymi", "owej", "ego", "emu", "ych", "ich", "ymi", "imi", "iej", "ej", "ym", "im",
    "owy", "owa", "owe",
    # single letters
    "a", "e", "i", "o", "u", "y",
}, key=len, reverse=True)

MIN_STEM = 3
STOPWORDS = frozenset("""
a aby ale albo ani az bo by byc byl byla bylo co czy dla do gdy gdzie i ich im jak jaki jakie jest juz
ktora ktore ktory lub ma mam mi mnie na nad nie niz o od po pod przez przy sa sie so ta tak te tego tej ten
to tu tym u w we z za ze i the of and or to in is on for it how
""".split())


def fold(text: str) -> str:
    """Lower case without diacritics: "Zażółć GĘŚLĄ" → "zazolc gesla"."""
    text = (text or "").translate(_FOLD).lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def stem(word: str) -> str:
    if len(word) <= MIN_STEM or word.isdigit():
        return word
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            return word[: -len(suffix)]
    return word


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def terms(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """The stems of a text in order (stop words left out unless asked for)."""
    return [stem(w)[:64] for w in words(text) if keep_stopwords or w not in STOPWORDS]


def index_text(text: str) -> str:
    return " ".join(terms(text))


def distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal string alignment distance (a swap of two neighbours counts once), capped at ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def typo_limit(term: str) -> int:
    """How many edits a word of this length may contain and still be recognised."""
    return 0 if len(term) < 4 else 1 if len(term) < 8 else 2
