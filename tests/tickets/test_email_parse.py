"""Parsing real-shaped mail: charsets, encoded headers and file names, HTML, quoting, auto-replies."""
from __future__ import annotations

import pytest

from tests.tickets.email_corpus.fixtures import corpus
from tickets.email.parse import (ParseError, hashed_message_id, html_to_text, is_bounce, parse_email,
                                 sanitize_html, split_reply, strip_quoted, subject_tokens)


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
def test_out_of_office_subjects_in_polish_and_english_only_flag_without_a_header(subject):
    raw = f"From: a@b.example.com\r\nSubject: {subject}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nx\r\n"
    parsed = parse_email(raw.encode())
    assert parsed.auto_reply_reason == "" and parsed.auto_reply_hint

    with_header = parse_email(raw.replace("Subject:", "X-Autoreply: yes\r\nSubject:").encode())
    assert with_header.auto_reply_reason == "X-Autoreply; out-of-office subject"


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
    assert forwarded.filename == "Reklamacja.eml" and forwarded.content_type == "message/rfc822"  # the part's own name
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


# --- real mail that went wrong: each case is a corpus message -----------------------------------


def test_answers_written_between_quoted_questions_are_new_text():
    parsed = parse_email(corpus("thunderbird_inline_answers.eml", PARENT_ID="q@wysylki.example.com"))
    new = parsed.display_text
    assert new.startswith("Dzień dobry, odpowiedzi poniżej.")
    assert "Wersja 5.2.1, zainstalowana w lutym." in new
    assert "Zebra ZD421, sterownik z płyty." in new and new.endswith("Kwiaciarnia Bukiet")
    assert "> 2. Czy błąd występuje na wszystkich stanowiskach?" in new  # the question answered stays with it


def test_an_inline_forward_is_new_text_and_only_the_trailing_quote_is_history():
    parsed = parse_email(corpus("gmail_inline_forward_bank.eml"))
    new, quoted = split_reply(parsed.text)
    assert "---------- Forwarded message ---------" in new
    assert "Pliki w kodowaniu Windows-1250 będą odrzucane z kodem błędu E-417." in new
    assert new.endswith("Dział Bankowości Elektronicznej")
    assert quoted.startswith("W dniu pt., 6 mar 2026") and "> Proszę przesłać odpowiedź banku" in quoted


def test_an_outlook_reply_keeps_the_text_above_its_header_block():
    parsed = parse_email(corpus("outlook_reply_pl.eml", PARENT_ID="p@x"))
    new, quoted = split_reply(parsed.text)
    assert new == "Dziękuję, po restarcie ceny się zapisują.\n\nJoanna Stolarczyk"
    assert "Od: Wysyłki Pro" in quoted and quoted.endswith("proszę uruchomić program ponownie.")


def test_an_outlook_forward_keeps_its_header_block():
    text = "Proszę o pomoc.\n\nOd: Bank <b@bank.example.net>\nWysłano: poniedziałek\nTemat: Odp\n\nTreść banku."
    assert split_reply(text, forwarded=True) == (text, "")
    assert split_reply(text)[0] == "Proszę o pomoc."


@pytest.mark.parametrize("name", ["iphone_sick_leave_subject.eml", "outlook_parental_leave_subject.eml"])
def test_requests_about_absences_and_leave_are_not_auto_replies(name):
    parsed = parse_email(corpus(name))
    assert parsed.auto_reply_reason == ""
    assert parsed.auto_reply_hint  # flagged for an agent, nothing more


def test_list_unsubscribe_alone_only_flags_and_list_id_discards():
    raw = b"From: a@b.example.com\r\nSubject: Faktura\r\nList-Unsubscribe: <mailto:u@b.example.com>\r\n\r\nx\r\n"
    assert parse_email(raw).auto_reply_reason == "" and parse_email(raw).auto_reply_hint
    assert parse_email(raw.replace(b"List-Unsubscribe", b"List-Id")).auto_reply_reason


def test_nul_and_control_characters_are_removed_from_subject_and_text():
    parsed = parse_email(corpus("nul_bytes_outlook.eml"))
    assert parsed.subject == "Etykiety DPD nie drukuj się"
    assert "numer przesyłki: 0000123456." in parsed.text
    assert not any(ord(ch) < 32 and ch not in "\t\n\r" for ch in parsed.text + parsed.subject + parsed.html)


def test_html_tables_keep_cells_and_rows_apart_and_lists_are_items():
    parsed = parse_email(corpus("outlook_html_table.eml"))
    lines = parsed.text.split("\n")
    assert "Numer | Kwota | Przewoźnik" in lines
    assert "ZN-4001 | 37,01 zł | InPost" in lines and "ZN-4002 | 112,50 zł | DPD" in lines
    assert "- cennik przewoźnika" in lines and "- ustawienia rabatu" in lines


def test_reply_to_is_read():
    parsed = parse_email(corpus("webform_reply_to.eml"))
    assert parsed.from_email == "formularz@wysylki.example.com"
    assert parsed.reply_to == [("Krzysztof Prądzyński", "krzysztof@elektromat.example.com")]


def test_a_long_subject_is_kept_whole():
    parsed = parse_email(corpus("outlook_long_subject.eml"))
    assert len(parsed.subject) > 300 and parsed.subject.endswith("termin mija 25 marca — KONIEC TEMATU")
    assert "JPK_V7M" in parsed.subject


def test_attached_messages_keep_their_part_names_without_path_separators():
    parsed = parse_email(corpus("forwarded_attachment_names.eml"))
    assert [a.filename for a in parsed.attachments] == ["Zwrot 03_2026 – kurier.eml", "message.eml"]
    assert all("/" not in a.filename and "\\" not in a.filename for a in parsed.attachments)


def test_a_report_about_two_recipients_names_only_the_failed_one():
    parsed = parse_email(corpus("bounce_two_recipients.eml", OUTBOUND_ID="out-2@wysylki.example.com"))
    assert parsed.bounce_original_ids == ["<out-2@wysylki.example.com>"]
    assert parsed.failed_recipients == {"magazyn@bukiet.example.com"}
    assert parsed.bounce_status == "5.2.2"


def test_a_report_block_with_an_empty_status_is_read_without_failing():
    raw = corpus("bounce_two_recipients.eml", OUTBOUND_ID="o@x").replace(b"Status: 5.2.2", b"Status: ")
    parsed = parse_email(raw)
    assert parsed.failed_recipients == {"magazyn@bukiet.example.com"}  # Action: failed is enough
