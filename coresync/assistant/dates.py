"""Days and times in a guest's words, in the spa's zone: the thin normalising layer over
dateparser (docs/assistant.md "Dates and times").

Rules, each tested in ``tests/test_dates.py``:

1. A weekday names the coming one ("Friday" on a Tuesday is this week's Friday; on a Friday
   it is today). "next Friday" is the coming Friday as well, except said on a Friday (then it
   is a week later); "Friday next week" / "a week from Friday" add seven days.
2. "today", "tonight" (today, evening), "tomorrow", "the day after tomorrow", "in 3 days".
3. Numeric dates are US month/day ("12/5" is 5 December); a date already past this year
   means next year. Month names ("December 5th", "5 Dec") go through dateparser, which
   never sees the time part, so "Friday at 4" can never become April.
4. A bare hour is in the spa's day: 1–8 without am/pm is afternoon or evening ("at 4" is
   16:00), 9–12 morning or noon; "noon", "midday"; "4:30", "16:00", "6 pm", "7 o'clock".
5. "morning", "afternoon", "evening" (and "tonight") are parts of the day, used to filter
   the free times when no time was named.
6. The instant of a local wall time comes from zoneinfo: a time that does not exist on a
   spring-forward day is ``None`` (never offered); one that occurs twice is its first
   instant (``fold=0``).
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from coresync.core.clock import is_nonexistent

WEEKDAYS = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "wednesday": 2,
    "wed": 2,
    "thursday": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}
MONTHS = (
    "jan|january|feb|february|mar|march|apr|april|may|jun|june|jul|july|aug|august|"
    "sep|sept|september|oct|october|nov|november|dec|december"
)
PARTS_OF_DAY = {
    "morning": (time(0, 0), time(12, 0)),
    "afternoon": (time(12, 0), time(17, 0)),
    "evening": (time(17, 0), time(23, 59)),
}
NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}

_WEEKDAY = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_NUMBER = r"(?:\d{1,2}|" + "|".join(NUMBER_WORDS) + ")"
_TIME_PATTERNS = (
    # 4:30 pm, 16:00, 4.30pm
    re.compile(r"\b(?P<hour>\d{1,2})[:.](?P<minute>[0-5]\d)\s*(?P<meridiem>a\.?m\.?|p\.?m\.?)?"),
    # 6 pm, 6pm, six pm
    re.compile(rf"\b(?P<hour>{_NUMBER})\s*(?P<meridiem>a\.?m\.?|p\.?m\.?)(?![a-z])"),
    # at 4, at four, around 7, by 5
    re.compile(
        rf"\b(?:at|around|about|by|after|before)\s+(?P<hour>{_NUMBER})"
        r"(?:\s*o'?\s*clock)?(?![\d/:.a-z])"
    ),
    # 7 o'clock
    re.compile(rf"\b(?P<hour>{_NUMBER})\s*o'?\s*clock\b"),
)


@dataclass(frozen=True)
class WhenMention:
    """What a message says about when: a local ``day``, a wall ``clock`` time and/or a
    ``part_of_day`` (morning, afternoon, evening); any may be ``None``."""

    day: date | None = None
    clock: time | None = None
    part_of_day: str | None = None

    def __bool__(self) -> bool:
        return bool(self.day or self.clock or self.part_of_day)


def local_instant(day: date, wall: time, tz: ZoneInfo) -> datetime | None:
    """Return the aware instant of ``wall`` on ``day`` in ``tz``; ``None`` when that wall
    time does not exist (spring forward); the first of two instants when it occurs twice."""
    candidate = datetime.combine(day, wall, tzinfo=tz)
    if is_nonexistent(candidate):
        return None
    return candidate


def _number(text: str) -> int:
    return int(text) if text.isdigit() else NUMBER_WORDS[text]


def parse_clock(text: str) -> time | None:
    """Return the wall time ``text`` names (rule 4), or ``None``."""
    lowered = text.lower()
    if re.search(r"\b(noon|midday)\b", lowered):
        return time(12, 0)
    for pattern in _TIME_PATTERNS:
        for match in pattern.finditer(lowered):
            hour = _number(match["hour"])
            minute = int(match.groupdict().get("minute") or 0)
            meridiem = (match.groupdict().get("meridiem") or "").replace(".", "")
            if hour > 23:
                continue
            if meridiem == "pm" and hour < 12:
                hour += 12
            elif meridiem == "am" and hour == 12:
                hour = 0
            elif not meridiem and 1 <= hour <= 8:
                hour += 12  # "at 4" in a spa day is 16:00, never 04:00
            return time(hour, minute)
    return None


def parse_part_of_day(text: str) -> str | None:
    """Return "morning", "afternoon" or "evening" when ``text`` names one (rule 5)."""
    lowered = text.lower()
    if re.search(r"\btonight\b", lowered):
        return "evening"
    for part in PARTS_OF_DAY:
        if re.search(rf"\b{part}s?\b", lowered):
            return part
    return None


def _coming_weekday(today: date, weekday: int, *, strictly_after: bool) -> date:
    ahead = (weekday - today.weekday()) % 7
    if ahead == 0 and strictly_after:
        ahead = 7
    return today + timedelta(days=ahead)


def _numeric_date(match: re.Match, today: date) -> date | None:
    month, day = int(match["month"]), int(match["day"])
    year = match["year"]
    try:
        if year:
            year_number = int(year)
            return date(year_number + 2000 if year_number < 100 else year_number, month, day)
        candidate = date(today.year, month, day)
        return candidate if candidate >= today else date(today.year + 1, month, day)
    except ValueError:
        return None


def _month_name_date(fragment: str, today: date) -> date | None:
    """Parse a month-name date with dateparser (preferring the future, relative to the
    spa's today)."""
    import dateparser  # imported on first use: it loads its language data

    parsed = dateparser.parse(
        fragment,
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": datetime.combine(today, time(12, 0)),
            "REQUIRE_PARTS": ["day", "month"],
        },
    )
    if parsed is None:
        return None
    result = parsed.date()
    if result < today:
        try:
            result = result.replace(year=result.year + 1)
        except ValueError:
            return None
    return result


def parse_day(text: str, today: date) -> date | None:
    """Return the local day ``text`` names, relative to the spa-local ``today`` (rules 1–3)."""
    lowered = text.lower()
    if re.search(r"\b(today|tonight|this (morning|afternoon|evening))\b", lowered):
        return today
    if re.search(r"\bday after tomorrow\b", lowered):
        return today + timedelta(days=2)
    if re.search(r"\b(tomorrow|tmrw|tmr)\b", lowered):
        return today + timedelta(days=1)
    match = re.search(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})", lowered)
    if match:
        try:
            return date(int(match["year"]), int(match["month"]), int(match["day"]))
        except ValueError:
            return None
    match = re.search(rf"\bin\s+(?P<count>{_NUMBER})\s+days?\b", lowered)
    if match:
        return today + timedelta(days=_number(match["count"]))
    match = re.search(
        r"\b(?P<month>1[0-2]|0?[1-9])/(?P<day>3[01]|[12]\d|0?[1-9])(?:/(?P<year>\d{2,4}))?\b",
        lowered,
    )
    if match:
        return _numeric_date(match, today)
    match = re.search(
        rf"\b(?:(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
        rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{MONTHS})\b(?:,?\s+\d{{4}})?)",
        lowered,
    )
    if match:
        return _month_name_date(match.group(0), today)
    match = re.search(rf"\b(?P<next>next\s+|this\s+|coming\s+)?(?P<weekday>{_WEEKDAY})\b", lowered)
    if match:
        weekday = WEEKDAYS[match["weekday"]]
        strictly_after = bool(match["next"] and match["next"].strip() == "next")
        day = _coming_weekday(today, weekday, strictly_after=strictly_after)
        after = lowered[match.end() :]
        if re.match(r"\s+(of\s+)?next week\b", after) or re.search(
            rf"\ba week from {match['weekday']}\b", lowered
        ):
            day += timedelta(days=7)
        return day
    match = re.search(r"\bnext week\b", lowered)
    if match:
        return _coming_weekday(today, 0, strictly_after=True)
    match = re.search(r"\b(?:on\s+)?the\s+(?P<day>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)\b", lowered)
    if match:
        day_number = int(match["day"])
        for months_ahead in range(0, 3):
            year, month = divmod(today.month - 1 + months_ahead, 12)
            try:
                candidate = date(today.year + year, month + 1, day_number)
            except ValueError:
                continue
            if candidate >= today:
                return candidate
    return None


def parse_when(text: str, today: date) -> WhenMention:
    """Return the day, clock time and part of day ``text`` names (any may be ``None``)."""
    # A numeric date's digits are not a time ("12/5 at 6 pm": 6 pm, not 12 or 5); an ISO
    # date-time's time is read in the spa's zone as written (its offset is the spa's).
    text = re.sub(
        r"\b(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?", r"\1 \2", text
    )
    without_dates = re.sub(r"\b\d{4}-\d{2}-\d{2}\b", " ", text)
    without_dates = re.sub(r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b", " ", without_dates)
    without_dates = re.sub(r"\bin\s+\d{1,2}\s+days?\b", " ", without_dates, flags=re.I)
    without_dates = re.sub(
        rf"\b(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\b\d{{1,2}}(?:st|nd|rd|th)\b",
        " ",
        without_dates,
        flags=re.I,
    )
    without_dates = re.sub(
        r"\b\d+\s*-?\s*(?:minutes?|mins?|hours?|hrs?)\b", " ", without_dates, flags=re.I
    )
    clock = parse_clock(without_dates)
    part = parse_part_of_day(text)
    if (
        clock is not None
        and part == "morning"
        and clock.hour >= 12
        and not re.search(r"p\.?m\.?|\d{2}:\d{2}", without_dates.lower())
    ):
        clock = time(clock.hour - 12, clock.minute)  # "8 in the morning"
    return WhenMention(day=parse_day(text, today), clock=clock, part_of_day=part)
