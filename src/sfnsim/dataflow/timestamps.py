"""The one timestamp grammar: Wait's ``Timestamp``/``TimestampPath``, the Choice ``Timestamp*``
operators and ``IsTimestamp``, and the validator's check of a literal ``Timestamp``.

AWS's rule (Amazon States Language, "Wait workflow state" and "Choice workflow state" pages,
https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html): "Timestamps must conform to
the RFC3339 profile of ISO 8601, with the further restrictions that an uppercase T must separate the
date and time portions, and an uppercase Z must denote that a numeric time zone offset is not
present, for example, 2024-08-18T17:33:00Z."

So: ``YYYY-MM-DDTHH:MM:SS``, an optional fraction, then ``Z`` or ``+HH:MM``/``-HH:MM`` (RFC 3339
``date-time``: seconds and an offset are required; ``2016-03-14T01:59Z`` is not one). AWS's causes
name the parser behind it ("ISO-8601 extended offset date-time", Java's ``ISO_OFFSET_DATE_TIME``),
which bounds what RFC 3339 leaves open: at most nine fractional digits (nanoseconds) and offsets
within ±18:00. Dates and times must exist (no February 30th, no hour 25).
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime
from typing import Any

_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?"
    r"(?:Z|([+-])([0-9]{2}):([0-9]{2}))"
)
_MAX_OFFSET_SECONDS = 18 * 3600  # java.time.ZoneOffset's range


def parse_timestamp(value: Any) -> tuple[int, int] | None:
    """The instant ``value`` denotes, as (epoch seconds, nanoseconds), or None if it is not a timestamp.

    Nanoseconds are kept (Python's datetime stops at microseconds) so that two timestamps that
    differ in the 7th fractional digit still compare as different instants.
    """
    if not isinstance(value, str):
        return None
    m = _TIMESTAMP.fullmatch(value)
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.group(1, 2, 3, 4, 5, 6))
    try:
        datetime(year, month, day, hour, minute, second)  # range checks: month 13, Feb 30, hour 25
    except ValueError:
        return None
    offset = 0
    if m.group(8):
        off_hours, off_minutes = int(m.group(9)), int(m.group(10))
        offset = off_hours * 3600 + off_minutes * 60
        if off_minutes > 59 or offset > _MAX_OFFSET_SECONDS:
            return None
        offset *= -1 if m.group(8) == "-" else 1
    nanos = int((m.group(7) or "").ljust(9, "0"))
    return calendar.timegm((year, month, day, hour, minute, second)) - offset, nanos


def is_timestamp(value: Any) -> bool:
    return parse_timestamp(value) is not None
