"""Numbers written in words, in English and Bengali, possibly mixed with digits.

``five``, ``twenty-one``, ``one hundred and five``, ``2 hundred``, ``one lakh``,
``three quarters``, ``one and a half``, ``two point five``, ``fifty percent``,
``পাঁচ``, ``একুশ``, ``দেড়``, ``আড়াই``, ``সাড়ে তিন``, ``দুইশো``, ``এক লাখ``, ``৫ হাজার``,
``তিন-চতুর্থাংশ``, ``চার ভাগের এক``, ``শতকরা পঞ্চাশ``.

The grammar is strict on purpose: ``seven 0 seven`` or ``five six`` is not a number, and
the caller treats it as unreadable rather than guessing.  Pure and total.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from problems.textmatch import bn_fold

__all__ = ["WordNumber", "has_number_words", "parse_number_words", "tokens_of"]

# --- English ----------------------------------------------------------------------------

_EN_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
_EN_TEENS = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_EN_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {
    "thousand": 1000,
    "lakh": 100_000,
    "lakhs": 100_000,
    "lac": 100_000,
    "lacs": 100_000,
    "million": 1_000_000,
    "crore": 10_000_000,
    "crores": 10_000_000,
}
_HUNDRED = {"hundred", "hundreds"}
_EN_DENOMS = {
    "half": 2,
    "halves": 2,
    "third": 3,
    "thirds": 3,
    "quarter": 4,
    "quarters": 4,
    "fourth": 4,
    "fourths": 4,
    "fifth": 5,
    "fifths": 5,
    "sixth": 6,
    "sixths": 6,
    "seventh": 7,
    "sevenths": 7,
    "eighth": 8,
    "eighths": 8,
    "ninth": 9,
    "ninths": 9,
    "tenth": 10,
    "tenths": 10,
    "twelfth": 12,
    "twelfths": 12,
    "hundredth": 100,
    "hundredths": 100,
}

# --- Bengali (stored folded, see textmatch.bn_fold) ------------------------------------

_BN_0_100 = [
    "শূন্য",
    "এক",
    "দুই",
    "তিন",
    "চার",
    "পাঁচ",
    "ছয়",
    "সাত",
    "আট",
    "নয়",
    "দশ",
    "এগারো",
    "বারো",
    "তেরো",
    "চৌদ্দ",
    "পনেরো",
    "ষোলো",
    "সতেরো",
    "আঠারো",
    "উনিশ",
    "বিশ",
    "একুশ",
    "বাইশ",
    "তেইশ",
    "চব্বিশ",
    "পঁচিশ",
    "ছাব্বিশ",
    "সাতাশ",
    "আঠাশ",
    "ঊনত্রিশ",
    "ত্রিশ",
    "একত্রিশ",
    "বত্রিশ",
    "তেত্রিশ",
    "চৌত্রিশ",
    "পঁয়ত্রিশ",
    "ছত্রিশ",
    "সাঁইত্রিশ",
    "আটত্রিশ",
    "ঊনচল্লিশ",
    "চল্লিশ",
    "একচল্লিশ",
    "বিয়াল্লিশ",
    "তেতাল্লিশ",
    "চুয়াল্লিশ",
    "পঁয়তাল্লিশ",
    "ছেচল্লিশ",
    "সাতচল্লিশ",
    "আটচল্লিশ",
    "ঊনপঞ্চাশ",
    "পঞ্চাশ",
    "একান্ন",
    "বাহান্ন",
    "তিপ্পান্ন",
    "চুয়ান্ন",
    "পঞ্চান্ন",
    "ছাপ্পান্ন",
    "সাতান্ন",
    "আটান্ন",
    "ঊনষাট",
    "ষাট",
    "একষট্টি",
    "বাষট্টি",
    "তেষট্টি",
    "চৌষট্টি",
    "পঁয়ষট্টি",
    "ছেষট্টি",
    "সাতষট্টি",
    "আটষট্টি",
    "ঊনসত্তর",
    "সত্তর",
    "একাত্তর",
    "বাহাত্তর",
    "তিয়াত্তর",
    "চুয়াত্তর",
    "পঁচাত্তর",
    "ছিয়াত্তর",
    "সাতাত্তর",
    "আটাত্তর",
    "ঊনআশি",
    "আশি",
    "একাশি",
    "বিরাশি",
    "তিরাশি",
    "চুরাশি",
    "পঁচাশি",
    "ছিয়াশি",
    "সাতাশি",
    "আটাশি",
    "ঊননব্বই",
    "নব্বই",
    "একানব্বই",
    "বিরানব্বই",
    "তিরানব্বই",
    "চুরানব্বই",
    "পঁচানব্বই",
    "ছিয়ানব্বই",
    "সাতানব্বই",
    "আটানব্বই",
    "নিরানব্বই",
]
# Everyday alternative spellings (folding already covers ি/ী, ু/ূ, ণ/ন, শ/ষ/স, ঁ).
_BN_ALIASES = {
    "দু": 2,
    "ছ": 6,
    "ছয়": 6,
    "এগার": 11,
    "বার": 12,
    "তের": 13,
    "চোদ্দ": 14,
    "চৌদ্দো": 14,
    "পনের": 15,
    "ষোল": 16,
    "সতের": 17,
    "আঠার": 18,
    "কুড়ি": 20,
    "তেইশ": 23,
    "পঁচিশ": 25,
}
_BN_HUNDRED = ("শো", "শ", "শত")
_BN_SCALES = {"হাজার": 1000, "লাখ": 100_000, "লক্ষ": 100_000, "কোটি": 10_000_000}
# Fractions that work like numbers: দেড় (1 1/2), আড়াই (2 1/2).
_BN_FRACTIONAL = {
    "দেড়": Fraction(3, 2),
    "আড়াই": Fraction(5, 2),
    "অর্ধেক": Fraction(1, 2),
    "আধা": Fraction(1, 2),
    "আধ": Fraction(1, 2),
}
# Modifiers of the next number: সাড়ে তিন = 3 1/2, সোয়া দুই = 2 1/4, পৌনে তিন = 2 3/4.
_BN_MODIFIERS = {"সাড়ে": Fraction(1, 2), "সোয়া": Fraction(1, 4), "পৌনে": Fraction(-1, 4)}
_BN_DENOMS = {
    "দ্বিতীয়াংশ": 2,
    "তৃতীয়াংশ": 3,
    "চতুর্থাংশ": 4,
    "পঞ্চমাংশ": 5,
    "ষষ্ঠাংশ": 6,
    "সপ্তমাংশ": 7,
    "অষ্টমাংশ": 8,
    "নবমাংশ": 9,
    "দশমাংশ": 10,
}
_BN_CLASSIFIERS = ("টি", "টা", "জন", "খানা", "খানি")

_POINT = {"point", "দশমিক"}
_PERCENT_AFTER = {"percent", "percentage", "শতাংশ"}
_PERCENT_BEFORE = {"শতকরা"}
_MINUS = {"minus", "negative", "মাইনাস", "ঋণাত্মক"}
_AND = {"and", "&"}
_BY = {"by", "over", "upon"}
_BN_PARTS = ("ভাগের", "ভাগ")


@dataclass(frozen=True, slots=True)
class WordNumber:
    """A number read from words; ``kind`` is integer/decimal/fraction/mixed (for forms)."""

    value: Fraction
    percent: bool = False
    kind: str = "integer"
    places: int = 0
    parts: tuple[int, ...] = ()


@lru_cache(maxsize=1)
def _bn_table() -> dict[str, Fraction]:
    table: dict[str, Fraction] = {}
    for i, w in enumerate(_BN_0_100):
        table[bn_fold(w)] = Fraction(i)
    for w, v in _BN_ALIASES.items():
        table.setdefault(bn_fold(w), Fraction(v))
    return table


def _bn_map(d: dict[str, int] | dict[str, Fraction]) -> dict[str, Fraction]:
    return {bn_fold(k): Fraction(v) for k, v in d.items()}


_BN_SCALES_F = _bn_map(_BN_SCALES)
_BN_FRACTIONAL_F = _bn_map(_BN_FRACTIONAL)
_BN_MODIFIERS_F = _bn_map(_BN_MODIFIERS)
_BN_DENOMS_F = {bn_fold(k): v for k, v in _BN_DENOMS.items()}
_BN_HUNDRED_F = tuple(bn_fold(h) for h in _BN_HUNDRED)
_BN_CLASSIFIERS_F = tuple(bn_fold(c) for c in _BN_CLASSIFIERS)
_BN_PARTS_F = frozenset(bn_fold(p) for p in _BN_PARTS)
_POINT_F = frozenset(bn_fold(p) for p in _POINT)
_PERCENT_AFTER_F = frozenset(bn_fold(p) for p in _PERCENT_AFTER)
_PERCENT_BEFORE_F = frozenset(bn_fold(p) for p in _PERCENT_BEFORE)
_MINUS_F = frozenset(bn_fold(p) for p in _MINUS)

_DIGITS = re.compile(
    r"[0-9]+(?:\.[0-9]+)?|[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,2}(?:,[0-9]{2})+,[0-9]{3}"
)
_SPLIT = re.compile(r"[\s\-‐‑–—]+")


# --- tokens -----------------------------------------------------------------------------

# A token: (kind, value).  Kinds: small (a number below 1000 in one word or digits),
# unit/teen/tens (English parts, with adjacency rules), hundred, scale, and, a, point,
# denom, frac (দেড়...), mod (সাড়ে...), pct_after, pct_before, minus, by, bnpart.
Tok = tuple[str, Fraction]


def _bn_word(w: str) -> list[Tok] | None:
    table = _bn_table()
    if w in table:
        return [("small", table[w])]
    if w in _BN_SCALES_F:
        return [("scale", _BN_SCALES_F[w])]
    if w in _BN_FRACTIONAL_F:
        return [("frac", _BN_FRACTIONAL_F[w])]
    if w in _BN_MODIFIERS_F:
        return [("mod", _BN_MODIFIERS_F[w])]
    if w in _BN_DENOMS_F:
        return [("denom", Fraction(_BN_DENOMS_F[w]))]
    if w in _BN_HUNDRED_F:
        return [("hundred", Fraction(100))]
    if w in _BN_PARTS_F:
        return [("bnpart", Fraction(0))]
    for c in _BN_CLASSIFIERS_F:  # পাঁচটি, দেড়টা
        if w.endswith(c) and len(w) > len(c):
            inner = _bn_word(w[: -len(c)])
            if inner is not None:
                return inner
    for h in _BN_HUNDRED_F:  # দুইশো, দেড়শো, তিনশত
        if w.endswith(h) and len(w) > len(h):
            stem = w[: -len(h)]
            inner = _bn_word(stem)
            if inner is not None and len(inner) == 1 and inner[0][0] in ("small", "frac"):
                return [inner[0], ("hundred", Fraction(100))]
    return None


def _token(word: str) -> list[Tok] | None:
    w = word
    if w in _EN_UNITS:
        return [("unit", Fraction(_EN_UNITS[w]))]
    if w in _EN_TEENS:
        return [("teen", Fraction(_EN_TEENS[w]))]
    if w in _EN_TENS:
        return [("tens", Fraction(_EN_TENS[w]))]
    if w in _HUNDRED:
        return [("hundred", Fraction(100))]
    if w in _SCALES:
        return [("scale", Fraction(_SCALES[w]))]
    if w in _EN_DENOMS:
        return [("denom", Fraction(_EN_DENOMS[w]))]
    if w in _AND:
        return [("and", Fraction(0))]
    if w == "a":
        return [("a", Fraction(1))]
    if w in _BY:
        return [("by", Fraction(0))]
    if w == "per":
        return [("per", Fraction(0))]
    if w == "cent":
        return [("cent", Fraction(0))]
    if _DIGITS.fullmatch(w):
        text = w.replace(",", "")
        if len(text) > 15:
            return None
        return [("digits", Fraction(text))]
    f = bn_fold(w)
    if f in _POINT_F or w in _POINT:
        return [("point", Fraction(0))]
    if f in _PERCENT_AFTER_F:
        return [("pct_after", Fraction(0))]
    if f in _PERCENT_BEFORE_F:
        return [("pct_before", Fraction(0))]
    if f in _MINUS_F:
        return [("minus", Fraction(0))]
    return _bn_word(f)


#: Token kinds that only make sense as part of a number phrase.
_NUMBERISH = {"unit", "teen", "tens", "hundred", "scale", "denom", "frac", "mod", "small"}


def tokens_of(words: list[str]) -> list[list[Tok] | None]:
    """The number tokens of each word (``None`` for a word that is not about numbers)."""
    return [_token(w) for w in words]


def has_number_words(words: list[str]) -> bool:
    """Whether any word is a number word (digits alone do not count)."""
    return any(any(k in _NUMBERISH for k, _ in toks or ()) for toks in tokens_of(words))


# --- grammar ----------------------------------------------------------------------------


def _integer(toks: list[Tok]) -> Fraction | None:
    """A whole number phrase (digits allowed as a chunk: "2 hundred", "1.5 lakh")."""
    if not toks:
        return None
    total = Fraction(0)
    group = Fraction(0)
    last = ""  # kind of the previous token
    last_scale = Fraction(10**12)
    pending_mod: Fraction | None = None
    seen_hundred = False
    for i, (kind, value) in enumerate(toks):
        if kind == "a":
            nxt = toks[i + 1][0] if i + 1 < len(toks) else ""
            if last not in ("", "scale", "and") or nxt not in ("hundred", "scale"):
                return None
            kind = "unit"
        if kind == "and":
            if last not in ("hundred", "scale") or i + 1 == len(toks):
                return None
            last = "and"
            continue
        if kind == "mod":
            if last not in ("", "scale", "hundred", "and") or pending_mod is not None:
                return None
            pending_mod = value
            last = "mod"
            continue
        if kind in ("unit", "teen", "tens", "small", "digits", "frac"):
            if kind == "unit" and last == "tens" and value != 0:
                group += value
                last = "unit"
                continue
            if last not in ("", "scale", "hundred", "and", "mod"):
                return None
            if value == 0 and (len(toks) > 1 or kind == "frac"):
                return None
            if last == "hundred" and value >= 100:
                return None
            if kind == "digits" and last in ("scale", "hundred", "and") and value >= 1000:
                return None
            if pending_mod is not None:
                if kind not in ("unit", "teen", "tens", "small", "digits"):
                    return None
                value = value + pending_mod
                pending_mod = None
            group += value
            last = "tens" if kind == "tens" else ("frac" if kind == "frac" else "unit")
            if kind == "digits" and value.denominator != 1:
                last = "frac"
            continue
        if kind == "hundred":
            if last not in ("unit", "frac") or seen_hundred or group == 0 or group >= 100:
                return None
            group *= 100
            seen_hundred = True
            last = "hundred"
            continue
        if kind == "scale":
            if last not in ("unit", "tens", "hundred", "frac") or value >= last_scale:
                return None
            if group == 0:
                return None
            total += group * value
            group = Fraction(0)
            last_scale = value
            seen_hundred = False
            last = "scale"
            continue
        return None
    if last in ("and", "mod") or pending_mod is not None:
        return None
    return total + group


def _digit_words(toks: list[Tok]) -> str | None:
    """Digits after "point": "two point five", "zero point seven five", "point 5"."""
    out = ""
    for kind, value in toks:
        if (kind in ("unit", "small") and value.denominator == 1 and 0 <= value <= 9) or (
            kind == "digits" and value.denominator == 1
        ):
            out += str(int(value))
        else:
            return None
    return out or None


def _split_at(toks: list[Tok], kind: str) -> tuple[list[Tok], list[Tok]] | None:
    for i, (k, _) in enumerate(toks):
        if k == kind:
            return toks[:i], toks[i + 1 :]
    return None


def _fraction(toks: list[Tok]) -> tuple[Fraction, int, int] | None:
    """ "three quarters", "a half", "half", "এক-তৃতীয়াংশ", "চার ভাগের এক (ভাগ)"."""
    if not toks:
        return None
    if toks[-1][0] == "denom":
        den = int(toks[-1][1])
        head = toks[:-1]
        if not head:
            if den != 2:
                return None
            num = 1
        elif len(head) == 1 and head[0][0] == "a":
            num = 1
        else:
            n = _integer(head)
            if n is None or n.denominator != 1 or n <= 0 or n >= 1000:
                return None
            num = int(n)
        return Fraction(num, den), num, den
    if toks[0][0] != "bnpart" and any(k == "bnpart" for k, _ in toks):
        # চার ভাগের এক (ভাগ): denominator, ভাগের, numerator, optional ভাগ
        i = next(j for j, (k, _) in enumerate(toks) if k == "bnpart")
        den_v = _integer(toks[:i])
        rest = toks[i + 1 :]
        if rest and rest[-1][0] == "bnpart":
            rest = rest[:-1]
        num_v = _integer(rest)
        if den_v is None or num_v is None or den_v.denominator != 1 or num_v.denominator != 1:
            return None
        if den_v <= 0 or num_v <= 0:
            return None
        return Fraction(int(num_v), int(den_v)), int(num_v), int(den_v)
    return None


def _unsigned(toks: list[Tok]) -> WordNumber | None:
    if not toks:
        return None
    # "x by y" / "x over y": a fraction read aloud.
    by = _split_at(toks, "by")
    if by is not None:
        a, b = _integer(by[0]), _integer(by[1])
        if a is None or b is None or b == 0 or a.denominator != 1 or b.denominator != 1:
            return None
        return WordNumber(a / b, kind="fraction", parts=(int(a), int(b)))
    # "two point five"
    pt = _split_at(toks, "point")
    if pt is not None:
        whole = _integer(pt[0]) if pt[0] else Fraction(0)
        digits = _digit_words(pt[1])
        if whole is None or digits is None or whole.denominator != 1:
            return None
        decimal = whole + Fraction(int(digits), 10 ** len(digits))
        return WordNumber(decimal, kind="decimal", places=len(digits))
    # "one and a half", "two and three quarters"
    for i in range(len(toks) - 1, 0, -1):
        if toks[i][0] == "and":
            frac = _fraction(toks[i + 1 :])
            if frac is not None:
                w = _integer(toks[:i])
                if w is None or w.denominator != 1 or frac[0] >= 1:
                    return None
                return WordNumber(w + frac[0], kind="mixed", parts=(int(w), *frac[1:]))
            break
    frac = _fraction(toks)
    if frac is not None:
        return WordNumber(frac[0], kind="fraction", parts=frac[1:])
    value = _integer(toks)
    if value is None:
        return None
    if value.denominator == 1:
        return WordNumber(value)
    if value < 1:
        return WordNumber(value, kind="fraction", parts=(value.numerator, value.denominator))
    # দেড়, আড়াই, সাড়ে তিন, 1.5 lakh: a mixed number when whole plus a simple fraction.
    whole_part = value.numerator // value.denominator
    rest = value - whole_part
    return WordNumber(value, kind="mixed", parts=(whole_part, rest.numerator, rest.denominator))


def parse_number_words(words: list[str]) -> WordNumber | None:
    """Read a list of words (already lowercased, Latin digits) as one number, or None."""
    toks: list[Tok] = []
    for w in words:
        t = _token(w)
        if t is None:
            return None
        toks.extend(t)
    if not toks:
        return None
    percent = False
    negative = False
    if toks[0][0] == "minus":
        negative = True
        toks = toks[1:]
    if toks and toks[0][0] == "pct_before":
        percent = True
        toks = toks[1:]
    if toks and toks[-1][0] == "pct_after":
        percent = True
        toks = toks[:-1]
    elif len(toks) >= 2 and toks[-2][0] == "per" and toks[-1][0] == "cent":
        percent = True
        toks = toks[:-2]
    if not toks or any(k in ("minus", "pct_before", "pct_after", "per", "cent") for k, _ in toks):
        return None
    if not negative and not any(k in _NUMBERISH or k in ("point", "by") for k, _ in toks):
        return None  # digits only: the digit reader handles those
    n = _unsigned(toks)
    if n is None:
        return None
    value = -n.value if negative else n.value
    return WordNumber(value, percent, n.kind, n.places, n.parts)


def split_words(text: str) -> list[str]:
    """Split a prepared (lowercased, Latin-digit) text into words, hyphens as spaces."""
    return [w for w in _SPLIT.split(text) if w]
