"""The sla_deadline command of API.md, with the issue's acceptance examples."""
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from helpdesk.management.commands.seed_demo import seed


@pytest.fixture
def run(db):
    seed()

    def run(*args: str) -> str:
        out = StringIO()
        call_command("sla_deadline", *args, stdout=out)
        return out.getvalue().strip()

    return run


@pytest.mark.parametrize("args, expected", [
    (["--tenant", "wysylki", "--plan", "email", "--received", "2026-11-27T16:30:00+01:00"],
     "2026-12-01T15:00:00+01:00"),
    (["--tenant", "wysylki", "--plan", "email", "--received", "2026-12-23T14:00:00+01:00"],
     "2026-12-29T14:00:00+01:00"),
    (["--tenant", "kjm", "--plan", "opieka", "--critical", "--received", "2026-03-28T21:30:00+01:00"],
     "2026-03-29T08:30:00+02:00"),
    # Input in UTC, output in the calendar's zone with its offset.
    (["--tenant", "wysylki", "--plan", "standard", "--received", "2026-11-23T06:00:00+00:00", "--channel", "api"],
     "2026-11-23T11:00:00+01:00"),
])
def test_prints_the_deadline(run, args, expected):
    assert run(*args) == expected


@pytest.mark.parametrize("args, reason", [
    (["--tenant", "kjm", "--plan", "pakiet", "--received", "2026-11-23T10:00:00+01:00"], "no_valid_package"),
    (["--tenant", "kjm", "--plan", "opieka", "--received", "2026-11-23T10:00:00+01:00"], "no_reaction_time"),
    (["--tenant", "wysylki", "--plan", "community", "--received", "2026-11-23T10:00:00+01:00"], "email_bugs_only"),
    (["--tenant", "wysylki", "--plan", "community", "--category", "bug", "--received", "2026-11-23T10:00:00+01:00"],
     "no_reaction_time"),
    (["--tenant", "wysylki", "--plan", "standard", "--channel", "phone", "--received", "2026-11-23T10:00:00+01:00"],
     "phone_channel"),
])
def test_prints_none_with_the_reason(run, args, reason):
    line = run(*args)
    assert line.startswith(f"none: {reason}")
    assert len(line) > len(f"none: {reason}") + 5  # a human message follows the code


@pytest.mark.parametrize("args, message", [
    (["--tenant", "nope", "--plan", "email", "--received", "2026-11-23T10:00:00+01:00"], "unknown tenant"),
    (["--tenant", "wysylki", "--plan", "gold", "--received", "2026-11-23T10:00:00+01:00"], "unknown plan"),
    (["--tenant", "wysylki", "--plan", "email", "--received", "yesterday"], "ISO 8601"),
    (["--tenant", "wysylki", "--plan", "email", "--received", "2026-11-23T10:00:00"], "UTC offset"),
    (["--tenant", "wysylki", "--plan", "email", "--category", "nope", "--received", "2026-11-23T10:00:00+01:00"],
     "unknown category"),
])
def test_bad_input_is_a_clear_error(run, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
