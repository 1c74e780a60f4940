"""The longest gap between two runs of a cron schedule, against croniter stepping through the runs.

The gap sets a job's default missed-run alert window: too short and a healthy job alerts between two
runs. The computation reads the schedule's structure; the oracle here is croniter itself, stepping
run by run over a window chosen to contain the longest gap, or, where a daylight-saving change skips
a scheduled wall-clock time (croniter moves such a run, Kubernetes' cron library does not run it),
every minute of the days around the change matched against the expression.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter

from components.config.workloads import CronJobConfig, longest_gap_seconds


def _stepped(schedule: str, zone: str, start: datetime, end: datetime) -> int:
    runs = croniter(schedule, start.replace(tzinfo=ZoneInfo(zone)))
    previous = runs.get_next(datetime).astimezone(UTC)
    longest = timedelta(0)
    while previous < end.replace(tzinfo=UTC):
        following = runs.get_next(datetime).astimezone(UTC)
        longest = max(longest, following - previous)
        previous = following
    return int(longest.total_seconds())


def _every_minute(schedule: str, zone: str, start: datetime, end: datetime) -> int:
    """Runs are the minutes whose wall-clock time in `zone` matches: a skipped time never runs."""
    tz = ZoneInfo(zone)
    moment, runs = start.replace(tzinfo=UTC), []
    while moment < end.replace(tzinfo=UTC):
        if croniter.match(schedule, moment.astimezone(tz).replace(tzinfo=None)):
            runs.append(moment)
        moment += timedelta(minutes=1)
    return int(max(b - a for a, b in itertools.pairwise(runs)).total_seconds())


@pytest.mark.parametrize(
    ("schedule", "zone", "start", "end"),
    [
        ("*/15 * * * *", "Etc/UTC", datetime(2026, 1, 1), datetime(2026, 1, 3)),
        ("0 7 * * 1-5", "Etc/UTC", datetime(2026, 1, 1), datetime(2026, 3, 1)),
        ("15 6 * * *", "Europe/Berlin", datetime(2026, 10, 20), datetime(2026, 11, 1)),
        ("*/30 * * * *", "Europe/Berlin", datetime(2026, 10, 24), datetime(2026, 10, 26)),
        ("*/30 * * * *", "Europe/Berlin", datetime(2026, 3, 28), datetime(2026, 3, 30)),
        # Friday 17:55 to Monday 09:00 across the November fall-back: one hour longer.
        ("*/5 9-17 * * 1-5", "America/New_York", datetime(2026, 10, 28), datetime(2026, 11, 4)),
        ("0 0 31 * *", "Etc/UTC", datetime(2026, 1, 1), datetime(2027, 1, 1)),
        ("0 12 1,15 * 5", "Asia/Tokyo", datetime(2026, 1, 1), datetime(2028, 1, 1)),
        ("0 0 L * *", "Etc/UTC", datetime(2026, 1, 1), datetime(2027, 1, 1)),
        ("30 4 * * 1#2", "Etc/UTC", datetime(2026, 1, 1), datetime(2027, 1, 1)),
        ("0 3 * 2,8 0", "Australia/Sydney", datetime(2026, 1, 1), datetime(2029, 1, 1)),
        ("@weekly", "Etc/UTC", datetime(2026, 1, 1), datetime(2026, 3, 1)),
        # 29 February: four years apart, except across 2100, which is not a leap year.
        ("0 0 29 2 *", "Etc/UTC", datetime(2090, 1, 1), datetime(2110, 1, 1)),
        ("0 0 1 1 *", "Etc/UTC", datetime(2026, 1, 1), datetime(2030, 1, 1)),
    ],
)
def test_longest_gap_matches_croniter(schedule: str, zone: str, start: datetime, end: datetime) -> None:
    assert longest_gap_seconds(schedule, zone) == _stepped(schedule, zone, start, end)


def test_a_wall_clock_time_the_clock_skips_does_not_run() -> None:
    # 02:30 does not exist in Berlin on 29 March 2026: the runs of the 28th and the 30th are 47 h apart.
    expected = _every_minute("30 2 * * *", "Europe/Berlin", datetime(2026, 3, 27), datetime(2026, 4, 1))
    assert expected == 47 * 3600
    assert longest_gap_seconds("30 2 * * *", "Europe/Berlin") == expected


def test_literal_gaps() -> None:
    assert longest_gap_seconds("0 7 * * 1-5", "Etc/UTC") == 3 * 86400  # Friday to Monday
    assert (
        longest_gap_seconds("0 0 29 2 *", "Etc/UTC") == (date(2104, 2, 29) - date(2096, 2, 29)).days * 86400
    )


def test_a_schedule_that_never_runs_is_a_config_error() -> None:
    with pytest.raises(ValueError, match=r"'0 0 30 2 \*' never runs"):
        CronJobConfig.model_validate(
            {"name": "never", "image": "ghcr.io/example/web:1.4.2", "schedule": "0 0 30 2 *"}
        )
