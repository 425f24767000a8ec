"""Pure cores: the queue's query string in normal form (what a saved view stores) and the mention syntax."""

from datetime import date

from django.http import QueryDict
from hypothesis import given, strategies as st

from tickets.models import Ticket
from tickets.notifications import mentioned_members
from tickets.queue_query import filters_from_query, filters_to_query, normalise_query
from tickets.selectors import SORTS, QueueFilters

ids = st.one_of(st.none(), st.integers(min_value=1, max_value=2**63 - 1))
days = st.one_of(st.none(), st.dates(min_value=date(2000, 1, 1), max_value=date(2999, 12, 31)))
filters = st.builds(
    QueueFilters,
    mine=st.booleans(),
    unassigned=st.booleans(),
    critical=st.booleans(),
    breached=st.booleans(),
    waiting=st.booleans(),
    organization=ids,
    plan=ids,
    assignee=ids,
    product=ids,
    category=ids,
    statuses=st.lists(st.sampled_from(Ticket.Status.values), unique=True, max_size=4),
    search=st.text(max_size=100).map(str.strip).filter(lambda t: "\x00" not in t),
    all_statuses=st.booleans(),
    channel=st.sampled_from(["", *Ticket.Channel.values]),
    sla_state=st.sampled_from(["", *Ticket.SlaState.values]),
    received_from=days,
    received_to=days,
    sort=st.sampled_from(["", "queue", *SORTS]),
)


@given(filters)
def test_the_normal_form_reads_back_as_the_same_filters(f):
    text = filters_to_query(f)
    assert filters_from_query(QueryDict(text)) == f
    assert normalise_query(text) == text  # a fixed point


@given(st.text(max_size=300))
def test_any_query_string_normalises_without_error_and_idempotently(text):
    once = normalise_query(text)
    assert normalise_query(once) == once
    assert "page=" not in once and "per_page=" not in once


def test_junk_is_dropped():
    junk = (
        "page=2&per_page=100&status=all&status=closed&mine=yes&critical=1&organization=-1"
        "&from=2026-13-01&to=2026-02-03&sort=id;drop"
    )
    assert normalise_query(junk) == "status=all&status=closed&critical=1&to=2026-02-03"


MEMBERS = [
    (1, "anna.kowalska@firma.pl", "Anna Kowalska"),
    (2, "anna@firma.pl", "Anna Nowak"),
    (3, "piotr@firma.pl", "Piotr Zieliński"),
]


def test_mentions_by_local_part_or_full_name():
    assert mentioned_members("@anna.kowalska zobacz proszę", MEMBERS) == {1}
    assert mentioned_members("Pytanie do @Anna Nowak: czy to znane?", MEMBERS) == {2}
    assert mentioned_members("Proszę @PIOTR.", MEMBERS) == {3}  # case, and a full stop ends the name
    assert mentioned_members("@piotr zieliński i @anna", MEMBERS) == {2, 3}
    assert mentioned_members("(@anna.kowalska)", MEMBERS) == {1}


def test_no_mention_in_addresses_or_longer_words():
    assert mentioned_members("Pisał z piotr@firma.pl i anna@firma.pl", MEMBERS) == set()
    assert mentioned_members("@annabella, @piotrek i @anna.nowakowska", MEMBERS) == set()
    assert mentioned_members("bez małpy: Anna Kowalska", MEMBERS) == set()


@given(st.text(max_size=200))
def test_mentions_never_fail_and_need_an_at_sign(text):
    found = mentioned_members(text, MEMBERS)
    assert found <= {1, 2, 3}
    if "@" not in text:
        assert found == set()
