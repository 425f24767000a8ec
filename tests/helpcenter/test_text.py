"""The pure text core: folding, the Polish stemmer, the typo distance, the Markdown sanitiser."""
import re

import pytest

from core import text
from core import markdown

TAG = re.compile(r"<[a-z][^>]*>", re.I)


def tags(html: str) -> str:
    """Only the real tags of the output: escaped text like "&lt;img onerror=…&gt;" is harmless."""
    return " ".join(TAG.findall(html)).lower()


@pytest.mark.parametrize("forms", [
    ["faktura", "fakturę", "faktury", "fakturami", "fakturach", "fakturze", "FAKTURA"],
    ["zamówienie", "zamówienia", "zamówień", "zamówieniami", "zamowienie"],
    ["przewoźnik", "przewoźnika", "przewoźników", "przewoźnikiem"],
    ["etykieta", "etykiety", "etykietę", "etykietami"],
    ["konfiguracja", "konfiguracji", "konfigurację"],
])
def test_inflected_forms_share_one_stem(forms):
    assert len({text.stem(text.fold(f)) for f in forms}) == 1


def test_folding_removes_polish_diacritics():
    assert text.fold("Zażółć GĘŚLĄ JAŹŃ") == "zazolc gesla jazn"


def test_short_words_and_numbers_are_kept():
    assert text.terms("DPD 4411 faktur") == ["dpd", "4411", "faktur"]


def test_stop_words_are_left_out_of_the_index():
    assert text.terms("jak to zrobić w programie") == ["zrob", "program"]


@pytest.mark.parametrize("a,b,expected", [("faktur", "faktur", 0), ("faktur", "fatkur", 1), ("faktur", "faktr", 1),
                                          ("etykiet", "etykiat", 1), ("kurier", "kuirer", 1), ("abc", "xyz", 3)])
def test_distance(a, b, expected):
    assert text.distance(a, b, 2) == expected


@pytest.mark.parametrize("hostile,forbidden", [
    ("<script>alert(1)</script>", "<script"),
    ("[kliknij](javascript:alert(1))", 'href="javascript'),
    ("[kliknij](JaVaScRiPt:alert(1))", "href="),
    ('<img src=x onerror="alert(1)">', "<img"),
    ("![x](data:image/png;base64,iVBORw0KGgo=)", "data:"),
    ("[x](data:text/html;base64,PHNjcmlwdD4=)", "href"),
    ('<a href="javascript:alert(1)">x</a>', "<a "),
    ("<iframe src=//evil.example.com></iframe>", "<iframe"),
    ('<div style="position:fixed">x</div>', "<div"),
    ("[x](vbscript:msgbox)", "href"),
    ('![x](https://example.com/a.png "t" onerror=alert(1))', "onerror="),
])
def test_hostile_markdown_is_neutralised(hostile, forbidden):
    html = tags(markdown.render(hostile))
    assert forbidden.lower() not in html
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html


def test_ordinary_markdown_survives_with_safe_links():
    html = markdown.render("# Tytuł\n\n**Pogrubienie**, `kod` i [strona](https://example.com).\n\n- a\n- b")
    assert "<h2>Tytuł</h2>" in html and "<strong>Pogrubienie</strong>" in html and "<code>kod</code>" in html
    assert 'href="https://example.com"' in html and 'rel="nofollow noopener noreferrer"' in html
    assert "<li>a</li>" in html
