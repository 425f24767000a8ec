"""The plan terms editor: a typed form from the model, a preview of the effect, then a new version."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from console.terms_form import GROUPS, NOT_TERMS, PlanTermsEditForm, group_of, initial_from, term_fields
from console.terms_preview import example_deadlines, terms_diff
from core.models import AuditEvent
from plans.models import PlanTerms
from plans.selectors import plan_terms_latest
from tests.console.helpers import form_data

pytestmark = pytest.mark.django_db

ADMIN = "admin@wysylki.example.com"


@pytest.fixture
def admin_client(demo, client):
    client.force_login(demo.user(ADMIN))
    return client


def _data(demo, plan, **changes):
    tenant = demo.wysylki
    form = PlanTermsEditForm(tenant=tenant, initial=initial_from(plan_terms_latest(tenant=tenant, plan=plan)))
    data = form_data(form)
    data.update({k: str(v) for k, v in changes.items()})
    return data


def test_every_term_of_the_model_is_a_field_in_a_group(demo):
    form = PlanTermsEditForm(tenant=demo.wysylki, initial={})
    shown = {bound.name for group in form.groups() for bound in group.fields}
    for field in term_fields():
        if field.name == "rounding_units":
            assert {"rounding_unit__phone", "rounding_unit__email"} <= shown
        else:
            assert field.name in shown, field.name
    assert not {f.name for f in PlanTerms._meta.concrete_fields} - NOT_TERMS - {f.name for f in term_fields()}


def test_a_term_nobody_grouped_lands_where_its_name_says():
    grouped = {name for _key, _label, names in GROUPS for name in names}
    assert "next_reply_minutes" not in grouped and "resolution_minutes" not in grouped
    assert group_of("next_reply_minutes") == "targets"
    assert group_of("resolution_minutes") == "targets"
    assert group_of("critical_resolution_minutes") == "targets"
    assert group_of("something_new") == "other"
    assert group_of("reaction_minutes") == "targets"


def test_editor_shows_the_latest_terms_typed_and_grouped(demo, admin_client):
    plan = demo.plan("wysylki", "email")
    response = admin_client.get(reverse("console:plan_terms_edit", args=[plan.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="reaction_minutes" value="720"' in html
    assert 'name="effective_from"' in html and 'type="date"' in html
    # lists are checkboxes, rounding is one number per kind of work: no JSON typed by hand
    assert 'type="checkbox" name="channels" value="portal"' in html
    assert 'name="rounding_unit__phone"' in html
    assert all(f'id="group-{key}"' in html for key, _label, _names in GROUPS)


def test_preview_shows_the_diff_affected_organizations_and_deadlines_and_saves_nothing(demo, admin_client):
    plan = demo.plan("wysylki", "email")
    before_versions = PlanTerms.objects.filter(plan=plan).count()
    before_audit = AuditEvent.objects.count()
    effective = timezone.localdate() + timedelta(days=10)
    response = admin_client.post(reverse("console:plan_terms_edit", args=[plan.pk]),
                                 _data(demo, plan, reaction_minutes=480, effective_from=effective.isoformat(),
                                       action="preview"))
    assert response.status_code == 200
    preview = response.context["preview"]
    assert [(c.name, c.before, c.after) for c in preview["diff"]] == [("reaction_minutes", "720", "480")]
    assert preview["effective_from"] == effective
    assert any(example.changed for example in preview["examples"])
    assert PlanTerms.objects.filter(plan=plan).count() == before_versions
    assert AuditEvent.objects.count() == before_audit
    assert 'name="previewed"' in response.content.decode()


def test_save_after_preview_records_a_version_with_author_and_audit(demo, admin_client):
    plan = demo.plan("wysylki", "email")
    admin = demo.user(ADMIN)
    latest = plan_terms_latest(tenant=demo.wysylki, plan=plan)
    effective = timezone.localdate() + timedelta(days=10)
    url = reverse("console:plan_terms_edit", args=[plan.pk])
    data = _data(demo, plan, reaction_minutes=480, effective_from=effective.isoformat(), change_note="Szybciej")
    preview = admin_client.post(url, {**data, "action": "preview"})
    token = preview.context["preview"]["token"]
    response = admin_client.post(url, {**data, "action": "save", "previewed": token})
    assert response.status_code == 302 and response["Location"] == reverse("console:plan_history", args=[plan.pk])
    version = plan_terms_latest(tenant=demo.wysylki, plan=plan)
    assert version.version == latest.version + 1
    assert (version.reaction_minutes, version.effective_from, version.created_by) == (480, effective, admin)
    assert version.channels == latest.channels and version.rounding_units == latest.rounding_units
    event = AuditEvent.objects.filter(action="plan_terms.changed", tenant=demo.wysylki).latest("id")
    assert event.actor == admin and event.data["changes"] == {"reaction_minutes": ["720", "480"]}
    history = admin_client.get(response["Location"]).content.decode()
    assert re.search(r"<del>720</del>.*<ins>480</ins>", history, re.S)
    assert "Anna Nowak" in history and "Szybciej" in history


def test_save_without_the_matching_preview_shows_the_preview_instead(demo, admin_client):
    plan = demo.plan("wysylki", "email")
    count = PlanTerms.objects.filter(plan=plan).count()
    url = reverse("console:plan_terms_edit", args=[plan.pk])
    effective = timezone.localdate() + timedelta(days=3)
    data = _data(demo, plan, reaction_minutes=480, effective_from=effective.isoformat())
    previewed = admin_client.post(url, {**data, "action": "preview"}).context["preview"]["token"]
    # changed after the preview: the save must not go through unseen
    response = admin_client.post(url, {**data, "reaction_minutes": "300", "action": "save", "previewed": previewed})
    assert response.status_code == 200 and response.context["preview"]["diff"][0].after == "300"
    assert PlanTerms.objects.filter(plan=plan).count() == count


@pytest.mark.parametrize("changes, field, text", [
    ({"effective_from": "2000-01-01"}, "effective_from", "najnowsza"),
    ({"warning_percent": "150"}, "warning_percent", ""),
    ({"price_net": "abc"}, "price_net", ""),
    ({"critical_reaction_minutes": "60"}, "critical_calendar", "kalendarza awarii"),
])
def test_bad_input_is_shown_on_its_field_not_a_500(demo, admin_client, changes, field, text):
    plan = demo.plan("wysylki", "email")
    count = PlanTerms.objects.filter(plan=plan).count()
    data = _data(demo, plan, **changes, action="preview")
    response = admin_client.post(reverse("console:plan_terms_edit", args=[plan.pk]), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and text in " ".join(errors[field])
    assert PlanTerms.objects.filter(plan=plan).count() == count


def test_nothing_changed_is_said_not_saved(demo, admin_client):
    plan = demo.plan("wysylki", "email")
    response = admin_client.post(reverse("console:plan_terms_edit", args=[plan.pk]),
                                 _data(demo, plan, action="preview"))
    assert response.status_code == 200 and "Nic się nie zmieniło" in response.content.decode()


def test_examples_use_the_sla_engine_old_and_new(demo):
    tenant = demo.wysylki
    plan = demo.plan("wysylki", "email")
    old = plan_terms_latest(tenant=tenant, plan=plan)
    new = PlanTerms.objects.get(pk=old.pk)
    new.pk, new.reaction_minutes = None, 60
    monday = date(2026, 12, 7)
    examples = example_deadlines(tenant=tenant, before=old, after=new, effective_from=monday)
    first = examples[0]
    zone = ZoneInfo("Europe/Warsaw")
    assert first.received == datetime(2026, 12, 7, 10, 0, tzinfo=zone)
    # EMAIL: 9:00–15:00 on working days; 12 business hours from Mon 10:00 is Tue 16:00 → Wed 10:00
    assert first.before.due_at.astimezone(zone) == datetime(2026, 12, 9, 10, 0, tzinfo=zone)
    assert first.after.due_at.astimezone(zone) == datetime(2026, 12, 7, 11, 0, tzinfo=zone)
    assert [c.name for c in terms_diff(old, new)] == ["reaction_minutes"]


def test_agents_customers_and_other_tenants_get_a_404(demo, client):
    plan = demo.plan("wysylki", "email")
    url = reverse("console:plan_terms_edit", args=[plan.pk])
    assert client.get(url).status_code == 302
    client.force_login(demo.user("agent@wysylki.example.com"))
    assert client.get(url).status_code == 404
    client.force_login(demo.user("admin@kjm.example.com"))
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "save"}).status_code == 404
