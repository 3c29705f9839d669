"""The rule-based answer checker: grades a student's reply against a bank answer key.

Pure and total: no I/O, and no input string ever makes it raise.  An answer the checker
cannot read confidently is ``UNREADABLE`` (the bot asks again) rather than ``INCORRECT``,
because marking a child wrong for our own parsing failure is the worse mistake.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from problems.numbers import (
    Num,
    canonical,
    numbers_in,
    parse_num,
    parse_number,
    to_bengali_digits,
)
from problems.types import AnswerKey, AnswerType

__all__ = [
    "CheckResult",
    "Verdict",
    "check_answer",
    "hint_reveals_answer",
    "parse_number",
    "to_bengali_digits",
]


class Verdict(enum.StrEnum):
    """How the student's reply was graded; UNREADABLE means "please answer again"."""

    CORRECT = "correct"
    INCORRECT = "incorrect"
    UNREADABLE = "unreadable"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The grade for one reply, with the reply in canonical form for feedback and logs."""

    verdict: Verdict
    # The student's answer normalised ("0.5", "50%", "B", "photosynthesis"); "" if unreadable.
    normalized: str


_UNREADABLE = CheckResult(Verdict.UNREADABLE, "")

_LETTERS_EN = "abcd"
_LETTERS_BN = "কখগঘ"
_BENGALI_TO_LATIN = str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")
# Dropped outright rather than turned into a space, so "don't" and "dont" agree.
_APOSTROPHES = frozenset("'’ʼ`´")
# Stripped from the ends only: inner punctuation can matter in an option ("-5", "3/4").
_LEAD_STRIP = "\"'“”‘’«»([{ \t\r\n"
_TRAIL_STRIP = ".,;:!?।॥\"'“”‘’«»)]} \t\r\n"

_LETTER_PREFIX = (
    r"(?:(?:the\s+)?(?:correct\s+)?(?:option|choice|answer|ans|উত্তর|বিকল্প)"
    r"(?:\s+is)?\s*[:=\-]?\s*)?"
)
_LETTER_ONLY = re.compile(
    rf"{_LETTER_PREFIX}[(\[]?\s*(?P<l>[{_LETTERS_EN}{_LETTERS_BN}])\s*[)\]]?\s*[.:।]?"
)
_LETTER_THEN_TEXT = re.compile(
    rf"{_LETTER_PREFIX}[(\[]?(?P<l>[{_LETTERS_EN}{_LETTERS_BN}])(?:[)\]]|[.:]\s)\s*(?P<rest>.+)",
    re.DOTALL,
)
_HINT_LETTER = (
    r"(?:option|choice|answer\s+is|answer\s*:|উত্তর|বিকল্প)\s*[:\-]?\s*[(\[]?\s*{letter}(?!\w)"
)


def check_answer(key: AnswerKey, raw: str) -> CheckResult:
    """Grade the student's reply: correct, incorrect, or unreadable (so the bot asks again)."""
    try:
        return _grade(key, raw)
    except Exception:  # a grading bug must never crash the student's chat
        return _UNREADABLE


def hint_reveals_answer(key: AnswerKey, text: str) -> bool:
    """Say whether a hint or explanation would give the student the answer outright."""
    try:
        return _reveals(key, text)
    except Exception:  # when unsure, treat the hint as unsafe to show
        return True


def _grade(key: AnswerKey, raw: str) -> CheckResult:
    if key.answer_type == AnswerType.NUMERIC:
        return _check_numeric(key, raw)
    if key.answer_type == AnswerType.MULTIPLE_CHOICE:
        return _check_choice(key, raw)
    return _check_text(key, raw)


def _reveals(key: AnswerKey, text: str) -> bool:
    if key.answer_type == AnswerType.NUMERIC:
        return _numeric_revealed(key, text)
    if key.answer_type == AnswerType.MULTIPLE_CHOICE:
        return _choice_revealed(key, text)
    return _phrase_revealed([key.answer, *key.accept], text)


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


# --- numeric ----------------------------------------------------------------------------


def _answer_nums(key: AnswerKey) -> list[Num]:
    nums = (parse_num(a) for a in (key.answer, *key.accept))
    return [n for n in nums if n is not None]


def _check_numeric(key: AnswerKey, raw: str) -> CheckResult:
    student = parse_num(raw)
    if student is None:
        return _UNREADABLE
    normalized = canonical(student.value) + ("%" if student.percent else "")
    answers = _answer_nums(key)
    if answers:
        tol = _tolerance(key)
        ok = any(_num_matches(a, student, tol) for a in answers)
    else:
        # The bank answer is not a number we can read; the best we can do is compare text.
        ok = _norm_text(raw) in _norm_set([key.answer, *key.accept])
    return CheckResult(Verdict.CORRECT if ok else Verdict.INCORRECT, normalized)


def _numeric_revealed(key: AnswerKey, text: str) -> bool:
    answers = _answer_nums(key)
    if not answers:
        return _phrase_revealed([key.answer, *key.accept], text)
    tol = _tolerance(key)
    targets: list[tuple[Fraction, Fraction]] = []
    for a in answers:
        targets.append((a.value, tol))
        if a.percent:
            targets.append((a.value / 100, tol / 100))
    for n in numbers_in(text):
        # "5 - 3" shows the digits 3 even though the scanner reads "-3"; and "50%" shows
        # the digits 50.  Either way the student can see the answer, so count every reading.
        readings = {n.value, abs(n.value), n.of_whole}
        if any(_close(r, t, t_tol) for r in readings for t, t_tol in targets):
            return True
    return False


# --- multiple choice --------------------------------------------------------------------


def _options(key: AnswerKey) -> list[list[str]]:
    """For each option index, every text it is shown with (English, Bengali)."""
    n = max(len(key.options_en), len(key.options_bn))
    return [[o[i] for o in (key.options_en, key.options_bn) if i < len(o)] for i in range(n)]


def _letter_index(letter: str) -> int:
    return _LETTERS_EN.index(letter) if letter in _LETTERS_EN else _LETTERS_BN.index(letter)


def _letter_name(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else str(i + 1)


def _unique(indices: Iterable[int]) -> int | None:
    found = set(indices)
    return found.pop() if len(found) == 1 else None


def _match_by_text(options: list[list[str]], raw: str) -> set[int]:
    """Indices whose option text (or number) the student wrote; several means ambiguous."""
    light = _light(raw)
    if light:
        hits = {i for i, texts in enumerate(options) if any(_light(t) == light for t in texts)}
        if hits:
            return hits
    student = parse_num(raw)
    if student is not None:
        hits = set()
        for i, texts in enumerate(options):
            for t in texts:
                opt = parse_num(t)
                if opt is not None and _num_matches(opt, student, Fraction(0)):
                    hits.add(i)
        if hits:
            return hits
    norm = _norm_text(raw)
    if norm:
        return {i for i, texts in enumerate(options) if any(_norm_text(t) == norm for t in texts)}
    return set()


def _correct_index(key: AnswerKey, options: list[list[str]]) -> int | None:
    if key.answer in key.options_en:
        return key.options_en.index(key.answer)
    by_text = _unique(i for i, texts in enumerate(options) for t in texts if t == key.answer)
    if by_text is not None:
        return by_text
    light = _light(key.answer)
    if len(light) == 1 and light in _LETTERS_EN + _LETTERS_BN:
        i = _letter_index(light)
        return i if i < len(options) else None
    return _unique(_match_by_text(options, key.answer))


def _choose(options: list[list[str]], raw: str) -> int | None:
    """The option index the student picked, or None when we cannot tell which."""
    n = len(options)
    light = _light(raw)
    if not light:
        return None
    exact = {i for i, texts in enumerate(options) if any(_light(t) == light for t in texts)}
    if exact:
        return _unique(exact)
    m = _LETTER_ONLY.fullmatch(light)
    if m:
        i = _letter_index(m.group("l"))
        return i if i < n else None
    m = _LETTER_THEN_TEXT.fullmatch(light)
    if m:
        i = _letter_index(m.group("l"))
        if i >= n:
            return None
        rest = _match_by_text(options, m.group("rest"))
        # "B) 12" where 12 is option C: the student contradicted themselves, so ask again.
        return i if not rest or rest == {i} else None
    hits = _match_by_text(options, raw)
    if hits:
        return _unique(hits)
    if all(parse_num(t) is None for texts in options for t in texts):
        # Only when no option is itself a number can "2" safely mean "the second option".
        picked = parse_num(raw)
        if picked is not None and not picked.percent and picked.value.denominator == 1:
            i = int(picked.value) - 1
            if 0 <= i < n:
                return i
    return None


def _check_choice(key: AnswerKey, raw: str) -> CheckResult:
    options = _options(key)
    chosen = _choose(options, raw)
    if chosen is None:
        return _UNREADABLE
    ok = chosen == _correct_index(key, options)
    return CheckResult(Verdict.CORRECT if ok else Verdict.INCORRECT, _letter_name(chosen))


def _choice_revealed(key: AnswerKey, text: str) -> bool:
    options = _options(key)
    idx = _correct_index(key, options)
    shown = [key.answer] if idx is None else [key.answer, *options[idx]]
    if _phrase_revealed(shown, text):
        return True
    for t in shown:
        if parse_num(t) is not None and _numeric_revealed(AnswerKey(AnswerType.NUMERIC, t), text):
            return True
    if idx is not None and idx < len(_LETTERS_EN):
        letters = f"[{_LETTERS_EN[idx]}{_LETTERS_BN[idx]}]"
        folded = unicodedata.normalize("NFC", text).casefold()
        if re.search(_HINT_LETTER.format(letter=letters), folded):
            return True
    return False


# --- text -------------------------------------------------------------------------------


def _norm_set(answers: Iterable[str]) -> set[str]:
    return {n for n in (_norm_text(a) for a in answers) if n}


def _check_text(key: AnswerKey, raw: str) -> CheckResult:
    student = _norm_text(raw)
    if not student:
        return _UNREADABLE
    ok = student in _norm_set([key.answer, *key.accept])
    return CheckResult(Verdict.CORRECT if ok else Verdict.INCORRECT, student)


def _phrase_revealed(answers: Iterable[str], text: str) -> bool:
    haystack = f" {_norm_text(text)} "
    return any(f" {a} " in haystack for a in _norm_set(answers))
