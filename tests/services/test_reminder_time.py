"""Reminder times as people in Bangladesh write them (pure: no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.services.reminder_time import read_reminder
from bot.services.students import parse_reminder


@pytest.mark.parametrize(
    ("text", "kind", "time"),
    [
        ("19:30", "time", dt.time(19, 30)),
        ("১৯:৩০", "time", dt.time(19, 30)),
        ("07:30", "time", dt.time(7, 30)),  # a leading zero is the 24-hour clock
        ("12:15", "time", dt.time(12, 15)),
        ("0:05", "time", dt.time(0, 5)),
        ("7pm", "time", dt.time(19, 0)),
        ("7:30 pm", "time", dt.time(19, 30)),
        ("7.30 p.m.", "time", dt.time(19, 30)),
        ("6:45 AM", "time", dt.time(6, 45)),
        ("12am", "time", dt.time(0, 0)),
        ("12 pm", "time", dt.time(12, 0)),
        ("সন্ধ্যা ৭টা", "time", dt.time(19, 0)),
        ("সন্ধ্যায় ৭:৩০টায়", "time", dt.time(19, 30)),
        ("রাত ৮টা", "time", dt.time(20, 0)),
        ("রাত ১২টা", "time", dt.time(0, 0)),
        ("রাত ২টা", "time", dt.time(2, 0)),
        ("সকাল ৭টা", "time", dt.time(7, 0)),
        ("ভোর ৫টা", "time", dt.time(5, 0)),
        ("বিকেল ৪টা", "time", dt.time(16, 0)),
        ("বিকাল ৫:১৫", "time", dt.time(17, 15)),
        ("দুপুর ১টা", "time", dt.time(13, 0)),
        ("দুপুর ১২টা", "time", dt.time(12, 0)),
        ("৭:৩০", "ambiguous", dt.time(7, 30)),
        ("7:30", "ambiguous", dt.time(7, 30)),
        ("৭টা", "ambiguous", dt.time(7, 0)),
        ("off", "off", None),
        ("বন্ধ", "off", None),
        ("٧:٣٠", "other_digits", None),
        ("७ बजे", "other_digits", None),
        ("7", "bad", None),
        ("25:99", "bad", None),
        ("সকাল ৭টা pm", "bad", None),
        ("সকাল ১৯টা", "bad", None),
        ("hello 7:30", "bad", None),
        ("7:30 8:30", "bad", None),
    ],
)
def test_reminder_times(text: str, kind: str, time: dt.time | None) -> None:
    read = read_reminder(text)
    assert (read.kind, read.time) == (kind, time)


def test_parse_reminder_keeps_its_old_contract() -> None:
    assert parse_reminder("18:30") == dt.time(18, 30)
    assert parse_reminder("off") is None
    assert parse_reminder("7:30") is False  # ambiguous: the chat asks, this says no
