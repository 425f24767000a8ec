"""Suggestions: one vote per person, staff statuses and answers, merging duplicates with their votes."""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import Contact
from helpcenter.models import Suggestion, Viewer
from helpcenter.services import suggestions as s
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def other_customer(h, name):
    user = UserFactory(username=f"{name}@alpha.example.com")
    contact = Contact.objects.create(tenant=h.tenant, organization=h.world.organization, name=name, user=user)
    return Viewer(tenant=h.tenant, user=user, contact=contact)


def test_one_vote_per_person_and_the_author_votes_first(help_alpha):
    h = help_alpha
    suggestion = s.suggestion_create(tenant=h.tenant, viewer=h.customer(), title="Ciemny motyw", body="Proszę")
    assert suggestion.vote_count == 1
    s.suggestion_vote(tenant=h.tenant, viewer=h.customer(), suggestion=suggestion, vote=True)
    s.suggestion_vote(tenant=h.tenant, viewer=h.staff(), suggestion=suggestion, vote=True)
    suggestion.refresh_from_db()
    assert suggestion.vote_count == 2
    s.suggestion_vote(tenant=h.tenant, viewer=h.staff(), suggestion=suggestion, vote=False)
    suggestion.refresh_from_db()
    assert suggestion.vote_count == 1
    with pytest.raises(PermissionDenied):
        s.suggestion_vote(tenant=h.tenant, viewer=h.anonymous(), suggestion=suggestion, vote=True)


def test_staff_set_status_and_official_answer(help_alpha):
    h = help_alpha
    suggestion = s.suggestion_create(tenant=h.tenant, viewer=h.customer(), title="Eksport CSV", body="Proszę")
    with pytest.raises(PermissionDenied):
        s.suggestion_answer(tenant=h.tenant, viewer=h.customer(), suggestion=suggestion, status="planned")
    s.suggestion_answer(tenant=h.tenant, viewer=h.staff(), suggestion=suggestion, status="planned",
                        answer="W wersji 8.2 <script>x</script>")
    suggestion.refresh_from_db()
    assert suggestion.get_status_display() and suggestion.status == Suggestion.Status.PLANNED
    assert "<script" not in suggestion.official_answer_html and suggestion.answered_by == h.world.agent.user
    s.suggestion_answer(tenant=h.tenant, viewer=h.staff(), suggestion=suggestion, status="done")
    with pytest.raises(ValidationError):
        s.suggestion_vote(tenant=h.tenant, viewer=h.staff(), suggestion=suggestion, vote=True)


def test_merging_moves_votes_and_counts_a_double_voter_once(help_alpha):
    h = help_alpha
    a, b = other_customer(h, "Anna"), other_customer(h, "Bartek")
    original = s.suggestion_create(tenant=h.tenant, viewer=h.customer(), title="Etykiety A6", body="A6")
    duplicate = s.suggestion_create(tenant=h.tenant, viewer=a, title="Drukowanie A6", body="A6 też")
    s.suggestion_vote(tenant=h.tenant, viewer=b, suggestion=duplicate, vote=True)
    s.suggestion_vote(tenant=h.tenant, viewer=h.customer(), suggestion=duplicate, vote=True)  # voted both
    into = s.suggestion_merge(tenant=h.tenant, viewer=h.staff(), duplicate=duplicate, into=original)
    duplicate.refresh_from_db()
    assert into.vote_count == 3 and duplicate.vote_count == 0 and duplicate.merged_into == original
    # a later vote on the duplicate counts for the original
    c = other_customer(h, "Celina")
    s.suggestion_vote(tenant=h.tenant, viewer=c, suggestion=duplicate, vote=True)
    original.refresh_from_db()
    assert original.vote_count == 4
    with pytest.raises(ValidationError):
        s.suggestion_merge(tenant=h.tenant, viewer=h.staff(), duplicate=original, into=duplicate)


def test_another_tenants_suggestion_cannot_be_merged_or_voted(helps):
    alpha, beta = helps
    mine = s.suggestion_create(tenant=alpha.tenant, viewer=alpha.customer(), title="Moja sugestia", body="x")
    theirs = s.suggestion_create(tenant=beta.tenant, viewer=beta.customer(), title="Ich sugestia", body="x")
    with pytest.raises(ValidationError):
        s.suggestion_merge(tenant=alpha.tenant, viewer=alpha.staff(), duplicate=mine, into=theirs)
    with pytest.raises(ValidationError):
        s.suggestion_vote(tenant=alpha.tenant, viewer=alpha.customer(), suggestion=theirs, vote=True)
