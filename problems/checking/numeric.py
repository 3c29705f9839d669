"""Numeric answers: value, tolerance and the asked form (lowest terms, mixed, decimal…)."""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

from problems import algebra
from problems.checking.reading import (
    _close,
    _norm_text,
    _num_matches,
    _read_number,
    _show_num,
    _strip_phrase,
    _tolerance,
)
from problems.checking.result import (
    FORMS_BY_TYPE,
    CheckResult,
    Verdict,
    _unreadable,
)
from problems.checking.text import (
    _norm_set,
    _phrase_revealed,
)
from problems.numbers import (
    Num,
    numbers_in,
    parse_num,
)
from problems.types import AnswerForm, AnswerKey, AnswerType

# --- numeric ----------------------------------------------------------------------------


@lru_cache(maxsize=2048)
def _answer_nums(key: AnswerKey) -> list[Num]:
    nums = (parse_num(a) for a in (key.answer, *key.accept))
    return [n for n in nums if n is not None]


def _family(n: Num) -> str:
    if n.percent:
        return "percent"
    return "fraction" if n.kind in ("fraction", "mixed") else "decimal"


def _numeric_form(key: AnswerKey, student: Num, answer: Num) -> tuple[AnswerForm, str] | None:
    """None when the student's number is in the asked form, else (needs, reason)."""
    form = key.form
    if form is None or form not in FORMS_BY_TYPE[AnswerType.NUMERIC]:
        return None
    kind = student.kind
    whole_value = student.of_whole.denominator == 1
    if form is AnswerForm.PERCENT:
        if student.percent or (
            answer.percent and _close(student.value, answer.value, _tolerance(key))
        ):
            return None
        return form, "right value but not written as a percentage"
    if student.percent:
        return form, "right value but written as a percentage"
    if form is AnswerForm.INTEGER:
        if kind == "integer" or (kind == "decimal" and whole_value):
            return None
        return form, "right value but not written as a whole number"
    if form is AnswerForm.DECIMAL:
        if kind not in ("integer", "decimal"):
            return form, f"right value but written as {_a_kind(kind)}"
        if key.places is not None and student.places != key.places:
            return form, f"right value but not written with {key.places} decimal places"
        return None
    if form is AnswerForm.MIXED:
        if kind == "mixed":
            if len(student.parts) == 3 and math.gcd(student.parts[1], student.parts[2]) != 1:
                return form, "right value but the fraction is not in lowest terms"
            return None
        if kind == "integer" and whole_value:
            return None
        if kind == "fraction" and abs(student.value) < 1:
            return _lowest_terms(student, form)
        return form, f"right value but written as {_a_kind(kind)}, not a mixed number"
    # LOWEST_TERMS and FRACTION
    if kind == "decimal" and not whole_value:
        return form, "right value but written as a decimal"
    if kind == "decimal":
        return form, "right value but written as a decimal"
    if kind == "integer":
        return None
    if kind == "mixed":
        if answer.kind == "mixed":
            return _lowest_terms(student, form) if form is AnswerForm.LOWEST_TERMS else None
        return AnswerForm.FRACTION, "right value but written as a mixed number, not a fraction"
    if form is AnswerForm.FRACTION:
        return None
    return _lowest_terms(student, form)


def _a_kind(kind: str) -> str:
    return {
        "integer": "a whole number",
        "decimal": "a decimal",
        "fraction": "a fraction",
        "mixed": "a mixed number",
    }.get(kind, kind)


def _lowest_terms(student: Num, form: AnswerForm) -> tuple[AnswerForm, str] | None:
    parts = student.parts
    if len(parts) == 2:
        p, q = parts
    elif len(parts) == 3:
        p, q = parts[1], parts[2]
    else:
        return form, "right value but not written with whole numbers"
    if q == 1:
        return form, "right value but written over 1"
    if math.gcd(p, q) != 1:
        return AnswerForm.LOWEST_TERMS, "right value but not in lowest terms"
    return None


def _check_numeric(key: AnswerKey, raw: str) -> CheckResult:
    student, how = _read_number(raw)
    if student is None:
        return _numeric_calculation(key, raw, how)
    normalized = _show_num(student)
    answers = _answer_nums(key)
    if not answers:
        # The bank answer is not a number we can read; the best we can do is compare text.
        ok = _norm_text(raw) in _norm_set([key.answer, *key.accept])
        return CheckResult(
            Verdict.CORRECT if ok else Verdict.INCORRECT,
            normalized,
            "matches the answer text" if ok else "not the answer",
        )
    tol = _tolerance(key)
    for r in key.reject:
        rn = parse_num(r)
        if rn is not None and rn == student and not any(_num_matches(a, rn, tol) for a in answers):
            return CheckResult(Verdict.INCORRECT, normalized, f"listed as a wrong answer ({r})")
    matched = [a for a in answers if _num_matches(a, student, tol)]
    if not matched:
        return CheckResult(Verdict.INCORRECT, normalized, "not equal to the answer")
    best: tuple[AnswerForm, str] | None = None
    for a in matched:
        need = _numeric_form(key, student, a)
        if need is None:
            suffix = f" ({how})" if how else ""
            return CheckResult(Verdict.CORRECT, normalized, "equal to the answer" + suffix)
        best = best or need
    assert best is not None
    return CheckResult(Verdict.NEEDS_FORM, normalized, best[1], best[0])


def _numeric_calculation(key: AnswerKey, raw: str, why: str) -> CheckResult:
    """A sum left undone ("2 ^ 3", "12²"): right value -> finish it; otherwise unreadable."""
    text = _strip_phrase(raw)
    node = algebra.try_parse(text) if len(text) <= algebra.MAX_CHARS else None
    if node is None or not algebra.has_operator(node):
        return _unreadable(why)
    value = algebra.constant_value(node)
    if value is None:
        return _unreadable(why if algebra.variables(node) else "divides by zero")
    tol = _tolerance(key)
    if any(_num_matches(a, Num(value), tol) for a in _answer_nums(key)):
        needs = key.form or AnswerForm.SIMPLIFIED
        return CheckResult(
            Verdict.NEEDS_FORM,
            algebra.render(node),
            "right value but not worked out to one number",
            needs,
        )
    return _unreadable("a calculation, not one number")


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
