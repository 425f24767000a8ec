"""Text as it may be stored: one cleaning step shared by every channel (mail, portal, API)."""
from __future__ import annotations

import re

# C0 controls except TAB, LF and CR. PostgreSQL refuses NUL in text; the others are invisible noise
# that breaks search, exports and the HTML escaping of the thread.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Lone surrogates (undecodable header bytes kept by the e-mail parser) cannot be encoded as UTF-8.
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")


def clean_text(value: str | None) -> str:
    """``value`` without C0 control characters (TAB, LF and CR stay) and without lone surrogates."""
    if not value:
        return ""
    value = _CONTROL_RE.sub("", value)
    if _SURROGATE_RE.search(value):
        value = _SURROGATE_RE.sub("\ufffd", value)
    return value


def message_html(message) -> str:
    """A message's text as safe HTML: agents write Markdown (``core.markdown.render_message``, sanitised
    by nh3); what customers send is shown as they wrote it, line breaks kept."""
    from django.utils.html import linebreaks
    from django.utils.safestring import mark_safe

    from core.markdown import render_message

    if message.source == "agent":
        return mark_safe(render_message(message.body))  # noqa: S308 (nh3 allow-list output)
    return mark_safe(linebreaks(message.body, autoescape=True))  # noqa: S308 (escaped by linebreaks)
