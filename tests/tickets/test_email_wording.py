"""The restricted placeholder syntax of tenants' notification wording: what it accepts, how it renders."""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from tickets.email import wording
from tickets.email.wording import ACK, REPLY

VALUES = {"ticket_number": "WYS-1024", "ticket_subject": "Drukarka", "requester_name": "Jan Kowalski",
          "company": "Wysyłki", "deadline": "poniedziałek, 12:00", "notes": "", "message": "Proszę o logi.",
          "agent_name": "Anna Nowak"}


@pytest.mark.parametrize("kind,language", sorted(wording.DEFAULTS))
def test_the_default_wordings_pass_their_own_check(kind, language):
    subject, body = wording.DEFAULTS[(kind, language)]
    wording.check(kind, subject, body)


@pytest.mark.parametrize("body", [
    "{% load static %}{{ message }}",
    "{{ message }} {% debug %}",
    "{{ message|safe }}",
    "{{ message }} {{ ticket.tenant.support_email }}",
    "{{ message }} {{ settings.SECRET_KEY }}",
    "{{ message }} {# komentarz #}",
    "{{ message }} {{",
    "{{ message }} }}",
    "{{ message }} {{ password }}",
    "{{ message }} {{ MESSAGE }}",
    "{{ message }} {{ request.user }}",
])
def test_hostile_or_unknown_template_syntax_is_refused(body):
    with pytest.raises(ValidationError) as caught:
        wording.check(REPLY, "[{{ ticket_number }}]", body)
    assert "body" in caught.value.error_dict


def test_a_placeholder_of_another_kind_is_unknown_and_required_ones_are_kept():
    with pytest.raises(ValidationError) as caught:
        wording.check(ACK, "[{{ ticket_number }}]", "Odpowiedź: {{ message }}")  # no reply in an acknowledgement
    assert "{{ message }}" in " ".join(caught.value.error_dict["body"][0].messages)
    with pytest.raises(ValidationError) as caught:
        wording.check(REPLY, "Odpowiedź", "Bez treści odpowiedzi")
    assert set(caught.value.error_dict) == {"subject", "body"}  # the number and the reply itself are required
    with pytest.raises(ValidationError):
        wording.check(ACK, "[{{ ticket_number }}]\nBcc: ktos@example.com", "Treść")


def test_rendering_escapes_values_in_html_and_keeps_them_in_text():
    values = {**VALUES, "requester_name": '<img src=x onerror="alert(1)">', "ticket_subject": "A & B\r\nBcc: x@y.z"}
    mail = wording.render("[{{ ticket_number }}] {{ ticket_subject }}", "Dzień dobry {{ requester_name }},\n\nok",
                          values)
    assert mail.subject == "[WYS-1024] A & B Bcc: x@y.z"  # one line: no header injection
    assert "<img" not in mail.html and "&lt;img src=x" in mail.html
    assert mail.text.startswith('Dzień dobry <img src=x onerror="alert(1)">,')


def test_an_empty_placeholder_takes_its_space_and_optional_lines_go():
    values = {**VALUES, "requester_name": "", "deadline": ""}
    subject, body = wording.DEFAULTS[(ACK, "pl")]
    mail = wording.render(subject, body, values)
    assert mail.text.startswith("Dzień dobry,\n\ndziękujemy")
    assert "zareagujemy" not in mail.text and "\n\n\n" not in mail.text
    with_deadline = wording.render(subject, body, VALUES)
    assert "zareagujemy najpóźniej do: poniedziałek, 12:00." in with_deadline.text


def test_the_reply_alone_in_its_paragraph_is_put_in_as_sanitised_html():
    mail = wording.render("Re: [{{ ticket_number }}]", "{{ message }}\n\n--\n{{ agent_name }}", VALUES,
                          message_html="<p><strong>Proszę</strong> o logi.</p>")
    assert "<div><p><strong>Proszę</strong> o logi.</p></div>" in mail.html
    assert "<p>--<br>\nAnna Nowak</p>" in mail.html
    inline = wording.render("Re: [{{ ticket_number }}]", "Odpowiedź: {{ message }}", VALUES,
                            message_html="<p><strong>x</strong></p>")
    assert "<strong>" not in inline.html and "Odpowiedź: Proszę o logi." in inline.html


plain_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="{}%#"), max_size=60)
names = st.sampled_from(sorted(wording.PLACEHOLDERS[REPLY]))


@settings(max_examples=200, deadline=None)
@given(pieces=st.lists(st.one_of(plain_text, names.map(lambda n: "{{ %s }}" % n)), max_size=12),
       value=st.text(max_size=40))
def test_any_text_with_listed_placeholders_is_accepted_and_no_value_reaches_the_html_unescaped(pieces, value):
    body = "{{ message }}\n" + "".join(pieces)
    wording.check(REPLY, "[{{ ticket_number }}] {{ ticket_subject }}", body)
    values = {name: value for name in wording.PLACEHOLDERS[REPLY]}
    mail = wording.render("[{{ ticket_number }}] {{ ticket_subject }}", body, values)
    assert "\n" not in mail.subject and "\r" not in mail.subject
    inside = mail.html.split("<body", 1)[1].split(">", 1)[1].rsplit("</body>", 1)[0]
    for tag in ("<p>", "</p>", "<br>"):
        inside = inside.replace(tag, "")
    assert "<" not in inside and ">" not in inside  # the only markup is the renderer's own
    assert "{{" not in mail.text.replace(value, "")  # every placeholder was replaced


@settings(max_examples=200, deadline=None)
@given(before=plain_text, tag=st.sampled_from(["{%", "%}", "{#", "#}", "{{", "}}"]), after=plain_text)
def test_any_template_syntax_besides_placeholders_is_refused(before, tag, after):
    with pytest.raises(ValidationError):
        wording.check(REPLY, "[{{ ticket_number }}]", "{{ message }} " + before + tag + after)
