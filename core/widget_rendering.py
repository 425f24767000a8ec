"""Form widgets rendered in Python: the same HTML as Django's widget templates, without the templates.

Every field of a form renders its widget through the form renderer, and Django's renderer runs a
small template per widget (and one more for its attributes, and one per option of a select): the
agent's ticket page, with 18 fields, spent about a sixth of its rendering there (bench/README.md).
``WidgetRenderer`` builds the HTML of the plain widgets (the ``<input>`` family, ``<textarea>`` and
``<select>`` with their options) directly and leaves every other template, and any value the
templates would treat in a way of their own (a callable), to Django's templates.

The output is Django's, byte for byte, escaping included: ``tests/helpdesk/test_widget_rendering.py``
renders the same widgets both ways, hostile values among them. A project template overriding one of
these widget templates would not be seen: that test also checks that there is none.
"""
from __future__ import annotations

from collections.abc import Callable

from django.forms.renderers import DjangoTemplates
from django.template.base import render_value_in_context
from django.template.context import Context
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe

_CONTEXT = Context()  # what a widget template's variables are rendered with: autoescape on, defaults


class _Unhandled(Exception):
    """A value the templates would resolve in a way of their own: let them render it."""


def _plain(value):
    if callable(value):
        raise _Unhandled
    return value


def _var(value) -> str:
    """``{{ value }}``"""
    return render_value_in_context(_plain(value), _CONTEXT)


def _formatted(value) -> str:
    """``{{ value|stringformat:'s' }}``"""
    value = _plain(value)
    if isinstance(value, tuple):
        value = str(value)
    try:
        text = "%s" % value
    except (ValueError, TypeError):
        text = ""
    return conditional_escape(mark_safe(text) if isinstance(value, SafeData) else text)


def _attrs(widget: dict) -> str:
    """``django/forms/widgets/attrs.html``"""
    parts = []
    for name, value in _plain(widget["attrs"]).items():
        value = _plain(value)
        if value is False:
            continue
        parts.append(f" {_var(name)}" if value is True else f' {_var(name)}="{_formatted(value)}"')
    return "".join(parts)


def _input(widget: dict) -> str:
    """``django/forms/widgets/input.html``"""
    value = _plain(widget["value"])
    shown = "" if value is None else f' value="{_formatted(value)}"'
    return f'<input type="{_var(widget["type"])}" name="{_var(widget["name"])}"{shown}{_attrs(widget)}>\n'


def _textarea(widget: dict) -> str:
    value = _plain(widget["value"])
    return f'<textarea name="{_var(widget["name"])}"{_attrs(widget)}>\n{_var(value) if value else ""}</textarea>\n'


def _option(option: dict) -> str:
    return f'<option value="{_formatted(option["value"])}"{_attrs(option)}>{_var(option["label"])}</option>\n'


def _select(widget: dict) -> str:
    parts = [f'<select name="{_var(widget["name"])}"{_attrs(widget)}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_var(group_name)}">')
        for option in group_choices:
            if option.get("template_name") != "django/forms/widgets/select_option.html":
                raise _Unhandled
            parts.append("\n  " + _option(option))
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>\n")
    return "".join(parts)


def _input_option(option: dict) -> str:
    """``django/forms/widgets/input_option.html``: a radio button or checkbox of a group"""
    if not option.get("wrap_label"):
        return _input(option) + "\n"
    element_id = option["attrs"].get("id")
    label_for = f' for="{_var(element_id)}"' if element_id else ""
    return f'<label{label_for}>{_input(option)} {_var(option["label"])}</label>\n'


def _multiple_input(widget: dict) -> str:
    """``django/forms/widgets/multiple_input.html``: radio buttons or checkboxes"""
    attrs = widget["attrs"]
    element_id, css = attrs.get("id"), attrs.get("class")
    shown_id = f' id="{_var(element_id)}"' if element_id else ""
    shown_class = f' class="{_var(css)}"' if css else ""
    parts = [f"<div{shown_id}{shown_class}>"]
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(f"\n  <div><label>{_var(group)}</label>")
        for option in options:
            build = _OPTIONS.get(option.get("template_name"))
            if build is None:
                raise _Unhandled
            parts.append(f"<div>\n    {build(option)}</div>")
        if group:
            parts.append("\n  </div>")
    parts.append("\n</div>\n")
    return "".join(parts)


def _file(widget: dict) -> str:
    """``django/forms/widgets/clearable_file_input.html`` with no file yet (a file already there: the template)"""
    if widget.get("is_initial"):
        raise _Unhandled
    return f'\n<input type="{_var(widget["type"])}" name="{_var(widget["name"])}"{_attrs(widget)}>\n'


def _included(build: Callable[[dict], str]) -> Callable[[dict], str]:
    """A template that is an ``{% include %}`` of the one ``build`` copies, and its own newline."""
    return lambda widget: build(widget) + "\n"


_WIDGETS: dict[str, Callable[[dict], str]] = {
    "django/forms/widgets/input.html": _input,
    **{f"django/forms/widgets/{name}.html": _included(_input)
       for name in ("text", "number", "email", "url", "password", "hidden", "date", "datetime", "time",
                    "search", "tel", "color", "checkbox")},
    "django/forms/widgets/textarea.html": _textarea,
    "django/forms/widgets/select.html": _select,
    "django/forms/widgets/select_option.html": _option,
    "django/forms/widgets/input_option.html": _input_option,
    "django/forms/widgets/multiple_input.html": _multiple_input,
    "django/forms/widgets/clearable_file_input.html": _file,
}
_OPTIONS = {f"django/forms/widgets/{name}_option.html": _included(_input_option) for name in ("radio", "checkbox")}
_WIDGETS.update(_OPTIONS)
_WIDGETS.update({f"django/forms/widgets/{name}.html": _included(_multiple_input)
                 for name in ("radio", "checkbox_select")})


def render_widget(template_name: str, context: dict) -> str | None:
    """The widget's HTML, or ``None`` when its template must render it."""
    build = _WIDGETS.get(template_name)
    if build is None or "widget" not in context:
        return None
    try:
        # Django's renderer strips what a template renders
        return build(context["widget"]).strip()
    except (_Unhandled, KeyError, AttributeError, TypeError):
        return None  # not the shape Django's own widgets give: their template renders it


class WidgetRenderer(DjangoTemplates):
    """Django's default form renderer, with the plain widgets built in Python (``FORM_RENDERER``)."""

    def render(self, template_name, context, request=None):
        if request is None:
            html = render_widget(template_name, context)
            if html is not None:
                return html
        return super().render(template_name, context, request=request)
