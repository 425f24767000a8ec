"""Headless Chromium (Debian's, no download) for the browser tests: one fixture for every module.

A module that visits the demo tenants' host names (``*.localhost``) sets ``EXTRA_ARGS`` to map them."""
import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
LOCALHOST_HOSTS = ["--host-resolver-rules=MAP *.localhost 127.0.0.1"]


@pytest.fixture
def browser(request):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=ARGS + getattr(request.module, "EXTRA_ARGS", []))
        yield browser
        browser.close()
