"""Time for Dars: an injectable clock and the one place that decides a student's "today"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    """The real time, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


def local_date(now: dt.datetime, timezone: str) -> dt.date:
    """The student's calendar date at ``now`` in their own time zone (never the UTC date)."""
    return now.astimezone(ZoneInfo(timezone)).date()
