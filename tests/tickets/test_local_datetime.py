"""The queue's date formatting (``helpdesk_ui._local``) gives exactly what Django's formatter gives,
in every language and across time zones and DST changes."""

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.utils import formats, timezone, translation
from hypothesis import given, strategies as st

from tickets.templatetags.helpdesk_ui import _local, _strftime_pattern

moments = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 12, 31)).map(
    lambda d: d.replace(tzinfo=dt_timezone.utc))


@given(moment=moments, language=st.sampled_from(["pl", "en"]),
       zone=st.sampled_from(["Europe/Warsaw", "UTC", "America/New_York", "Asia/Kolkata"]))
def test_the_same_text_as_djangos_formatter(moment, language, zone):
    with translation.override(language), timezone.override(zone):
        expected = formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
        assert _local(moment) == expected


def test_the_polish_format_takes_the_fast_path_and_the_english_one_falls_back():
    assert _strftime_pattern("d.m.Y, H:i") == "%d.%m.%Y, %H:%M"
    assert _strftime_pattern("m/d/Y P") is None  # "P" (1 p.m., midnight) only Django renders


@pytest.mark.parametrize("django_format, expected", [
    (r"d \d\e m", "%d de %m"),  # escaped letters stay literal
    ("H:i 100%", "%H:%M 100%%"),  # a percent sign is not a directive
    ("D, d M", None),  # names: Django's, in the active language
])
def test_patterns(django_format, expected):
    assert _strftime_pattern(django_format) == expected


def test_dst_change_in_warsaw():
    with translation.override("pl"), timezone.override("Europe/Warsaw"):
        before = datetime(2026, 10, 25, 0, 30, tzinfo=dt_timezone.utc)
        assert _local(before) == "25.10.2026, 02:30"
        assert _local(before + timedelta(hours=1)) == "25.10.2026, 02:30"  # the clock went back


def test_counts_are_grouped_as_the_language_writes_them():
    from django.utils import translation

    from tickets.templatetags.helpdesk_ui import grouped

    with translation.override("pl"):
        assert grouped(14859) == "14\xa0859" and grouped(999) == "999"
    with translation.override("en"):
        assert grouped(14859) == "14,859"
