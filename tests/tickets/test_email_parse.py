"""Parsing real-shaped mail: charsets, encoded headers and file names, HTML, quoting, auto-replies."""
from __future__ import annotations

import pytest

from tests.tickets.email_corpus.fixtures import corpus
from tickets.email.parse import (ParseError, hashed_message_id, html_to_text, is_bounce, parse_email,
                                 sanitize_html, strip_quoted, subject_tokens)


def test_thunderbird_utf8_quoted_printable_keeps_polish_letters():
    parsed = parse_email(corpus("thunderbird_utf8.eml"))
    assert parsed.subject == "Błąd przy drukowaniu etykiety — zamówienie 123"
    assert "Zażółć gęślą jaźń — ĄĆĘŁŃÓŚŹŻ." in parsed.text
    assert parsed.from_email == "ewa@bukiet.example.com" and parsed.from_name == "Ewa Kwiatkowska"
    assert parsed.message_id == "<3f1c9a2e-7d44-4b1a-9c3e-1a2b3c4d5e6f@bukiet.example.com>"
    assert not parsed.message_id_generated and not parsed.auto_reply_reason


def test_outlook_windows_1250_text_html_and_encoded_file_name():
    parsed = parse_email(corpus("outlook_cp1250.eml"))
    assert parsed.subject == "Zmiany w cenniku przewoźnika się nie zapisują"
    assert "Żółta strzałka, łódź, gęś — ąćęłńóśźż." in parsed.text
    assert "przewoźnika" in parsed.html and "<style" not in parsed.html
    assert parsed.from_email == "joanna@meblex.example.com"  # addresses are compared lower-case
    [attachment] = parsed.attachments
    assert attachment.filename == "Cennik źródłowy.pdf" and attachment.content.startswith(b"%PDF-")


def test_iso_8859_2_reply_is_decoded_and_its_quote_stripped_for_display():
    parsed = parse_email(corpus("gmail_reply_iso88592.eml", PARENT_ID="abc@wysylki.example.com"))
    assert parsed.subject == "Re: [WYS-TICKET] Błąd przy drukowaniu etykiety"
    assert "Łucja z Bukietu" in parsed.text and "> prosimy zaktualizować" in parsed.text
    assert parsed.display_text.endswith("Łucja z Bukietu")
    assert "napisał(a)" not in parsed.display_text
    assert parsed.thread_ids == ["<abc@wysylki.example.com>"]


def test_html_only_mail_is_sanitised_and_rendered_as_text_with_its_inline_image():
    parsed = parse_email(corpus("html_only_inline_image.eml"))
    assert "<script" not in parsed.html and "onclick" not in parsed.html and "alert" not in parsed.html
    assert 'src="cid:zrzut1@novahurt"' in parsed.html
    assert "po kliknięciu Wyślij pojawia się błąd:" in parsed.text
    assert "- Kurier: DPD" in parsed.text and "alert" not in parsed.text
    [image] = parsed.attachments
    assert image.inline and image.filename == "zrzut.png" and image.content_id == "zrzut1@novahurt"


@pytest.mark.parametrize("name", ["autoreply_outlook_pl.eml", "autoreply_gmail_vacation.eml"])
def test_auto_replies_are_recognised(name):
    assert parse_email(corpus(name)).auto_reply_reason


@pytest.mark.parametrize("subject", ["Odpowiedź automatyczna: Re: zamówienie", "Out of Office: meeting",
                                     "Nieobecność w biurze", "Automatic reply: [WYS-1001] x", "RE: Poza biurem"])
def test_out_of_office_subjects_in_polish_and_english(subject):
    raw = f"From: a@b.example.com\r\nSubject: {subject}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nx\r\n"
    assert parse_email(raw.encode()).auto_reply_reason


def test_ordinary_mail_is_not_an_auto_reply():
    raw = b"From: a@b.example.com\r\nSubject: Urlopy w module kadr nie licza sie\r\nAuto-Submitted: no\r\n\r\nx\r\n"
    assert parse_email(raw).auto_reply_reason == ""


def test_delivery_status_report_names_the_returned_message():
    parsed = parse_email(corpus("bounce_postfix_dsn.eml", OUTBOUND_ID="sent-1@wysylki.example.com"))
    assert is_bounce(parsed)
    assert parsed.bounce_original_ids == ["<sent-1@wysylki.example.com>"]
    assert parsed.bounce_recipients == ["ewa@bukiet.example.com"] and parsed.bounce_status == "5.1.1"


def test_forwarded_message_is_kept_whole_as_an_eml_file():
    parsed = parse_email(corpus("forwarded_as_attachment.eml"))
    [forwarded] = parsed.attachments
    assert forwarded.filename == "Reklamacja przesyłki.eml" and forwarded.content_type == "message/rfc822"
    assert b"inner-99@example.net" in forwarded.content


def test_rfc2231_file_names():
    parsed = parse_email(corpus("rfc2231_rejected_attachment.eml"))
    assert [a.filename for a in parsed.attachments] == ["narzędzie diagnostyczne.exe", "dziennik_żółty.log"]


def test_broken_mime_without_message_id_gets_a_stable_hash_id_and_a_best_effort_text():
    raw = corpus("broken_mime_no_message_id.eml")
    parsed = parse_email(raw)
    assert parsed.message_id_generated and parsed.message_id == hashed_message_id(raw)
    assert parse_email(raw).message_id == parsed.message_id
    assert "Nie działa wydruk etykiet, proszę o pilny kontakt." in parsed.text  # unknown charset: cp1250 guess


def test_garbage_without_a_sender_cannot_be_parsed():
    with pytest.raises(ParseError, match="no sender"):
        parse_email(corpus("garbage_no_sender.eml"))
    with pytest.raises(ParseError):
        parse_email(b"")


def test_subject_tokens_and_quote_stripping_helpers():
    assert subject_tokens("Re: [WYS-1042] Błąd [KJM-7]") == [("WYS", 1042), ("KJM", 7)]
    assert strip_quoted("Nowa treść\n\nW dniu 3.03.2026 o 10:00, Jan pisze:\n> stare") == "Nowa treść"
    outlook = "Dziękuję\n\nOd: Pomoc <pomoc@x.example.com>\nWysłano: środa\nTemat: x\n\nstare"
    assert strip_quoted(outlook) == "Dziękuję"
    assert strip_quoted("> tylko cytat") == "> tylko cytat"
    assert html_to_text("<p>a&amp;b</p><br>c") .split() == ["a&b", "c"]
    assert sanitize_html('<a href="javascript:x()">k</a>') == '<a rel="noopener noreferrer nofollow">k</a>'
