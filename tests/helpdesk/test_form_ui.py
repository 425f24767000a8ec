"""{% field_row %}: a field with its label, required mark, widget, help text and errors."""
from django import forms
from django.template import Context, Template


class Form(forms.Form):
    subject = forms.CharField(label="Temat <b>", help_text="Krótko & konkretnie")
    note = forms.CharField(label="Notatka", required=False, widget=forms.Textarea)
    urgent = forms.BooleanField(label="Pilne", required=False)


def render(text: str, **context) -> str:
    return Template(text).render(Context(context))


def test_a_required_field_with_help_text_and_its_error():
    form = Form({"subject": ""})
    html = render('{% field_row form.subject field_id="subject-row" %}', form=form)
    assert html.startswith('<div class="field field--text field--error" id="subject-row">')
    assert '<label for="id_subject">Temat &lt;b&gt;<span class="req" aria-hidden="true"> *</span></label>' in html
    assert 'name="subject"' in html and 'aria-describedby="id_subject_helptext id_subject_error"' in html
    assert '<p class="help" id="id_subject_helptext">Krótko &amp; konkretnie</p>' in html
    assert '<div id="id_subject_error"><p class="error" role="alert">' in html
    assert html.count('<p class="error" role="alert">') == 1
    assert html.endswith("</div>")


def test_an_optional_field_and_a_checkbox():
    form = Form()
    note = render("{% field_row form.note %}", form=form)
    assert '<div class="field field--textarea">' in note and '<span class="req"' not in note and "<textarea" in note
    urgent = render("{% field_row form.urgent %}", form=form)
    assert '<div class="check"><input type="checkbox" name="urgent"' in urgent
    assert '<label for="id_urgent">Pilne</label></div>' in urgent


def test_a_field_the_form_does_not_have_renders_nothing():
    assert render("[{% field_row form.missing %}]", form=Form()) == "[]"
