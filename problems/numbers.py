"""Reading numbers the way grade 6-8 students type them, in Latin or Bengali digits.

Everything here is pure and total: bad input gives ``None`` (or is skipped), never an
exception.  The answer checker in :mod:`problems.checking` builds on these helpers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction

# A student's answer is a few words at most; anything longer is not an answer we can
# read safely, and capping it bounds the work done on hostile input.
MAX_ANSWER_CHARS = 200
# int() refuses strings of more than 4300 digits (CVE-2020-10735 guard), and no real
# number in a hint or answer is anywhere near this long.
_MAX_TOKEN_CHARS = 200

_BENGALI_DIGITS = "০১২৩৪৫৬৭৮৯"
_BENGALI_TO_LATIN = str.maketrans(_BENGALI_DIGITS, "0123456789")
_LATIN_TO_BENGALI = str.maketrans("0123456789", _BENGALI_DIGITS)

# Phone keyboards and word processors substitute look-alike characters for the ASCII
# ones; students mean the same thing, so fold them before scanning.
_VULGAR_FRACTIONS = {
    "½": (1, 2),
    "⅓": (1, 3),
    "⅔": (2, 3),
    "¼": (1, 4),
    "¾": (3, 4),
    "⅕": (1, 5),
    "⅖": (2, 5),
    "⅗": (3, 5),
    "⅘": (4, 5),
    "⅙": (1, 6),
    "⅚": (5, 6),
    "⅛": (1, 8),
    "⅜": (3, 8),
    "⅝": (5, 8),
    "⅞": (7, 8),
}
_LOOKALIKES: dict[str, str] = {
    "\u2212": "-",  # minus sign
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\ufe63": "-",  # small hyphen-minus
    "\uff0d": "-",  # fullwidth hyphen-minus
    "\uff0b": "+",  # fullwidth plus
    "\u2044": "/",  # fraction slash
    "\u2215": "/",  # division slash
    "\u00f7": "/",  # division sign: "3 ÷ 4" is the fraction 3/4
    "\u066a": "%",  # Arabic percent sign
    "\ufe6a": "%",  # small percent sign
    "\uff05": "%",  # fullwidth percent sign
    # A leading space lets "1½" read as the mixed number "1 1/2".
    **{ch: f" {n}/{d}" for ch, (n, d) in _VULGAR_FRACTIONS.items()},
}
_FOLD = str.maketrans(_LOOKALIKES)

# One unsigned number: Western grouping (12,345), Indian lakh/crore grouping (1,00,000),
# or plain digits, each with an optional decimal part; or a bare ".5".  A comma that does
# not fit either grouping is a separator between two numbers ("1,5" is ambiguous, so it
# reads as two numbers and the answer is rejected as unreadable rather than guessed).
_NUM = (
    r"(?:[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])"
    r"|[0-9]{1,2}(?:,[0-9]{2})+,[0-9]{3}(?![0-9])"
    r"|[0-9]+)(?:\.[0-9]+)?"
    r"|(?<![\w.])\.[0-9]+"
)
# [0-9] rather than \d throughout: \d matches every script's digits.
_TOKEN = re.compile(
    r"(?P<pre>শতকরা\s*)?"
    # A sign only counts where it cannot be subtraction or a hyphenated word ("class-6").
    r"(?:(?<![\w.])(?P<sign>[-+])\s*)?"
    rf"(?P<num>{_NUM})"
    rf"(?:\s*/\s*(?P<den>{_NUM}))?"
    r"(?P<pct>\s*(?:%|percent\b|per\s?cent\b|শতাংশ))?"
)


@dataclass(frozen=True, slots=True)
class Num:
    """A number as the student wrote it: ``value`` is 50 for "50%", with ``percent`` set.

    ``kind`` (integer, decimal, fraction, mixed), ``places`` (digits after the point) and
    ``parts`` (``(p, q)`` of a fraction, ``(w, p, q)`` of a mixed number, as written) say
    how it was written, for required forms; they take no part in equality.
    """

    value: Fraction
    percent: bool = False
    kind: str = field(default="integer", compare=False)
    places: int = field(default=0, compare=False)
    parts: tuple[int, ...] = field(default=(), compare=False)

    @property
    def of_whole(self) -> Fraction:
        """The plain value: "50%" is 1/2."""
        return self.value / 100 if self.percent else self.value


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    negative: bool
    signed: bool
    num: str
    den: str | None
    percent: bool
    prefixed: bool


def to_bengali_digits(s: str) -> str:
    """Write a number in Bengali digits for the student, e.g. "12.5" -> "১২.৫"."""
    return s.translate(_LATIN_TO_BENGALI)


def _prepare(text: str) -> str:
    s = unicodedata.normalize("NFC", text)
    s = s.translate(_BENGALI_TO_LATIN).translate(_FOLD)
    return s.casefold()


def _has_foreign_digits(s: str) -> bool:
    # Python's int() and Decimal() happily read Devanagari, Arabic-Indic, fullwidth...
    # digits; the bot only promises Latin and Bengali, so anything else must not be graded.
    return any(not ch.isascii() and unicodedata.numeric(ch, None) is not None for ch in s)


def _decimal(s: str) -> Fraction:
    whole, _, frac = s.replace(",", "").partition(".")
    scale = 10 ** len(frac)
    return Fraction(int(whole or "0") * scale + int(frac or "0"), scale)


def _scan(s: str) -> list[_Token]:
    return [
        _Token(
            start=m.start(),
            end=m.end(),
            negative=m.group("sign") == "-",
            signed=m.group("sign") is not None,
            num=m.group("num"),
            den=m.group("den"),
            percent=m.group("pct") is not None or m.group("pre") is not None,
            prefixed=m.group("pre") is not None,
        )
        for m in _TOKEN.finditer(s)
    ]


def _is_mixed(whole: _Token, frac: _Token, s: str) -> bool:
    if whole.den is not None or whole.percent or not whole.num.isdigit():
        return False
    if frac.den is None or frac.signed or frac.prefixed:
        return False
    if not (frac.num.isdigit() and frac.den.isdigit()):
        return False
    gap = s[whole.end : frac.start]
    if not gap or not gap.isspace():
        return False
    # "2 5/4" is not how anyone writes a mixed number; treat it as two numbers.
    return 0 < int(frac.num) < int(frac.den)


def _value(tok: _Token) -> Fraction | None:
    if tok.end - tok.start > _MAX_TOKEN_CHARS:
        return None
    value = _decimal(tok.num)
    if tok.den is not None:
        den = _decimal(tok.den)
        if den == 0:
            return None
        value /= den
    return -value if tok.negative else value


def _places(text: str) -> int:
    return len(text.partition(".")[2])


def _int_or_none(text: str) -> int | None:
    return int(text.replace(",", "")) if "." not in text else None


def _shape(tok: _Token, value: Fraction) -> Num:
    if tok.den is None:
        places = _places(tok.num)
        kind = "decimal" if places else "integer"
        return Num(value, tok.percent, kind, places)
    p, q = _int_or_none(tok.num), _int_or_none(tok.den)
    parts = (p, q) if p is not None and q is not None else ()
    return Num(value, tok.percent, "fraction", 0, parts)


def _numbers(s: str) -> list[Num | None]:
    """All numbers in a prepared string, in order; ``None`` marks an unusable one (1/0)."""
    tokens = _scan(s)
    out: list[Num | None] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if i + 1 < len(tokens) and _is_mixed(tok, tokens[i + 1], s):
            frac = tokens[i + 1]
            whole_v = _value(tok)
            frac_v = _value(frac)
            if whole_v is None or frac_v is None or frac.den is None:
                out.append(None)
            else:
                mixed = abs(whole_v) + frac_v
                parts = (int(tok.num), int(frac.num), int(frac.den))
                value = -mixed if tok.negative else mixed
                out.append(Num(value, frac.percent, "mixed", 0, parts))
            i += 2
            continue
        v = _value(tok)
        out.append(None if v is None else _shape(tok, v))
        i += 1
    return out


# Letters a number may be glued to ("12cm", "5kg", "3rd"); anything else glued to digits
# ("5x", "2ab", "2djkajdajk") means the reply is not one plain number.
UNIT_SUFFIXES = frozenset(
    [
        "cm",
        "mm",
        "m",
        "km",
        "kg",
        "g",
        "mg",
        "l",
        "ml",
        "lt",
        "ltr",
        "tk",
        "taka",
        "s",
        "sec",
        "secs",
        "min",
        "mins",
        "h",
        "hr",
        "hrs",
        "hour",
        "hours",
        "d",
        "day",
        "days",
        "yr",
        "yrs",
        "year",
        "years",
        "st",
        "nd",
        "rd",
        "th",
        "pc",
        "pcs",
        "ft",
        "in",
        "c",
        "kmph",
        "kmh",
        "mph",
    ]
)
_GLUED = re.compile(r"[0-9]([a-z]+)")
_SPACED_POINT = re.compile(r"[0-9]\s*\.\s+[0-9]|[0-9]\s+\.\s*[0-9]")
_UNIT_POWER = re.compile(r"(?<=[a-z\u0980-\u09ff])[²³]")
_OPERATION = re.compile(r"[0-9]\s*[\^*×·+]\s*[-+]?\s*[0-9]")
_LONE_LETTER = re.compile(r"(?<![a-z])[a-z](?![a-z])")
_ARITH = frozenset("+-*/^×·")


def _looks_algebraic(s: str) -> bool:
    """A lone letter next to an operator ("x + 7", "a^2"): algebra, not a number."""
    for m in _LONE_LETTER.finditer(s):
        head = s[: m.start()].rstrip()
        before = head[-1:]
        tail = s[m.end() :].lstrip()
        after = tail[:1]
        if (before == "/" and head[-2:-1].isalpha()) or (after == "/" and tail[1:2].isalpha()):
            continue  # a unit such as km/h or m/s
        if (before and before in _ARITH) or (after and after in _ARITH):
            return True
    return False


def parse_num(text: str) -> Num | None:
    """Read a student's answer as one number (keeping whether it was a percentage)."""
    stripped = text.strip()
    if len(stripped) > MAX_ANSWER_CHARS:
        return None
    s = _UNIT_POWER.sub("", _prepare(stripped))
    if _has_foreign_digits(s) or _SPACED_POINT.search(s) or _looks_algebraic(s):
        return None
    if _OPERATION.search(s):
        return None  # "2^3", "2 × 2", "3 + 3": a calculation, not one number
    if any(m.group(1) not in UNIT_SUFFIXES for m in _GLUED.finditer(s)):
        return None
    found = _numbers(s)
    if not found or any(n is None for n in found):
        return None
    distinct = set(found)
    if len(distinct) != 1:
        return None
    return distinct.pop()


def parse_number(text: str) -> Fraction | None:
    """Read a student's answer as one number ("৫০%" -> 1/2); ``None`` if it is not exactly one."""
    try:
        n = parse_num(text)
    except (ValueError, ArithmeticError):  # pragma: no cover - belt and braces
        return None
    return None if n is None else n.of_whole


def numbers_in(text: str) -> list[Num]:
    """Every readable Latin- or Bengali-digit number in a longer text such as a hint."""
    return [n for n in _numbers(_prepare(text)) if n is not None]


def canonical(value: Fraction) -> str:
    """Latin-digit form of a number: a finite decimal when one exists, else "p/q"."""
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    scaled = abs(value.numerator) * (10**places // value.denominator)
    whole, frac = divmod(scaled, 10**places)
    text = str(whole)
    if places:
        digits = str(frac).rjust(places, "0").rstrip("0")
        if digits:
            text += "." + digits
    return "-" + text if value < 0 else text
