"""The text of a ticket's messages as HTML (Markdown for agents' replies and notes), image previews."""
from django import template

from tickets.text import message_html
from tickets.thumbnails import IMAGE_TYPES

register = template.Library()
register.filter("message_html", message_html)


@register.simple_tag
def image_types() -> frozenset[str]:
    """The attachment types that get a thumbnail in the thread."""
    return IMAGE_TYPES
