"""Virtual time: the only clock the engine reads."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


def utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime (naive datetimes are taken to be UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def iso_millis(moment: datetime) -> str:
    """AWS's timestamp text in the context object, e.g. ``2024-01-01T00:00:00.000Z``."""
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class VirtualClock:
    """Seconds since the execution started, turned into datetimes on demand.

    Only the scheduler moves it; nothing in the engine sleeps or reads the wall clock.
    """

    __slots__ = ("start", "elapsed")

    def __init__(self, start: datetime) -> None:
        self.start = utc(start)
        self.elapsed = 0.0

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def seconds_until(self, moment: datetime) -> float:
        return (utc(moment) - self.start).total_seconds() - self.elapsed
