"""Virtual time: the only clock the engine reads."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache


def utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime (naive datetimes are taken to be UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


# Each Task formats its entered and invoked times, mostly the same instant as the last one: the
# text of the last moment is kept.
@lru_cache(maxsize=1)
def iso_millis(moment: datetime) -> str:
    """AWS's timestamp text in the context object, e.g. ``2024-01-01T00:00:00.000Z``."""
    # ``isoformat`` is C and truncates to milliseconds like the division did; ``strftime`` was
    # several times slower (and, while handlers see frozen time, goes through freezegun's patched
    # ``time.strftime``).
    at = utc(moment)
    if at.year < 1000:  # strftime's %Y does not pad such years (kept as it was)
        return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
    return at.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class VirtualClock:
    """Seconds since the execution started, turned into datetimes on demand.

    Only the scheduler moves it; nothing in the engine sleeps or reads the wall clock.
    """

    __slots__ = ("start", "elapsed", "_cached_at", "_cached_now")

    def __init__(self, start: datetime) -> None:
        self.start = utc(start)
        self.elapsed = 0.0
        self._cached_at = 0.0
        self._cached_now = self.start

    def now(self) -> datetime:
        # Many events share one instant; building the datetime once per instant is measurably cheaper.
        if self.elapsed != self._cached_at:
            self._cached_at = self.elapsed
            self._cached_now = self.start + timedelta(seconds=self.elapsed)
        return self._cached_now

    def seconds_until(self, moment: datetime) -> float:
        return (utc(moment) - self.start).total_seconds() - self.elapsed

    def seconds_until_instant(self, epoch_seconds: int, nanos: int = 0) -> float:
        """Seconds from now until an instant given as seconds since 1970 (and nanoseconds).

        Plain numbers, not datetimes: a timestamp at either end of the calendar (year 9999 at
        -14:00 lies past ``datetime.max``) is still a time to wait until."""
        start = self.start - _EPOCH
        return (epoch_seconds - start.days * 86_400 - start.seconds) + (nanos / 1e9 - start.microseconds / 1e6) \
            - self.elapsed
