"""``{% field_row form.field %}``: a form field as the pages show it — its label (with a mark when it
is required), its widget, its help text and its errors — in one ``div.field``.

Built in Python, not included from a template: a page renders up to some twenty fields, and an
included template cost about a third of a millisecond each (bench/README.md). A template builtin
(``TEMPLATES`` in the settings): every template may use it without loading it.
"""
from __future__ import annotations

from django import template
from django.forms.boundfield import BoundField
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_REQUIRED = mark_safe('<span class="req" aria-hidden="true"> *</span>')


@register.simple_tag
def field_row(field: BoundField | None, field_id: str = "") -> SafeString:
    if not isinstance(field, BoundField):
        return mark_safe("")  # a field the form does not have (the page shows nothing for it)
    widget_type = field.widget_type
    errors = field.errors
    label_for = field.id_for_label
    parts = [format_html('<div class="field field--{}{}"{}>\n', widget_type, " field--error" if errors else "",
                         format_html(' id="{}"', field_id) if field_id else "")]
    if widget_type == "checkbox":
        parts.append(format_html('  <div class="check">{}<label for="{}">{}</label></div>\n',
                                 field, label_for, field.label))
    else:
        parts.append(format_html('  <label for="{}">{}{}</label>\n  {}\n', label_for, field.label,
                                 _REQUIRED if field.field.required else "", field))
    if field.help_text:
        parts.append(format_html('  <p class="help" id="{}_helptext">{}</p>\n', field.auto_id, field.help_text))
    if errors:
        # The widget names this element in its aria-describedby (Django's "<id>_error").
        parts.append(format_html('  <div id="{}_error">{}</div>\n', field.auto_id, format_html_join(
            "", '<p class="error" role="alert">{}</p>', ((error,) for error in errors))))
    parts.append("</div>")
    return mark_safe("".join(parts))  # every part but the closing tag is escaped by format_html
