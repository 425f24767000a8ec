"""The settings pages and the admin, rendered in Polish: no English string, no "(a)(-ło)" forms.

A rendered text is English when it is the source text of a translation catalog the project uses
(its own, Django's admin and auth, django-axes, django-celery-beat) or the English name of a model,
field or app, and its Polish rendering is not the same text.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from tickets.models import CannedReply, Mailbox

pytestmark = pytest.mark.django_db

GENDER_FORMS = re.compile(r"\((?:a|-?\w{1,4})\)\((?:-?\w{1,4})\)|\(a\)|kolejne\(go\)|został\(")
SKIP_TAGS = {"script", "style", "code", "pre", "option"}


def _catalog_msgids(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    ids = set()
    for block in text.split("\n\n"):
        if "\n#~ " in "\n" + block:
            continue
        match = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        if match:
            ids.add("".join(re.findall(r'"(.*)"', match.group(1))).replace('\\"', '"'))
    return {i for i in ids if i}


def _sources() -> set[str]:
    import axes
    import django
    import django_celery_beat

    django_dir = Path(django.__file__).parent
    catalogs = [Path(settings.BASE_DIR) / "locale/pl/LC_MESSAGES/django.po",
                django_dir / "contrib/admin/locale/pl/LC_MESSAGES/django.po",
                django_dir / "contrib/auth/locale/pl/LC_MESSAGES/django.po",
                Path(axes.__file__).parent / "locale/pl/LC_MESSAGES/django.po",
                # no Polish catalog: its German one lists the English source texts
                Path(django_celery_beat.__file__).parent / "locale/de/LC_MESSAGES/django.po"]
    texts = set().union(*(_catalog_msgids(p) for p in catalogs if p.exists()))
    with translation.override("en"):
        for config in apps.get_app_configs():
            texts.add(str(config.verbose_name))
        for model in apps.get_models():
            texts |= {str(model._meta.verbose_name), str(model._meta.verbose_name_plural)}
            texts |= {str(f.verbose_name) for f in model._meta.get_fields() if hasattr(f, "verbose_name")}
    english = set()
    with translation.override("pl"):
        for text in texts:
            if "%" in text or "{" in text or len(text) < 3 or not re.search(r"[a-z]", text):
                continue
            if text not in UNTRANSLATED_OK:
                english.add(text)
    return english


# Source texts that are the same in Polish (names, codes, loanwords).
UNTRANSLATED_OK = {"API", "E-mail", "e-mail", "Webhook", "webhook", "URL", "Cron", "SLA", "IMAP", "LMTP", "PDF", "CSV",
                   "ID", "IP", "Status", "status", "Helpdesk", "helpdesk", "Login", "login", "Axes", "OK", "Portal",
                   "forum", "Forum", "Plan", "plan", "PLN", "Token", "token", "Python", "Port", "port", "Folder",
                   "folder",
                   # codes of the demo data shown as data (a category, a calendar, a periodic task)
                   "development", "critical", "heartbeat",
                   # django-celery-beat's verbose name written without gettext: no catalog can translate it
                   "Task Name"}


class _Texts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS:
            self._skip += 1
        for name, value in attrs:
            if value and (name in ("title", "placeholder", "aria-label")
                          or (name == "value" and ("type", "submit") in attrs)):
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data)


def _untranslated(html: str, english: set[str]) -> list[str]:
    parser = _Texts()
    parser.feed(html)
    found = []
    for raw in parser.texts:
        text = " ".join(raw.split())
        bare = text.rstrip(":.?! ").strip()
        if GENDER_FORMS.search(text) or bare in english or bare[:1].lower() + bare[1:] in english:
            found.append(text)
    return found


def _admin_urls(client) -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        for view in ("changelist", "add"):
            try:
                urls.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}"))
            except NoReverseMatch:
                continue
    return urls


def _pages(client, urls, english):
    problems = {}
    for url in urls:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="pl")
        if response.status_code != 200:
            continue
        found = _untranslated(response.content.decode(), english)
        if found:
            problems[url] = sorted(set(found))
    return problems


@pytest.fixture(scope="module")
def english():
    return _sources()


def test_the_detector_finds_english_and_gender_forms(english):
    assert "Select %s to change" not in english  # placeholders are never compared whole
    assert "periodic tasks" in english and "outbound messages" in english
    assert _untranslated("<h1>Periodic Tasks</h1><p>Zadania okresowe</p>", english) == ["Periodic Tasks"]
    assert _untranslated("<p>Dodaj kolejne(go)(-ną)(-ny) plan</p>", english)
    assert _untranslated('<input type="submit" value="Save and add another">', english)
    assert not _untranslated("<p>Plany i warunki</p><code>periodic tasks</code>", english)


def test_settings_pages_in_polish(demo, client, english):
    client.force_login(demo.user("admin@wysylki.example.com"))
    plan, calendar = demo.plan("wysylki", "email"), demo.calendar("wysylki", "email")
    urls = [reverse(name) for name in ("console:index", "console:plan_list", "console:calendar_list", "console:team",
                                       "console:security", "console:audit_log", "account:second_factor",
                                       "console:api_tokens", "console:webhook_list", "console:catalogue",
                                       "console:mailbox_list", "console:mailbox_new", "console:canned_list",
                                       "console:canned_new", "console:email_template_list", "console:help_center")]
    urls += [reverse("console:email_template_edit") + f"?kind={kind}&language=pl" for kind in ("ack", "reply")]
    urls += [reverse("console:canned_edit", args=[CannedReply.objects.for_tenant(demo.wysylki).first().pk])]
    mailbox = Mailbox(tenant=demo.wysylki, name="Pomoc", host="imap.example.com", username="pomoc@example.com",
                      last_error="LOGIN failed")
    mailbox.password = "x"
    mailbox.save()
    urls += [reverse("console:mailbox_edit", args=[mailbox.pk])]
    urls += [reverse("console:plan_terms_edit", args=[plan.pk]), reverse("console:plan_history", args=[plan.pk]),
             reverse("console:calendar_edit", args=[calendar.pk])]
    assert _pages(client, urls, english) == {}
    preview = client.post(reverse("console:calendar_edit", args=[calendar.pk]), {"action": "preview"})
    assert not _untranslated(preview.content.decode(), english)


def test_admin_pages_of_a_tenant_admin_in_polish(demo, client, english):
    client.force_login(demo.user("admin@wysylki.example.com"))
    assert _pages(client, _admin_urls(client), english) == {}


def test_admin_pages_of_the_operator_in_polish(demo, client, english):
    from core.models import User

    root = User.objects.create_superuser("root@example.com", "root@example.com", "x")
    client.force_login(root)
    assert _pages(client, _admin_urls(client), english) == {}


def test_admin_login_asks_for_an_e_mail_address(client):
    html = client.get(reverse("admin:login"), HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Adres e-mail" in html and "Nazwa użytkownika" not in html
