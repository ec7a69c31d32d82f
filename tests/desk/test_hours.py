"""Office hours: whether a librarian is at the desk, and when a patron writing at night can expect one."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from refbot.config import DeskSettings
from refbot.desk.hours import OfficeHours
from refbot.errors import ConfigError

JAKARTA = ZoneInfo("Asia/Jakarta")
# 3-7 June 2024 is a Monday-to-Friday week.
MONDAY = dt.date(2024, 6, 3)


def at(day: dt.date, hour: int, minute: int = 0, zone: dt.tzinfo = JAKARTA) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), zone)


def day(offset: int) -> dt.date:
    """The day ``offset`` days after Monday 3 June 2024."""
    return MONDAY + dt.timedelta(days=offset)


def hours(*spans: str, timezone: str = "Asia/Jakarta", holidays: tuple[str, ...] = ()) -> OfficeHours:
    return OfficeHours.from_settings(DeskSettings(timezone=timezone, office_hours=spans, holidays=holidays))


@pytest.fixture
def weekdays() -> OfficeHours:
    """The default: Monday to Friday, 08:00-16:00 in Jakarta."""
    return OfficeHours.from_settings(DeskSettings())


@pytest.mark.parametrize(
    ("when", "open_"),
    [
        (at(day(0), 10), True),
        (at(day(0), 8), True),  # the opening minute counts
        (at(day(0), 7, 59), False),
        (at(day(0), 15, 59), True),
        (at(day(0), 16), False),  # closing time is closed
        (at(day(2), 12), True),
        (at(day(4), 15), True),
        (at(day(4), 20), False),
        (at(day(5), 10), False),  # Saturday
        (at(day(6), 10), False),  # Sunday
    ],
)
def test_open_on_weekdays_in_office_hours_only(weekdays: OfficeHours, when: dt.datetime, open_: bool) -> None:
    assert weekdays.is_open(when) is open_


@pytest.mark.parametrize(
    ("asked", "opens"),
    [
        (at(day(4), 17), at(day(7), 8)),  # Friday evening → Monday morning
        (at(day(5), 9), at(day(7), 8)),  # Saturday → Monday
        (at(day(6), 23, 30), at(day(7), 8)),  # Sunday night → Monday
        (at(day(1), 20), at(day(2), 8)),  # Tuesday evening → Wednesday
        (at(day(2), 6), at(day(2), 8)),  # Wednesday before opening → that morning
    ],
)
def test_next_opening_after_hours(weekdays: OfficeHours, asked: dt.datetime, opens: dt.datetime) -> None:
    assert weekdays.next_opening(asked) == opens


def test_next_opening_while_open_is_now(weekdays: OfficeHours) -> None:
    now = at(day(0), 11, 15)
    assert weekdays.next_opening(now) == now


def test_times_are_read_in_the_configured_time_zone() -> None:
    instant = dt.datetime(2024, 6, 3, 1, 30, tzinfo=dt.UTC)  # 08:30 in Jakarta, 02:30 in London
    assert hours("mon-fri 08:00-16:00").is_open(instant)
    london = hours("mon-fri 08:00-16:00", timezone="Europe/London")
    assert not london.is_open(instant)
    opening = london.next_opening(instant)
    assert opening is not None
    assert opening == dt.datetime(2024, 6, 3, 7, 0, tzinfo=dt.UTC)  # 08:00 BST
    assert opening.utcoffset() == dt.timedelta(hours=1), "told in the library's own time"


def test_next_opening_is_told_in_the_librarys_time_zone(weekdays: OfficeHours) -> None:
    asked = dt.datetime(2024, 6, 7, 12, 0, tzinfo=dt.UTC)  # Friday 19:00 in Jakarta
    opening = weekdays.next_opening(asked)
    assert opening is not None
    assert (opening.date(), opening.time(), opening.utcoffset()) == (day(7), dt.time(8), dt.timedelta(hours=7))


def test_several_spans_and_a_saturday_morning() -> None:
    desk = hours("mon-thu 08:00-16:00", "fri 08:00-11:30", "sat 09:00-12:00")
    assert desk.is_open(at(day(4), 11))
    assert not desk.is_open(at(day(4), 13))
    assert desk.is_open(at(day(5), 10))
    assert desk.next_opening(at(day(4), 13)) == at(day(5), 9)
    assert desk.next_opening(at(day(5), 12)) == at(day(7), 8)


def test_spec_is_read_case_and_space_insensitively() -> None:
    desk = hours("  Mon - Fri  8:00 - 16:00 ")
    assert desk.is_open(at(day(0), 8))


def test_holidays_are_closed_and_skipped() -> None:
    desk = hours("mon-fri 08:00-16:00", holidays=("2024-06-03", "2024-06-04"))
    assert not desk.is_open(at(day(0), 10))
    assert desk.next_opening(at(day(0), 10)) == at(day(2), 8)
    assert desk.next_opening(at(day(4), 17)) == at(day(7), 8), "only the listed dates are closed"


def test_a_desk_that_never_opens_has_no_next_opening() -> None:
    assert hours().next_opening(at(day(0), 10)) is None
    assert hours("mon-fri 08:00-16:00", holidays=tuple(str(day(i)) for i in range(70))).next_opening(
        at(day(0), 10)) is None


@pytest.mark.parametrize(
    ("settings", "key", "says"),
    [
        (DeskSettings(timezone="Mars/Olympus_Mons"), "desk.timezone", "Mars/Olympus_Mons"),
        (DeskSettings(timezone=""), "desk.timezone", "unknown time zone"),
        (DeskSettings(office_hours=("weekdays 8-16",)), "desk.office_hours", "weekdays 8-16"),
        (DeskSettings(office_hours=("mon-fry 08:00-16:00",)), "desk.office_hours", "mon-fry"),
        (DeskSettings(office_hours=("mon 25:00-26:00",)), "desk.office_hours", "bad time"),
        (DeskSettings(office_hours=("mon 08:70-16:00",)), "desk.office_hours", "bad time"),
        (DeskSettings(office_hours=("mon-fri 16:00-08:00",)), "desk.office_hours", "closes before it opens"),
        (DeskSettings(office_hours=("mon-fri 08:00-08:00",)), "desk.office_hours", "closes before it opens"),
        (DeskSettings(holidays=("17-08-2024",)), "desk.holidays", "YYYY-MM-DD"),
        (DeskSettings(holidays=("2024-02-30",)), "desk.holidays", "YYYY-MM-DD"),
    ],
)
def test_bad_configuration_names_the_key(settings: DeskSettings, key: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        OfficeHours.from_settings(settings)
    assert caught.value.key == key
    assert f"'{key}'" in str(caught.value)
    assert says in str(caught.value)


def test_a_range_wrapping_past_sunday_opens_its_days() -> None:
    desk = hours("sun-thu 08:00-16:00")
    assert desk.is_open(at(day(6), 10)) and desk.is_open(at(day(0), 10)) and desk.is_open(at(day(3), 10))
    assert not desk.is_open(at(day(4), 10)) and not desk.is_open(at(day(5), 10)), "friday and saturday stay shut"
