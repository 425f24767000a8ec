"""Widgets built in Python (core.widget_rendering) give Django's templates' HTML, byte for byte."""
import datetime
import hashlib
import re
from decimal import Decimal
from pathlib import Path

import django
from django import forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.functional import lazy
from django.utils.safestring import mark_safe
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.widget_rendering import _WIDGETS, WidgetRenderer, render_widget

TEMPLATES = DjangoTemplates()
FAST = WidgetRenderer()
WIDGET_DIR = Path(django.__file__).parent / "forms" / "templates"

HOSTILE = ['"><script>alert(1)</script>', "a & b", "O'Reilly", "zażółć gęślą jaźń", "", " ", "%s %d",
           "{{ x }}", "line\nbreak", "\u202eRTL"]
values = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.sampled_from(HOSTILE), st.text(max_size=20),
                   st.just(mark_safe("<b>bezpieczne</b>")), st.just(Decimal("12.50")),
                   st.just(datetime.date(2026, 12, 2)), st.just((1, "krotka")))
attrs = st.dictionaries(st.sampled_from(["class", "placeholder", "data-x", "required", "disabled", "aria-label",
                                         "autofocus", "maxlength", 'x"y']), values, max_size=4)
WIDGETS = [forms.TextInput, forms.NumberInput, forms.EmailInput, forms.URLInput, forms.HiddenInput,
           forms.DateInput, forms.DateTimeInput, forms.TimeInput, forms.Textarea, forms.SearchInput,
           forms.TelInput, forms.ColorInput, lambda attrs: forms.PasswordInput(attrs, render_value=True)]


def both(widget, name, value, attrs=None):
    return (widget.render(name, value, attrs, renderer=TEMPLATES), widget.render(name, value, attrs, renderer=FAST))


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(WIDGETS), value=values, widget_attrs=attrs, render_attrs=attrs,
       name=st.sampled_from(["body", 'a"b', "<x>"]))
def test_inputs_and_textareas_match_the_templates(kind, value, widget_attrs, render_attrs, name):
    expected, fast = both(kind(widget_attrs), name, value, render_attrs)
    assert fast == expected


@hypothesis_settings(max_examples=200, deadline=None)
@given(value=values, widget_attrs=attrs)
def test_checkboxes_match_the_templates(value, widget_attrs):
    expected, fast = both(forms.CheckboxInput(widget_attrs), "flag", value)
    assert fast == expected


labels = st.one_of(st.sampled_from(HOSTILE), st.integers(0, 5000), st.just(mark_safe("<i>k</i>")))
choices = st.lists(st.tuples(st.one_of(st.integers(0, 9), st.sampled_from(HOSTILE)), labels), max_size=5)
groups = st.lists(st.one_of(st.tuples(st.integers(0, 9), labels),
                            st.tuples(st.sampled_from(HOSTILE + ["Grupa"]), choices)), max_size=4)


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(options=groups, value=st.one_of(st.none(), st.integers(0, 9), st.lists(st.integers(0, 9), max_size=3),
                                       st.sampled_from(HOSTILE)),
       multiple=st.booleans(), widget_attrs=attrs)
def test_selects_with_groups_match_the_templates(options, value, multiple, widget_attrs):
    widget = (forms.SelectMultiple if multiple else forms.Select)(widget_attrs, choices=options)
    expected, fast = both(widget, "pick", value)
    assert fast == expected


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(options=groups, value=st.one_of(st.none(), st.integers(0, 9), st.lists(st.integers(0, 9), max_size=3)),
       checkboxes=st.booleans(), widget_attrs=attrs, element_id=st.sampled_from(["", "id_kind", 'x"y']))
def test_radio_buttons_and_checkboxes_of_a_group_match_the_templates(options, value, checkboxes, widget_attrs,
                                                                      element_id):
    widget = (forms.CheckboxSelectMultiple if checkboxes else forms.RadioSelect)(widget_attrs, choices=options)
    render_attrs = {"id": element_id} if element_id else None
    expected, fast = both(widget, "kind", value, render_attrs)
    assert fast == expected


def test_the_buttons_of_a_bound_field_one_by_one_match_the_templates():
    class Form(forms.Form):
        kind = forms.ChoiceField(widget=forms.RadioSelect,
                                 choices=[("reply", "Odpowiedź <klient>"), ("note", "Notatka")])
        tags = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, choices=[(1, "a & b"), (2, "c")],
                                         required=False)

    def buttons(renderer):
        form = Form({"kind": "note", "tags": ["1"]}, renderer=renderer)
        return [str(button) for name in ("kind", "tags") for button in form[name]] + [str(form["kind"])]

    assert buttons(FAST) == buttons(TEMPLATES)


def test_file_inputs_match_the_templates_with_or_without_a_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    class Stored:
        url = "/media/a&b.pdf"

        def __str__(self):
            return "a&b.pdf"

    for widget, value in [(forms.ClearableFileInput(), None), (forms.ClearableFileInput({"multiple": False}), None),
                          (forms.FileInput(), None), (forms.ClearableFileInput(), Stored()),
                          (forms.ClearableFileInput(), SimpleUploadedFile("x.txt", b"x"))]:
        expected, fast = both(widget, "attachments", value)
        assert fast == expected


def test_lazy_labels_and_the_null_boolean_select_match():
    label = lazy(lambda: "Zamknięte <teraz>", str)()
    for widget, value in [(forms.Select(choices=[("", "---"), ("closed", label)]), "closed"),
                          (forms.NullBooleanSelect(), True), (forms.NullBooleanSelect(), None)]:
        expected, fast = both(widget, "status", value)
        assert fast == expected


def test_widgets_it_does_not_build_are_left_to_their_templates():
    for widget in [forms.SelectDateWidget(), forms.SplitDateTimeWidget(), forms.MultipleHiddenInput()]:
        context = widget.get_context("x", None, {})
        assert render_widget(widget.template_name, context) is None
        expected, fast = both(widget, "x", None)
        assert fast == expected
    # a value the templates would call is theirs to render
    assert render_widget("django/forms/widgets/input.html",
                         {"widget": {"type": "text", "name": "x", "value": lambda: "y", "attrs": {}}}) is None


# The templates core.widget_rendering copies, as Django 5.2 ships them (first 16 hex of their SHA-256).
COPIED = {"input.html": "770cf3acba1c18b6", "attrs.html": "f729483efe44660f", "textarea.html": "02fd58fa1a57514d",
          "select.html": "ed4d11ce3784486f", "select_option.html": "37fa6c7742580aa3",
          "input_option.html": "3f244d9fd96613d0", "multiple_input.html": "8f111646a577d9ae",
          "clearable_file_input.html": "d5dbf8c6d8a4eae9"}
INCLUDES = {
    **{name: "input" for name in ("text", "number", "email", "url", "password", "hidden", "date", "datetime",
                                  "time", "search", "tel", "color", "checkbox")},
    "radio_option": "input_option", "checkbox_option": "input_option",
    "radio": "multiple_input", "checkbox_select": "multiple_input",
}


def test_the_templates_it_replaces_are_the_ones_it_copies():
    """A Django upgrade that changes one of these templates fails here, not in a page."""
    widgets = WIDGET_DIR / "django/forms/widgets"
    for name, included in INCLUDES.items():
        assert f"django/forms/widgets/{name}.html" in _WIDGETS
        assert (widgets / f"{name}.html").read_text() == f'{{% include "django/forms/widgets/{included}.html" %}}\n'
    digests = {name: hashlib.sha256((widgets / name).read_text().encode()).hexdigest()[:16]
               for name in ("input.html", "attrs.html", "textarea.html", "select.html", "select_option.html",
                            "input_option.html", "multiple_input.html", "clearable_file_input.html")}
    assert digests == COPIED, "a widget template changed: compare it with core/widget_rendering.py"


def test_no_project_template_overrides_a_widget_it_builds():
    for directory in [Path(d) for engine in settings.TEMPLATES for d in engine["DIRS"]]:
        for name in _WIDGETS:
            assert not (directory / name).exists(), f"{directory / name} would be ignored"


def test_it_is_the_forms_renderer():
    assert isinstance(get_default_renderer(), WidgetRenderer)


def test_the_agent_ticket_page_is_the_same_with_either_renderer(demo, client, settings):
    from tests.tickets.ui_support import agent, contact, file_ticket

    ticket = file_ticket(contact("wysylki", "Paweł Nowicki"), "Drukarka <etykiet> & \"skaner\"")
    client.force_login(agent("wysylki", "agent@wysylki.example.com").user)

    def page(renderer: str) -> str:
        settings.FORM_RENDERER = renderer
        get_default_renderer.cache_clear()
        response = client.get(f"/agent/tickets/{ticket.pk}/")
        assert response.status_code == 200
        return re.sub(r'(csrfmiddlewaretoken" value="|nonce="|"X-CSRFToken": ")[^"]+', r"\1", response.content.decode())

    try:
        fast, templates = page("core.widget_rendering.WidgetRenderer"), page("django.forms.renderers.DjangoTemplates")
    finally:
        get_default_renderer.cache_clear()
    assert "<select" in fast and "<textarea" in fast and 'type="number"' in fast
    import difflib
    assert fast == templates, '\n'.join(difflib.unified_diff(templates.splitlines(), fast.splitlines(), lineterm=''))
