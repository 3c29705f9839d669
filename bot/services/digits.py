"""Digits we read (0–9 and Bengali ০–৯) and the digits of every other script, which we
ask the student to write again rather than guess at (Python's ``int`` would read them)."""

from __future__ import annotations

import unicodedata

OUR_DIGITS = frozenset("0123456789০১২৩৪৫৬৭৮৯")


def has_other_digits(text: str) -> bool:
    """Whether ``text`` has a digit of another script (Arabic-Indic ٧, Devanagari ७, …)."""
    return any(
        ch not in OUR_DIGITS and unicodedata.category(ch) == "Nd"
        for ch in text
        if not ch.isascii()
    )
