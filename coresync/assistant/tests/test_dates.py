"""The normalising layer of days and times (coresync.assistant.dates): the hard cases of
the issue, on the frozen Tuesday 2026-12-01, and the DST days of America/New_York."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from coresync.assistant.dates import local_instant, parse_when

TUESDAY = date(2026, 12, 1)
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("text", "day", "clock", "part"),
    [
        ("Friday at 4", date(2026, 12, 4), time(16, 0), None),
        ("Can I come Friday at 4?", date(2026, 12, 4), time(16, 0), None),
        ("tonight at 7", TUESDAY, time(19, 0), "evening"),
        ("12/5 at 6 pm", date(2026, 12, 5), time(18, 0), None),
        ("tomorrow", date(2026, 12, 2), None, None),
        ("next Wednesday morning", date(2026, 12, 2), None, "morning"),
        ("Tuesday", TUESDAY, None, None),
        ("next Tuesday", date(2026, 12, 8), None, None),
        ("Friday next week", date(2026, 12, 11), None, None),
        ("the day after tomorrow at noon", date(2026, 12, 3), time(12, 0), None),
        ("December 5th at 10am", date(2026, 12, 5), time(10, 0), None),
        ("5 Dec at 10:30", date(2026, 12, 5), time(10, 30), None),
        ("January 3", date(2027, 1, 3), None, None),
        ("11/20", date(2027, 11, 20), None, None),  # past this year: next year
        ("1/4/2027 at 9", date(2027, 1, 4), time(9, 0), None),
        ("in 3 days at 2:30", date(2026, 12, 4), time(14, 30), None),
        ("on the 15th at noon", date(2026, 12, 15), time(12, 0), None),
        ("Sat 11am", date(2026, 12, 5), time(11, 0), None),
        ("4:45pm thursday", date(2026, 12, 3), time(16, 45), None),
        ("at 8 in the morning on friday", date(2026, 12, 4), time(8, 0), "morning"),
        ("thursday at seven o'clock", date(2026, 12, 3), time(19, 0), None),
        ("16:00 on friday", date(2026, 12, 4), time(16, 0), None),
        ("friday afternoon", date(2026, 12, 4), None, "afternoon"),
        ("a 90 minute massage at 3", None, time(15, 0), None),
        ("a 60-minute massage", None, None, None),
        ("may I book something", None, None, None),
        ("on 2026-12-04 at 3pm", date(2026, 12, 4), time(15, 0), None),
        ("2026-12-04T15:00:00-05:00", date(2026, 12, 4), time(15, 0), None),
        ("2026-12-10 10:30", date(2026, 12, 10), time(10, 30), None),
    ],
)
def test_days_and_times_in_words(text, day, clock, part):
    mention = parse_when(text, TUESDAY)
    assert (mention.day, mention.clock, mention.part_of_day) == (day, clock, part)


def test_friday_at_4_is_never_april():
    assert parse_when("Friday at 4", date(2026, 3, 31)).day == date(2026, 4, 3)
    assert parse_when("Friday at 4", date(2026, 3, 31)).clock == time(16, 0)


def test_a_spring_forward_time_that_does_not_exist_is_none():
    # 14 March 2027: 02:00 jumps to 03:00 in New York.
    assert local_instant(date(2027, 3, 14), time(2, 30), NEW_YORK) is None
    assert local_instant(date(2027, 3, 14), time(10, 0), NEW_YORK) == datetime(
        2027, 3, 14, 10, tzinfo=NEW_YORK
    )
    assert local_instant(date(2027, 3, 14), time(10, 0), NEW_YORK).utcoffset().total_seconds() == (
        -4 * 3600
    )


def test_a_fall_back_time_is_its_first_instant():
    # 1 November 2026: 01:30 happens twice; the first is still daylight time (-04:00).
    instant = local_instant(date(2026, 11, 1), time(1, 30), NEW_YORK)
    assert instant.utcoffset().total_seconds() == -4 * 3600
    assert local_instant(date(2026, 11, 1), time(10, 0), NEW_YORK).utcoffset().total_seconds() == (
        -5 * 3600
    )
