"""Shared normalisation of a reply, and reading one number in digits or words."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from fractions import Fraction
from functools import lru_cache

from problems.checking.result import (
    _APOSTROPHES,
    _BENGALI_TO_LATIN,
    _LEAD_STRIP,
    _PHRASE_PREFIX,
    _TRAIL_STRIP,
)
from problems.numbers import (
    MAX_ANSWER_CHARS,
    Num,
    canonical,
    parse_num,
)
from problems.textmatch import (
    NEGATIONS,
    bn_fold,
)
from problems.types import AnswerKey
from problems.words import has_number_words, parse_number_words, split_words, tokens_of

# --- shared normalisation ---------------------------------------------------------------


def _norm_text(s: str) -> str:
    """NFC, casefolded, Latin digits, punctuation gone, whitespace collapsed."""
    s = unicodedata.normalize("NFC", s).translate(_BENGALI_TO_LATIN)
    s = unicodedata.normalize("NFC", s.casefold())
    out: list[str] = []
    for ch in s:
        if ch in _APOSTROPHES:
            continue
        cat = unicodedata.category(ch)
        if cat == "Cf":
            # ZWJ/ZWNJ appear or not depending on the Bengali keyboard used.
            continue
        out.append(" " if cat.startswith("P") else ch)
    return " ".join("".join(out).split())


def _light(s: str) -> str:
    """Like _norm_text but keeps inner punctuation, for exact option-text matches."""
    s = unicodedata.normalize("NFC", s).translate(_BENGALI_TO_LATIN)
    s = unicodedata.normalize("NFC", s.casefold())
    s = "".join(ch for ch in s if unicodedata.category(ch) != "Cf")
    s = " ".join(s.split())
    return s.lstrip(_LEAD_STRIP).rstrip(_TRAIL_STRIP)


def _strip_phrase(raw: str) -> str:
    """The reply without "the answer is" / "I think it's" / "উত্তর" around it."""
    s = " ".join(unicodedata.normalize("NFC", raw).split())
    for _ in range(3):
        s2 = _PHRASE_PREFIX.sub("", s.casefold()) if _PHRASE_PREFIX.match(s.casefold()) else s
        if s2 == s or not s2:
            break
        s = s2
    return s.strip().rstrip(".,;!?।").strip()


# Superscript powers and vulgar fractions are read (as ^n and n/d), not refused.
_NOT_FOREIGN = frozenset("⁰¹²³⁴⁵⁶⁷⁸⁹½¼¾⅓⅔⅛⅜⅝⅞⅕⅖⅗⅘⅙⅚")


def _foreign_digits(s: str) -> bool:
    s = unicodedata.normalize("NFC", s).translate(_BENGALI_TO_LATIN)
    return any(
        not ch.isascii() and unicodedata.numeric(ch, None) is not None and ch not in _NOT_FOREIGN
        for ch in s
    )


def _negated(words: Iterable[str]) -> bool:
    """A negation or a choice between answers ("not 5", "5 or 6", "৫ নয়")."""
    return any(bn_fold(w) in NEGATIONS for w in words if len(w) > 1 or not w.isascii())


def _tolerance(key: AnswerKey) -> Fraction:
    if key.tolerance is None:
        return Fraction(0)
    try:
        return abs(Fraction(key.tolerance))
    except (ValueError, OverflowError, TypeError):
        # NaN/Infinity in a bank file is a bank bug; grade exactly rather than accept all.
        return Fraction(0)


def _close(a: Fraction, b: Fraction, tol: Fraction) -> bool:
    return abs(a - b) <= tol


def _num_matches(answer: Num, student: Num, tol: Fraction) -> bool:
    """Whether the student's number is the answer, under the percentage conventions."""
    if answer.percent:
        # Against "50%" accept "50%", the bare "50", and the fraction of the whole 0.5.
        if student.percent:
            return _close(student.value, answer.value, tol)
        return _close(student.value, answer.value, tol) or _close(
            student.value * 100, answer.value, tol
        )
    return _close(student.of_whole, answer.value, tol)


# --- reading one number (digits or words) ------------------------------------------------

_WORD_STRIP = ".,;:!?।()[]\"'“”‘’«»"
_RUN_FILLERS = {"a", "and", "by", "per", "cent", "point", "bnpart"}


def _prepared_words(raw: str) -> list[str]:
    s = unicodedata.normalize("NFC", raw).translate(_BENGALI_TO_LATIN)
    s = unicodedata.normalize("NFC", s.casefold())
    for ch in _APOSTROPHES:
        s = s.replace(ch, "")
    words = []
    for w in split_words(s):
        w = w.strip(_WORD_STRIP)
        if w:
            words.append(bn_fold(w))
    return words


def _word_number(words: list[str]) -> tuple[Num | None, str] | None:
    """A number spelt in words, if the reply has number words; None if it has none."""
    toks = tokens_of(words)
    spoken = any(t and t[0][0] in ("minus", "by", "point") for t in toks)
    if not has_number_words(words) and not spoken:
        return None
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        if toks[i] is None:
            i += 1
            continue
        j = i
        while j < len(words) and toks[j] is not None:
            j += 1
        kinds = {k for t in toks[i:j] for k, _ in (t or [])}
        if kinds - _RUN_FILLERS:
            runs.append((i, j))
        i = j
    if len(runs) != 1:
        return None, "more than one number" if runs else "not a number"
    i, j = runs[0]
    run = words[i:j]
    rest = words[:i] + words[j:]
    if _negated(rest):
        return None, "a negation or a choice between answers"
    for lo, hi in ((0, len(run)), (1, len(run)), (0, len(run) - 1), (1, len(run) - 1)):
        piece = run[lo:hi]
        if not piece:
            continue
        if lo and toks[i][0][0] not in ("a", "and", "by"):  # type: ignore[index]
            continue
        if hi < len(run) and toks[i + len(run) - 1][0][0] not in ("a", "and", "by"):  # type: ignore[index]
            continue
        w = parse_number_words(piece)
        if w is not None:
            return Num(w.value, w.percent, w.kind, w.places, w.parts), "number in words"
    has_digits = any(ch.isdigit() for ch in "".join(run))
    return None, ("mixes number words and digits" if has_digits else "number words not read")


_SPACED_POINT = re.compile(r"[0-9]\s*\.\s+[0-9]|[0-9]\s+\.\s*[0-9]")


def _why_not_number(raw: str) -> str:
    s = unicodedata.normalize("NFC", raw).translate(_BENGALI_TO_LATIN).casefold()
    if len(raw.strip()) > MAX_ANSWER_CHARS:
        return "too long to be an answer"
    if _foreign_digits(raw):
        return "digits of another script"
    if _SPACED_POINT.search(s):
        return "a point with spaces around it"
    if re.search(r"[0-9][a-z]", s):
        return "letters glued to a number"
    if not re.search(r"[0-9]", s):
        return "not a number"
    if re.search(r"(?<![a-z])[a-z](?![a-z])", s) and re.search(r"[-+*/^×·−]", s):
        return "an expression, not a number"
    if "/0" in s.replace(" ", ""):
        return "divides by zero"
    return "more than one number"


@lru_cache(maxsize=4096)
def _read_number(raw: str) -> tuple[Num | None, str]:
    """The student's number (digits or words) and how it was read, or why it was not."""
    if len(raw.strip()) > MAX_ANSWER_CHARS:
        return None, "too long to be an answer"
    if _foreign_digits(raw):
        return None, "digits of another script"
    words = _prepared_words(raw)
    got = _word_number(words)
    if got is not None:
        return got
    if _negated(words):
        return None, "a negation or a choice between answers"
    n = parse_num(raw)
    if n is None:
        return None, _why_not_number(raw)
    return n, ""


def _show_num(n: Num) -> str:
    return canonical(n.value) + ("%" if n.percent else "")
