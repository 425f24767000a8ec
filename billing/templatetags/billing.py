"""Template helpers for billing figures."""
from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def hours(minutes) -> str:
    """Minutes as "7 h 30 min" / "45 min" / "0 h"."""
    if minutes is None or minutes == "":
        return ""
    minutes = int(minutes)
    sign = "-" if minutes < 0 else ""
    whole, rest = divmod(abs(minutes), 60)
    if whole and rest:
        return f"{sign}{whole} h {rest} min"
    if rest:
        return f"{sign}{rest} min"
    return f"{sign}{whole} h"
