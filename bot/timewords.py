"""A clock time as people in Bangladesh say it: "সন্ধ্যা ৭:৩০", "7:30 pm"."""

from __future__ import annotations

from bot.texts import localize_number, t


def day_part(hour: int) -> str:
    """The part of the day a 24-hour ``hour`` falls in, as a text key's suffix."""
    if 4 <= hour < 6:
        return "dawn"
    if 6 <= hour < 12:
        return "morning"
    if 12 <= hour < 16:
        return "noon"
    if 16 <= hour < 18:
        return "afternoon"
    if 18 <= hour < 20:
        return "evening"
    return "night"


def time_in_words(lang: str, hour: int, minute: int) -> str:
    """``19, 30`` → "সন্ধ্যা ৭:৩০" (bn) or "7:30 pm" (en): the 12-hour clock with a word."""
    twelve = hour % 12 or 12
    clock = localize_number(f"{twelve}:{minute:02d}", lang)
    if lang == "en":
        # English says am or pm, whatever the part of the day.
        return f"{clock} {'am' if hour < 12 else 'pm'}"
    return t(lang, f"time_{day_part(hour)}", time=clock)
