"""Uploaded files: names cannot escape the ticket's folder, types must match the bytes, size is capped."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tickets.attachments import MAX_BYTES, attachment_check, safe_filename

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\Windows\\win.ini.txt", "win.ini.txt"),
    ("/var/www/static/app.log", "app.log"),
    ("....//....//x.log", "x.log"),
    ("raport\x00.pdf", "raport.pdf"),
    ("..", "plik"),
    ("", "plik"),
    ("a|b;c`$(rm -rf).txt", "abc(rm -rf).txt"),
    ("Zażółć gęślą jaźń.pdf", "Zażółć gęślą jaźń.pdf"),
])
def test_file_names_lose_every_path_and_dangerous_character(name, expected):
    cleaned = safe_filename(name)
    assert cleaned == expected
    assert "/" not in cleaned and "\\" not in cleaned and not cleaned.startswith(".")


def test_a_very_long_name_is_cut_keeping_its_extension():
    cleaned = safe_filename("a" * 500 + ".pdf")
    assert cleaned.endswith(".pdf") and len(cleaned) <= 160


@pytest.mark.parametrize("name, content", [
    ("faktura.pdf", HTML),                # HTML posing as a PDF
    ("zrzut.png", PDF),                   # a PDF posing as an image
    ("zdjecie.jpg", PNG),                 # one image type posing as another
    ("archiwum.zip", b"MZ\x90\x00" + b"\x00" * 60),  # a Windows program posing as a ZIP
    ("dokument.docx", HTML),
    ("notatka.txt", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 32),  # binary posing as text
])
def test_spoofed_types_are_rejected(name, content):
    with pytest.raises(ValidationError):
        attachment_check(name, content)


@pytest.mark.parametrize("name", ["strona.html", "strona.htm", "obraz.svg", "program.exe", "skrypt.js",
                                  "makro.docm", "bez-rozszerzenia", "instalator.msi", "skrypt.sh"])
def test_types_a_browser_or_system_could_run_are_not_accepted(name):
    with pytest.raises(ValidationError):
        attachment_check(name, b"plain bytes")


def test_matching_files_are_accepted():
    assert attachment_check("faktura.pdf", PDF).content_type == "application/pdf"
    assert attachment_check("zrzut.png", PNG).content_type == "image/png"
    assert attachment_check("serwer.log", "błąd\n".encode()).content_type == "text/plain"


def test_size_limit_is_exact():
    assert attachment_check("duzy.log", b"a" * MAX_BYTES).content_type == "text/plain"
    with pytest.raises(ValidationError):
        attachment_check("za-duzy.log", b"a" * (MAX_BYTES + 1))
    with pytest.raises(ValidationError):
        attachment_check("pusty.log", b"")


def portal_file(client, demo, upload):
    from tickets.models import Category

    client.force_login(demo.user("pawel@novahurt.example.com"))
    category = Category.objects.for_tenant(demo.wysylki).filter(active=True).first()
    return client.post(reverse("portal:ticket_new"), {
        "category": category.pk, "subject": "Plik ZNACZNIK-ZALACZNIK", "body": "W załączniku.",
        "attachments": [upload]})


def test_a_traversal_name_uploaded_through_the_portal_is_stored_inside_the_ticket_folder(demo, client, settings,
                                                                                      tmp_path):
    from tickets.models import Attachment, Ticket

    settings.MEDIA_ROOT = str(tmp_path / "media")
    response = portal_file(client, demo, SimpleUploadedFile("../../../../tmp/evil.log", b"log line\n",
                                                            content_type="text/plain"))

    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Plik ZNACZNIK-ZALACZNIK")
    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.filename == "evil.log"
    assert attachment.file.name == f"attachments/{ticket.tenant_id}/{ticket.pk}/evil.log"
    stored = Path(attachment.file.path).resolve()
    assert stored.is_relative_to((tmp_path / "media").resolve())
    assert not (tmp_path / "evil.log").exists()


def test_a_spoofed_upload_through_the_portal_is_refused_with_a_message(demo, client, settings, tmp_path):
    from tickets.models import Ticket

    settings.MEDIA_ROOT = str(tmp_path / "media")
    response = portal_file(client, demo, SimpleUploadedFile("faktura.pdf", HTML, content_type="application/pdf"))

    assert response.status_code == 400
    assert "faktura.pdf" in response.content.decode()
    assert not Ticket.objects.filter(subject="Plik ZNACZNIK-ZALACZNIK").exists()


def test_an_oversize_upload_through_the_portal_is_refused(demo, client, settings, tmp_path):
    from tickets.models import Ticket

    settings.MEDIA_ROOT = str(tmp_path / "media")
    response = portal_file(client, demo, SimpleUploadedFile("duzy.log", b"a" * (MAX_BYTES + 1),
                                                            content_type="text/plain"))

    assert response.status_code == 400
    assert not Ticket.objects.filter(subject="Plik ZNACZNIK-ZALACZNIK").exists()
