"""The text of a ticket's messages as HTML (Markdown for agents' replies and notes)."""
from django import template

from tickets.text import message_html

register = template.Library()
register.filter("message_html", message_html)
