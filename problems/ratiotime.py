"""Ratios (``2:3``, ``২:৩``, ``2 to 3``) and times (``1:30``, ``01:30``, ``1.30``, ``সাড়ে ৯টা``).

A ratio is never read from a single number: ``2.3`` and ``2/3`` are refused with a reason
("a decimal", "a fraction"), and the checker asks again.  A time is read from the forms
used in Bangladesh: ``H:MM``, ``H.MM`` (exactly two digits after the point), hours and
minutes in words (``1 hour 30 minutes``, ``১ ঘণ্টা ৩০ মিনিট``, ``90 minutes``), o'clock
(``৯টা``, ``9 o'clock``), ``half past``/``quarter past``/``quarter to``, and the Bengali
সাড়ে/সোয়া/পৌনে/দেড়টা/আড়াইটা.  ``1/30`` is not a time.  Pure and total.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, replace
from fractions import Fraction

from problems.numbers import canonical, parse_num
from problems.textmatch import bn_fold
from problems.words import parse_number_words, split_words

__all__ = [
    "Clock",
    "Ratio",
    "parse_ratio",
    "parse_time",
    "ratio_equivalent",
    "ratio_identical",
    "times_match",
]

_BENGALI_TO_LATIN = str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")
_COLONS = str.maketrans({"∶": ":", "：": ":", "ঃ": ":", "꞉": ":", "︰": ":"})
_PREFIX = re.compile(
    r"^(?:(?:the\s+)?(?:answer|ans|ratio|time)(?:\s+is)?|i\s+think(?:\s+it'?s|\s+it\s+is)?|"
    r"it'?s|it\s+is|উত্তর(?:\s*(?:হলো|হল|হবে))?|অনুপাত(?:টি)?|সময়)\s*[:=\-]?\s+",
)
_TRAIL = ".,;!?।"


def _prepare(text: str) -> str:
    s = unicodedata.normalize("NFC", text).translate(_BENGALI_TO_LATIN).translate(_COLONS)
    s = " ".join(s.casefold().split())
    for _ in range(3):
        s2 = _PREFIX.sub("", s)
        if s2 == s:
            break
        s = s2
    return s.strip().rstrip(_TRAIL).strip()


def _foreign_digits(s: str) -> bool:
    return any(not ch.isascii() and unicodedata.numeric(ch, None) is not None for ch in s)


# --- ratios -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ratio:
    """A ratio as written: its parts (exact) and whether each was a whole number."""

    parts: tuple[Fraction, ...]
    whole: bool  # every part written as a whole number

    @property
    def lowest(self) -> bool:
        """Whole-number parts with no common factor (``2:3``, not ``4:6`` or ``1.5:2``)."""
        if not self.whole:
            return False
        g = 0
        for p in self.parts:
            g = math.gcd(g, int(p))
        return g == 1

    def text(self) -> str:
        return ":".join(canonical(p) for p in self.parts)


_TO = re.compile(r"\s+(?:is\s+to|to|এর\s+সাথে|:)\s+|\s*:\s*")
_NUMBER_PART = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:/[0-9]+)?")


def _part(text: str) -> tuple[Fraction, bool] | None:
    t = text.strip()
    if not t:
        return None
    if _NUMBER_PART.fullmatch(t):
        n = parse_num(t)
        if n is None or n.value < 0:
            return None
        return n.value, n.kind == "integer"
    w = parse_number_words(split_words(" ".join(bn_fold(x) for x in t.split())))
    if w is None or w.percent or w.value < 0:
        return None
    return w.value, w.kind == "integer"


def parse_ratio(text: str) -> Ratio | str:
    """A ratio of 2-4 parts, or the reason the text is not one."""
    if len(text) > 80:
        return "too long to be a ratio"
    if _foreign_digits(unicodedata.normalize("NFC", text).translate(_BENGALI_TO_LATIN)):
        return "digits of another script"
    s = _prepare(text)
    if not s:
        return "empty"
    pieces = _TO.split(s)
    if len(pieces) == 1:
        n = parse_num(s)
        if n is not None and n.kind == "decimal":
            return f"{s} is a decimal, a ratio is written like 2:3"
        if n is not None and n.kind in ("fraction", "mixed"):
            return f"{s} is a fraction, a ratio is written like 2:3"
        if n is not None:
            return f"{s} is one number, a ratio is written like 2:3"
        return "not a ratio"
    if len(pieces) > 4:
        return "too many parts for a ratio"
    parts: list[Fraction] = []
    whole = True
    for piece in pieces:
        got = _part(piece)
        if got is None:
            return "not a ratio"
        parts.append(got[0])
        whole = whole and got[1]
    if all(p == 0 for p in parts):
        return "a ratio of zeros"
    return Ratio(tuple(parts), whole)


def ratio_equivalent(a: Ratio, b: Ratio) -> bool:
    """Same number of parts and proportional (``4:6`` is ``2:3``)."""
    if len(a.parts) != len(b.parts):
        return False
    pivot = next((i for i, p in enumerate(a.parts) if p), None)
    if pivot is None or not b.parts[pivot]:
        return False
    k = b.parts[pivot] / a.parts[pivot]
    return all(x * k == y for x, y in zip(a.parts, b.parts, strict=True))


def ratio_identical(a: Ratio, b: Ratio) -> bool:
    return a.parts == b.parts


# --- times ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Clock:
    """A time as seconds (a clock time from midnight, or a duration) and am/pm if given."""

    seconds: int
    meridiem: str | None = None  # "am" / "pm"

    def text(self) -> str:
        h, rest = divmod(self.seconds, 3600)
        m, sec = divmod(rest, 60)
        out = f"{h}:{m:02d}" + (f":{sec:02d}" if sec else "")
        return out + (f" {self.meridiem}" if self.meridiem else "")


_HMS = re.compile(r"([0-9]{1,3})\s*:\s*([0-9]{2})(?:\s*:\s*([0-9]{2}))?")
_H_DOT_MM = re.compile(r"([0-9]{1,2})\.([0-9]{2})")
_MERIDIEM = re.compile(r"\s*\b(a\.?\s?m\.?|p\.?\s?m\.?)$")
_BN_DAYPART = {
    "সকাল": "am",
    "ভোর": "am",
    "দুপুর": "pm",
    "বিকাল": "pm",
    "বিকেল": "pm",
    "সন্ধ্যা": "pm",
    "রাত": "pm",
}
_BN_DAYPART_F = {bn_fold(k): v for k, v in _BN_DAYPART.items()}
_HOUR_WORDS = {"h", "hr", "hrs", "hour", "hours", bn_fold("ঘণ্টা"), bn_fold("ঘন্টা")}
_MIN_WORDS = {"m", "min", "mins", "minute", "minutes", bn_fold("মিনিট")}
_SEC_WORDS = {"s", "sec", "secs", "second", "seconds", bn_fold("সেকেন্ড")}
_OCLOCK = {"oclock", "o clock"}
_BN_TA = (bn_fold("টা"), bn_fold("টায়"), bn_fold("টার"))
_BN_MOD = {bn_fold("সাড়ে"): 30, bn_fold("সোয়া"): 15, bn_fold("পৌনে"): -15}
_BN_FRAC_HOURS = {bn_fold("দেড়"): 90, bn_fold("আড়াই"): 150}


def _number(word: str) -> Fraction | None:
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", word):
        return Fraction(word)
    w = parse_number_words([word])
    return w.value if w is not None and not w.percent else None


def _hour_of(word: str) -> int | None:
    """An hour word in a clock reading: ৯টা, 9, nine, দেড়টা (as minutes *after* 0)."""
    for ta in _BN_TA:
        if word.endswith(ta) and len(word) > len(ta):
            word = word[: -len(ta)]
            break
    n = _number(word)
    if n is None or n.denominator != 1 or not 0 <= n <= 24:
        return None
    return int(n)


def _words_time(words: list[str]) -> int | None:
    """Seconds from a spoken time or duration, or None."""
    if not words:
        return None
    folded = [bn_fold(w) for w in words]
    # দেড়টা / আড়াইটা
    if len(folded) == 1:
        for key, minutes in _BN_FRAC_HOURS.items():
            if folded[0] in (key, *(key + ta for ta in _BN_TA)):
                return minutes * 60
    # সাড়ে ৯টা, সোয়া ৯টা, পৌনে ১০টা
    if len(folded) == 2 and folded[0] in _BN_MOD:
        h = _hour_of(folded[1])
        if h is None:
            return None
        return (h * 60 + _BN_MOD[folded[0]]) * 60
    # half past one / quarter past two / quarter to three
    if len(folded) >= 3 and folded[1] in ("past", "to"):
        head = " ".join(folded[:1])
        named = {"half": 30, "quarter": 15}.get(head)
        if named is not None:
            minutes = named
        else:
            n = _number(head)
            if n is None or n.denominator != 1 or not 0 < n < 60:
                return None
            minutes = int(n)
        rest = folded[2:]
        if rest[-1:] == ["oclock"]:
            rest = rest[:-1]
        if len(rest) != 1:
            return None
        h = _hour_of(rest[0])
        if h is None:
            return None
        total = h * 60 + (minutes if folded[1] == "past" else -minutes)
        return total * 60 if total >= 0 else None
    # 9 o'clock, ৯টা, ৯টা ৩০ মিনিট, 1 hour 30 minutes, 90 minutes, 1h 30m
    seconds = 0
    i = 0
    used = False
    unit_seen: set[str] = set()
    while i < len(folded):
        w = folded[i]
        value: Fraction
        m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)(h|hr|hrs|m|min|mins|s)", w)
        if m:
            value, unit = Fraction(m.group(1)), m.group(2)
            i += 1
        else:
            hour_ta = None
            for ta in _BN_TA:
                if w.endswith(ta) and len(w) > len(ta):
                    hour_ta = _hour_of(w)
                    break
            if hour_ta is not None:
                if "h" in unit_seen:
                    return None
                seconds += hour_ta * 3600
                unit_seen.add("h")
                used = True
                i += 1
                # "৯টা ৩০" - minutes may follow without a unit word
                if i < len(folded) and re.fullmatch(r"[0-9]{1,2}", folded[i]):
                    nxt = folded[i + 1] if i + 1 < len(folded) else ""
                    if nxt in _MIN_WORDS or not nxt:
                        mins = int(folded[i])
                        if mins >= 60:
                            return None
                        seconds += mins * 60
                        unit_seen.add("m")
                        i += 2 if nxt else 1
                continue
            n = _number(w)
            if n is None or i + 1 >= len(folded):
                return None
            unit_word = folded[i + 1]
            if unit_word in _HOUR_WORDS or unit_word in _OCLOCK:
                unit = "h"
            elif unit_word in _MIN_WORDS:
                unit = "m"
            elif unit_word in _SEC_WORDS:
                unit = "s"
            else:
                return None
            value = n
            i += 2
        unit = {"hr": "h", "hrs": "h", "min": "m", "mins": "m"}.get(unit, unit)
        if unit in unit_seen:
            return None
        unit_seen.add(unit)
        scale = {"h": 3600, "m": 60, "s": 1}[unit]
        amount = value * scale
        if amount.denominator != 1:
            return None
        seconds += int(amount)
        used = True
        if i < len(folded) and folded[i] in ("and", "ও", bn_fold("এবং")):
            i += 1
    return seconds if used else None


def parse_time(text: str) -> Clock | str:
    """A clock time or duration, or the reason the text is not one."""
    if len(text) > 80:
        return "too long to be a time"
    if _foreign_digits(unicodedata.normalize("NFC", text).translate(_BENGALI_TO_LATIN)):
        return "digits of another script"
    s = _prepare(text)
    if not s:
        return "empty"
    s = s.replace("o'clock", "oclock").replace("o’clock", "oclock").replace("o clock", "oclock")
    meridiem: str | None = None
    m = _MERIDIEM.search(s)
    if m:
        meridiem = "am" if m.group(1).startswith("a") else "pm"
        s = s[: m.start()].strip()
    words = s.split()
    if words and bn_fold(words[0]) in _BN_DAYPART_F:
        meridiem = _BN_DAYPART_F[bn_fold(words[0])]
        words = words[1:]
        s = " ".join(words)
    if not s:
        return "not a time"
    m = _HMS.fullmatch(s)
    if m:
        h, mins = int(m.group(1)), int(m.group(2))
        sec = int(m.group(3)) if m.group(3) else 0
        if mins >= 60 or sec >= 60:
            return "minutes and seconds must be below 60"
        return Clock(h * 3600 + mins * 60 + sec, meridiem)
    m = _H_DOT_MM.fullmatch(s)
    if m:
        h, mins = int(m.group(1)), int(m.group(2))
        if mins >= 60:
            return f"{s} is a decimal, a time is written like 1:30"
        return Clock(h * 3600 + mins * 60, meridiem)
    seconds = _words_time(split_words(s))
    if seconds is not None:
        return Clock(seconds, meridiem)
    n = parse_num(s)
    if n is not None and n.kind in ("fraction", "mixed"):
        return f"{s} is a fraction, a time is written like 1:30"
    if n is not None and n.kind == "decimal":
        return f"{s} is a decimal, a time is written like 1:30"
    if n is not None:
        return f"{s} is one number, a time is written like 1:30"
    return "not a time"


_DAY = 24 * 3600
_HALF_DAY = 12 * 3600


def _of_day(c: Clock) -> int:
    s = c.seconds % _DAY
    if c.meridiem == "pm" and s < _HALF_DAY:
        s += _HALF_DAY
    if c.meridiem == "am" and s >= _HALF_DAY:
        s -= _HALF_DAY
    return s


def times_match(answer: Clock, student: Clock) -> bool:
    """Equal times; without am/pm on one side, 1:30 and 13:30 are the same clock reading."""
    if answer.seconds == student.seconds and answer.meridiem == student.meridiem:
        return True
    if answer.seconds >= _DAY or student.seconds >= _DAY:
        return answer.seconds == student.seconds
    if answer.meridiem and student.meridiem:
        return _of_day(answer) == _of_day(student)
    # 14:30 is written on a 24-hour clock, so it is pm: 2:30 am is not the same time.
    if student.meridiem and answer.seconds >= 13 * 3600:
        return _of_day(replace(answer, meridiem="pm")) == _of_day(student)
    if answer.meridiem and student.seconds >= 13 * 3600:
        return _of_day(answer) == _of_day(replace(student, meridiem="pm"))
    return _of_day(answer) % _HALF_DAY == _of_day(student) % _HALF_DAY
