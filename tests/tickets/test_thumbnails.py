"""Image previews: made on the server, with the file's permissions, never from a bomb or a non-image."""
import io

import pytest
from PIL import Image

from tests.tickets.ui_support import agent, contact
from tickets.attachments import attachment_check
from tickets.models import Attachment, Message, Ticket
from tickets.services import message_add, ticket_create


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def scene(demo, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = str(tmp_path)
    monkeypatch.setattr("core.outbox.wake", lambda task: None)
    customer = contact("wysylki", "Paweł Nowicki")
    member = agent("wysylki", "agent@wysylki.example.com")
    ticket = ticket_create(tenant=member.tenant, channel="portal", contact=customer, subject="Zrzut",
                           body="W załączniku zrzut ekranu.",
                           attachments=[attachment_check("ekran.png", _png(1200, 800)),
                                        attachment_check("log.txt", b"linia 1\nlinia 2\n")])
    note = message_add(tenant=member.tenant, ticket=ticket, body="Zrzut wewnętrzny", author_user=member.user,
                       internal=True, source=Message.Source.AGENT,
                       attachments=[attachment_check("wew.png", _png(50, 50))])
    files = {a.filename: a for a in Attachment.objects.filter(ticket=ticket)}
    return {"customer": customer, "agent": member, "ticket": ticket, "files": files, "note": note}


def test_agent_and_customer_get_a_small_png(scene, client):
    shot = scene["files"]["ekran.png"]
    client.force_login(scene["agent"].user)
    response = client.get(f"/agent/attachments/{shot.pk}/thumbnail/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert max(image.size) == 320 and image.size == (320, 213)  # the aspect ratio kept
    page = client.get(f"/agent/tickets/{scene['ticket'].pk}/").content.decode()
    assert f"/agent/attachments/{shot.pk}/thumbnail/" in page
    assert f"/agent/attachments/{scene['files']['log.txt'].pk}/thumbnail/" not in page

    client.force_login(scene["customer"].user)
    assert client.get(f"/portal/attachments/{shot.pk}/thumbnail/").status_code == 200
    page = client.get(f"/portal/tickets/{scene['ticket'].pk}/").content.decode()
    assert f"/portal/attachments/{shot.pk}/thumbnail/" in page


def test_no_preview_without_the_files_permission_or_for_non_images(scene, client):
    client.force_login(scene["customer"].user)
    # an internal note's image is staff-only, like the file itself
    assert client.get(f"/portal/attachments/{scene['files']['wew.png'].pk}/thumbnail/").status_code == 404
    assert client.get(f"/portal/attachments/{scene['files']['log.txt'].pk}/thumbnail/").status_code == 404
    # a customer of another organization
    client.force_login(contact("wysylki", "Krzysztof Prądzyński").user)
    assert client.get(f"/portal/attachments/{scene['files']['ekran.png'].pk}/thumbnail/").status_code == 404
    # another helpdesk's agent
    client.force_login(agent("kjm", "opiekun@kjm.example.com").user)
    assert client.get(f"/agent/attachments/{scene['files']['ekran.png'].pk}/thumbnail/").status_code == 404


def test_a_decompression_bomb_or_a_broken_image_gets_no_preview(scene, client, monkeypatch):
    client.force_login(scene["agent"].user)
    shot = scene["files"]["ekran.png"]
    monkeypatch.setattr("tickets.thumbnails.MAX_PIXELS", 1200 * 800 - 1)  # "too large" for this file
    assert client.get(f"/agent/attachments/{shot.pk}/thumbnail/").status_code == 404
    monkeypatch.setattr("tickets.thumbnails.MAX_PIXELS", 40_000_000)
    broken = Attachment.objects.get(pk=shot.pk)
    broken.file.save("zepsuty.png", io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64), save=True)
    assert client.get(f"/agent/attachments/{shot.pk}/thumbnail/").status_code == 404
    assert Ticket.objects.filter(pk=scene["ticket"].pk).exists()
