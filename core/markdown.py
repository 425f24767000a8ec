"""Markdown to safe HTML: markdown-it-py with raw HTML off, then nh3 with a strict allow-list.

Everything people write in the help center (articles, posts, suggestions, answers) goes through
``render``; agents' replies and notes on tickets through ``render_message`` (a line break stays a
line break, as in an e-mail, and no image is loaded from elsewhere: no tracking pixels). Raw HTML
in the source is shown as text; links and images may only use http(s), mailto or a relative URL
(no ``javascript:``, ``data:`` or ``vbscript:``); no attribute can carry a script (``on*``) or a style.
Links get ``rel="nofollow noopener noreferrer"``.
"""
from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"])

TAGS = {"p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "kbd"}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"},
              "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


def _demote_headings(html: str) -> str:
    # The page's own <h1> is the article's title; a "# heading" of the text becomes an <h2>.
    return html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")


def render(source: str) -> str:
    html = _demote_headings(_md.render(source or ""))
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="nofollow noopener noreferrer", strip_comments=True)


def plain(source: str, limit: int = 300) -> str:
    """The text without markup, for excerpts and the search index."""
    text = nh3.clean(_md.render(source or ""), tags=set(), attributes={})
    text = html.unescape(" ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


_md_message = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False,
                                        "breaks": True}).enable(["table", "strikethrough"])
MESSAGE_TAGS = TAGS - {"img", "h2"}


def render_message(source: str) -> str:
    """An agent's reply or note as safe HTML: Markdown (**bold**, > quote, lists, `code`, links)."""
    html = _md_message.render(source or "").replace("<h1>", "<h3>").replace("</h1>", "</h3>")
    html = html.replace("<h2>", "<h3>").replace("</h2>", "</h3>")
    return nh3.clean(html, tags=MESSAGE_TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="nofollow noopener noreferrer", strip_comments=True)
