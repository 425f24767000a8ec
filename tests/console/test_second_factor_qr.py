"""The TOTP setup page shows the otpauth URI as a QR code drawn on the server, and the key as text."""
from __future__ import annotations

import re

import pytest
import segno
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from console.qr import qr_svg

pytestmark = pytest.mark.django_db


def test_setup_page_shows_the_qr_code_of_the_pending_device_and_the_key(demo, client):
    agent = demo.user("agent@wysylki.example.com")
    client.force_login(agent)
    page = client.get(reverse("account:second_factor"))
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=agent, confirmed=False)
    figure = re.search(r'<figure class="qr-figure" id="otp-qr">(.*?)</figure>', html, re.S).group(1)
    # the drawing is exactly the symbol of this device's URI (another secret draws other modules)
    assert figure.strip() == str(qr_svg(device.config_url, title=page.context["qr"].split("<title>")[1]
                                        .split("</title>")[0])).strip()
    assert qr_svg(device.config_url) != qr_svg(device.config_url.replace("secret=", "secret=A"))
    assert page.context["secret"] in html and "<script" not in figure
    assert 'id="otp-secret"' in html and 'id="otp-uri"' in html


def test_qr_svg_escapes_a_hostile_title_and_encodes_any_text():
    svg = str(qr_svg('otpauth://totp/"><script>alert(1)</script>?secret=ABC', title="<img src=x onerror=1>"))
    assert svg.startswith("<svg") and "<script" not in svg and "<img" not in svg
    assert "&lt;img" in svg
    modules = segno.make('otpauth://totp/"><script>alert(1)</script>?secret=ABC', error="m", micro=False)
    assert f'width="{(modules.symbol_size(scale=5, border=4))[0]}"' in svg
