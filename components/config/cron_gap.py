"""The longest time between two consecutive runs of a cron schedule, from the schedule's structure.

A run happens at every instant whose wall-clock time in the schedule's time zone matches the
expression (croniter's fields; day-of-month and day-of-week OR-ed when both are restricted). Away from
daylight-saving transitions every matching day has the same times of day, so the longest gap is the
longer of the longest gap inside a day and the longest gap between two matching days bridged from the
day's last time to its first; the days are found month by month over one full Gregorian cycle (400
years, after which dates and weekdays repeat). Near each transition of the next 28 years (every
weekday/date combination) the runs are placed in absolute time one by one: a wall-clock time the
transition skips never runs and one it repeats runs twice, so a gap can grow by the clock change.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from croniter import croniter

_CYCLE_YEARS = 400
_DST_YEARS = 28
_FIRST_YEAR = 2026
_DAY = dt.timedelta(days=1)
_UTC = dt.UTC


@dataclass(frozen=True)
class _Days:
    """Which days of a month run: the cron day-of-month, month and day-of-week fields."""

    days_of_month: frozenset[int | str] | None
    """None for `*`; "l" is the month's last day."""
    months: frozenset[int] | None
    weekdays: frozenset[int] | None
    """Cron numbering (0 = Sunday); None for `*`."""
    nth: frozenset[tuple[int, int]]
    """`5#2` is (5, 2): weekday 5 only in the 2nd week of the month."""
    cache: dict[tuple[object, ...], tuple[int, ...]] = field(default_factory=dict, compare=False)

    def _dom(self, day: int, length: int) -> bool:
        assert self.days_of_month is not None
        return day in self.days_of_month or ("l" in self.days_of_month and day == length)

    def _dow(self, day: int, first_weekday: int) -> bool:
        assert self.weekdays is not None
        weekday = (first_weekday + day - 1) % 7
        if weekday not in self.weekdays:
            return False
        weeks = {n for w, n in self.nth if w == weekday}
        return not weeks or (day - 1) // 7 + 1 in weeks

    def _matches(self, day: int, length: int, first_weekday: int) -> bool:
        if self.days_of_month is None or self.weekdays is None:  # a `*` field: the other one decides
            return (self.days_of_month is None or self._dom(day, length)) and (
                self.weekdays is None or self._dow(day, first_weekday)
            )
        return self._dom(day, length) or self._dow(day, first_weekday)  # both set: either (cron's OR)

    def in_month(self, month: int, length: int, first_weekday: int) -> tuple[int, ...]:
        """The run days of a month of that length starting on that weekday."""
        key = (month, length, first_weekday)
        if key not in self.cache:
            allowed = self.months is None or month in self.months
            self.cache[key] = tuple(
                d for d in range(1, length + 1) if allowed and self._matches(d, length, first_weekday)
            )
        return self.cache[key]

    def month(self, year: int, month: int) -> tuple[int, ...]:
        first, length = calendar.monthrange(year, month)  # first: Monday = 0, cron: Sunday = 0
        return self.in_month(month, length, (first + 1) % 7)

    def year(self, year: int) -> tuple[int, ...]:
        """The run days of a year, counted from its 1 January (0), for years of the same kind."""
        key = (calendar.isleap(year), calendar.weekday(year, 1, 1))
        if key not in self.cache:
            found: list[int] = []
            start = 0
            for month in range(1, 13):
                found += (start + day - 1 for day in self.month(year, month))
                start += calendar.monthrange(year, month)[1]
            self.cache[key] = tuple(found)
        return self.cache[key]

    def widest_in_year(self, year: int) -> int:
        key = ("widest", calendar.isleap(year), calendar.weekday(year, 1, 1))
        if key not in self.cache:
            self.cache[key] = (_widest(self.year(year)),)
        return self.cache[key][0]


def _field(values: Sequence[int | str]) -> frozenset[int] | None:
    return None if list(values) == ["*"] else frozenset(int(v) for v in values)


def _parse(schedule: str) -> tuple[list[int], _Days]:
    (minutes, hours, doms, months, weekdays), nth = croniter.expand(schedule)
    times = sorted(
        int(h) * 60 + int(m)
        for h in (range(24) if hours == ["*"] else hours)
        for m in (range(60) if minutes == ["*"] else minutes)
    )
    days_of_month = None if doms == ["*"] else frozenset(d if d == "l" else int(d) for d in doms)
    nth_weeks = frozenset((int(w), int(n)) for w, weeks in nth.items() for n in weeks)
    return times, _Days(days_of_month, _field(months), _field(weekdays), nth_weeks)


def _longest_day_gap(days: _Days) -> int:
    """Most days from one run day to the next, over a whole 400-year cycle (wrapping around); 0 when
    no day ever runs."""
    first = last = None
    longest = 0
    start = 0  # days since the cycle's first 1 January
    for year in range(_FIRST_YEAR, _FIRST_YEAR + _CYCLE_YEARS):
        run_days = days.year(year)
        if run_days:
            if last is None:
                first = start + run_days[0]
            else:
                longest = max(longest, start + run_days[0] - last)
            longest = max(longest, days.widest_in_year(year))
            last = start + run_days[-1]
        start += 366 if calendar.isleap(year) else 365
    if first is None or last is None:
        return 0
    return max(longest, first + start - last)


def _widest(values: Sequence[int]) -> int:
    return max((b - a for a, b in itertools.pairwise(values)), default=0)


def _transitions(zone: ZoneInfo) -> Iterator[dt.datetime]:
    """Instants (UTC) at which the zone's offset changes in the next 28 years."""
    step = dt.timedelta(days=7)
    moment = dt.datetime(_FIRST_YEAR, 1, 1, tzinfo=_UTC)
    end = dt.datetime(_FIRST_YEAR + _DST_YEARS, 1, 1, tzinfo=_UTC)
    offset = moment.astimezone(zone).utcoffset()
    while moment < end:
        following = moment + step
        next_offset = following.astimezone(zone).utcoffset()
        if next_offset != offset:
            low, high = moment, following  # offset(low) = offset, offset(high) = next_offset
            while high - low > dt.timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            yield high.replace(second=0, microsecond=0)
        moment, offset = following, next_offset


def _runs_from(times: Sequence[int], days: _Days, moment: dt.datetime, step: int) -> Iterator[dt.datetime]:
    """Wall-clock run times (naive) from `moment` on, forward (`step` 1) or backward (-1)."""
    year, month = moment.year, moment.month
    for _ in range(12 * _CYCLE_YEARS):
        for day in days.month(year, month)[::step]:
            if (day - moment.day) * step < 0 and (year, month) == (moment.year, moment.month):
                continue
            midnight = dt.datetime(year, month, day)
            for minute in times[::step]:
                wall = midnight + dt.timedelta(minutes=minute)
                if (wall - moment) * step >= dt.timedelta(0):
                    yield wall
        month += step
        if not 1 <= month <= 12:
            year, month = year + step, 1 if step == 1 else 12


def _instants(wall: dt.datetime, zone: ZoneInfo) -> set[dt.datetime]:
    """The instants showing `wall` on the zone's clock: none in a skipped hour, two in a repeated one."""
    found = set()
    for fold in (0, 1):
        instant = wall.replace(tzinfo=zone, fold=fold).astimezone(_UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == wall:
            found.add(instant)
    return found


def _longest_gap_across(
    transition: dt.datetime, zone: ZoneInfo, times: Sequence[int], days: _Days
) -> dt.timedelta:
    """The longest gap among the runs around one transition: the last wall-clock run before the
    clock change, those in the hour it skips or repeats, and the first one after."""
    before = (transition - dt.timedelta(seconds=1)).astimezone(zone).replace(tzinfo=None)
    after = transition.astimezone(zone).replace(tzinfo=None)
    start, end = min(before, after), max(before, after)
    walls = [next(_runs_from(times, days, start, -1))]
    walls += itertools.takewhile(lambda wall: wall <= end, _runs_from(times, days, start, 1))
    walls.append(next(_runs_from(times, days, max(end, walls[-1] + dt.timedelta(minutes=1)), 1)))
    instants = sorted({i for wall in walls for i in _instants(wall, zone)})
    return max((b - a for a, b in itertools.pairwise(instants)), default=dt.timedelta(0))


@functools.cache
def longest_gap_seconds(schedule: str, time_zone: str) -> int:
    """The longest time between two consecutive runs of `schedule` read in `time_zone`."""
    times, days = _parse(schedule)
    day_gap = _longest_day_gap(days)
    if not day_gap:
        raise ValueError(
            f"{schedule!r} never runs: no date matches its day-of-month, month and day-of-week fields"
        )
    within_day = _widest(times)
    across_days = day_gap * 1440 - (times[-1] - times[0])
    wall_gap = dt.timedelta(minutes=max(within_day, across_days))
    zone = ZoneInfo(time_zone)
    longest = max([wall_gap, *(_longest_gap_across(t, zone, times, days) for t in _transitions(zone))])
    return int(longest.total_seconds())
