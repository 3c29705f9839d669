"""Reading a reminder time as people in Bangladesh write it.

24-hour times (``19:30``, ``১৯:৩০``), 12-hour times with a word for the part of the day
(``7pm``, ``7:30 pm``, ``সন্ধ্যা ৭টা``, ``রাত ৮টা``, ``সকাল ৭টা``, ``দুপুর ১টা``), and ``off``.
A bare ``7:30`` (an hour from 1 to 11, no word) could be morning or evening: it is
returned as ambiguous, for the chat to ask which.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from bot.services.digits import has_other_digits

OFF_WORDS = frozenset({"off", "no", "none", "stop", "বন্ধ", "না"})
_BN_TO_LATIN = str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")
_NUMBER = re.compile(r"(\d{1,2})(?:\s*[:.]\s*(\d{2}))?")


def _nfc(word: str) -> str:
    return unicodedata.normalize("NFC", word).casefold()


# The part of the day a word names; longest first, so "রাতে" is not read as "রাত" + "ে".
_PARTS = {
    _nfc(word): part
    for word, part in {
        "সকাল": "am",
        "সকালে": "am",
        "ভোর": "am",
        "ভোরে": "am",
        "দুপুর": "noon",
        "দুপুরে": "noon",
        "বিকাল": "pm",
        "বিকালে": "pm",
        "বিকেল": "pm",
        "বিকেলে": "pm",
        "সন্ধ্যা": "pm",
        "সন্ধ্যায়": "pm",
        "সন্ধ্যে": "pm",
        "রাত": "night",
        "রাতে": "night",
        "a.m.": "am",
        "p.m.": "pm",
        "am": "am",
        "pm": "pm",
        "morning": "am",
        "afternoon": "pm",
        "evening": "pm",
        "night": "night",
    }.items()
}
# Words around a time that say nothing about it.
_FILLERS = tuple(
    _nfc(word) for word in ("টায়", "টার", "টা", "বাজে", "o'clock", "oclock", "in the", "at", "-এ", "এ")
)
_TOKENS = sorted([*_PARTS, *_FILLERS], key=len, reverse=True)


@dataclass(frozen=True, slots=True)
class ReminderInput:
    kind: Literal["time", "off", "ambiguous", "bad", "other_digits"]
    time: dt.time | None = None  # "time"; "ambiguous": the morning reading (hour 1–11)


def read_reminder(raw: str) -> ReminderInput:
    """What the student's reply to "when shall I remind you?" says."""
    text = _nfc(raw).strip()
    if text in OFF_WORDS:
        return ReminderInput("off")
    if has_other_digits(text):
        return ReminderInput("other_digits")
    text = text.translate(_BN_TO_LATIN)
    numbers = list(_NUMBER.finditer(text))
    if len(numbers) != 1:
        return ReminderInput("bad")
    match = numbers[0]
    hour, minute = int(match[1]), int(match[2] or 0)
    rest = f" {text[: match.start()]} {text[match.end() :]} "
    part = None
    said_hour = False  # "৭টা", "7 o'clock": an hour, even without minutes
    for token in _TOKENS:
        if token in rest:
            said_hour = True
            if token in _PARTS:
                if part is not None and part != _PARTS[token]:
                    return ReminderInput("bad")  # "সকাল ৭টা pm"
                part = _PARTS[token]
            rest = rest.replace(token, " ")
    if rest.strip(" .,-") or minute > 59:
        return ReminderInput("bad")
    if part is None:
        if match[2] is None and not said_hour:
            return ReminderInput("bad")  # a bare "7" is not a time
        if 1 <= hour <= 11 and not match[1].startswith("0"):
            return ReminderInput("ambiguous", dt.time(hour, minute))
        hour24: int | None = hour if hour <= 23 else None
    else:
        hour24 = _to_24(hour, part)
    if hour24 is None:
        return ReminderInput("bad")
    return ReminderInput("time", dt.time(hour24, minute))


def _to_24(hour: int, part: str) -> int | None:
    """A 12-hour ``hour`` said with a part of the day, on the 24-hour clock."""
    if hour > 12:
        # "সন্ধ্যা ১৯টা": already 24-hour; only a later part of the day may say so.
        return hour if hour <= 23 and part != "am" else None
    if hour == 0:
        return 0 if part in ("am", "night") else None
    if part == "am":
        return 0 if hour == 12 else hour
    if part == "noon":
        # দুপুর ১২টা is noon, দুপুর ১–৪টা the early afternoon; দুপুর ১১টা late morning.
        return hour if hour >= 11 else hour + 12
    if part == "pm":
        return 12 if hour == 12 else hour + 12
    # night: রাত ৮টা is 20:00, রাত ১২টা midnight, রাত ২টা 02:00.
    if hour == 12:
        return 0
    return hour + 12 if hour >= 6 else hour
