"""Ratios (2:3) and times (1:30) as their own answer types."""

from __future__ import annotations

import re
from functools import lru_cache

from problems.checking.expressions import (
    _words_of,
)
from problems.checking.reading import (
    _negated,
)
from problems.checking.result import (
    CheckResult,
    Verdict,
    _unreadable,
)
from problems.ratiotime import (
    Clock,
    Ratio,
    parse_ratio,
    parse_time,
    ratio_equivalent,
    ratio_identical,
    times_match,
)
from problems.types import AnswerForm, AnswerKey

# --- ratios and times -------------------------------------------------------------------


@lru_cache(maxsize=2048)
def _answer_ratios(key: AnswerKey) -> tuple[Ratio, ...]:
    got = (parse_ratio(a) for a in (key.answer, *key.accept))
    return tuple(r for r in got if isinstance(r, Ratio))


def _check_ratio(key: AnswerKey, raw: str) -> CheckResult:
    if _negated(_words_of(raw)):
        return _unreadable("a negation or a choice between answers")
    got = parse_ratio(raw)
    if isinstance(got, str):
        return _unreadable(got)
    shown = got.text()
    answers = _answer_ratios(key)
    for r in key.reject:
        rr = parse_ratio(r)
        if isinstance(rr, Ratio) and ratio_identical(rr, got):
            return CheckResult(Verdict.INCORRECT, shown, f"listed as a wrong answer ({r})")
    if not any(ratio_equivalent(a, got) for a in answers):
        return CheckResult(Verdict.INCORRECT, shown, "not equivalent to the answer")
    if key.form is AnswerForm.LOWEST_TERMS and not got.lowest:
        return CheckResult(
            Verdict.NEEDS_FORM,
            shown,
            "right ratio but not in lowest terms",
            AnswerForm.LOWEST_TERMS,
        )
    same = any(ratio_identical(a, got) for a in answers)
    return CheckResult(Verdict.CORRECT, shown, "the same ratio" if same else "an equivalent ratio")


_RATIO_IN_TEXT = re.compile(r"[0-9০-৯]+(?:\.[0-9০-৯]+)?(?:\s*[:∶ঃ]\s*[0-9০-৯]+(?:\.[0-9০-৯]+)?)+")
_TIME_IN_TEXT = re.compile(r"[0-9০-৯]{1,2}\s*[:.]\s*[0-9০-৯]{2}(?![0-9০-৯])")


def _ratio_revealed(key: AnswerKey, text: str) -> bool:
    answers = _answer_ratios(key)
    for m in _RATIO_IN_TEXT.finditer(text):
        r = parse_ratio(m.group(0))
        if isinstance(r, Ratio) and any(ratio_identical(a, r) for a in answers):
            return True
    return False


@lru_cache(maxsize=2048)
def _answer_times(key: AnswerKey) -> tuple[Clock, ...]:
    got = (parse_time(a) for a in (key.answer, *key.accept))
    return tuple(t for t in got if isinstance(t, Clock))


def _check_time(key: AnswerKey, raw: str) -> CheckResult:
    if _negated(_words_of(raw)):
        return _unreadable("a negation or a choice between answers")
    got = parse_time(raw)
    if isinstance(got, str):
        return _unreadable(got)
    shown = got.text()
    for r in key.reject:
        rt = parse_time(r)
        if isinstance(rt, Clock) and times_match(rt, got):
            return CheckResult(Verdict.INCORRECT, shown, f"listed as a wrong answer ({r})")
    if any(times_match(a, got) for a in _answer_times(key)):
        return CheckResult(Verdict.CORRECT, shown, "the same time")
    return CheckResult(Verdict.INCORRECT, shown, "a different time")


def _time_revealed(key: AnswerKey, text: str) -> bool:
    answers = _answer_times(key)
    for m in _TIME_IN_TEXT.finditer(text):
        t = parse_time(m.group(0))
        if isinstance(t, Clock) and any(times_match(a, t) for a in answers):
            return True
    return False
