"""Examples of the expected form for an unreadable reply, and the bank's key rules."""

from __future__ import annotations

from dataclasses import replace

from problems import algebra
from problems.checking.grading import (
    check_answer,
)
from problems.checking.result import (
    _LETTERS_BN,
    _LETTERS_EN,
    FORMS_BY_TYPE,
    Verdict,
)
from problems.numbers import (
    parse_num,
    to_bengali_digits,
)
from problems.ratiotime import (
    parse_ratio,
    parse_time,
)
from problems.textmatch import (
    fold_phrase,
    lexicon_terms,
)
from problems.types import AnswerForm, AnswerKey, AnswerType

# --- examples of the expected form ------------------------------------------------------

_EXAMPLES_NUMERIC: dict[str, tuple[str, ...]] = {
    "fraction": ("3/4", "5/7", "2/9"),
    "mixed": ("2 1/3", "1 3/4", "3 2/5"),
    "decimal": ("2.5", "0.75", "4.2"),
    "integer": ("12", "25", "7"),
    "percent": ("40%", "15%", "65%"),
}
_EXAMPLES_EXPR = ("2x + 3", "3a - 5", "x^2 + 3x + 2")
_EXAMPLES_FACTORED = ("(x + 2)(x - 1)", "2(a + 3)", "(y - 4)(y + 5)")
_EXAMPLES_RATIO = ("2:3", "3:5", "4:7")
_EXAMPLES_TIME = ("1:30", "2:45", "10:15")
_EXAMPLES_TEXT = {"en": ("acute", "square"), "bn": ("সূক্ষ্মকোণ", "বর্গ")}


def _numeric_kind(key: AnswerKey) -> str:
    form = key.form
    if form in (AnswerForm.LOWEST_TERMS, AnswerForm.FRACTION):
        return "fraction"
    if form is AnswerForm.MIXED:
        return "mixed"
    if form is AnswerForm.DECIMAL:
        return "decimal"
    if form is AnswerForm.INTEGER:
        return "integer"
    if form is AnswerForm.PERCENT:
        return "percent"
    n = parse_num(key.answer)
    if n is None:
        return "integer"
    if n.percent:
        return "percent"
    return n.kind


def _decimal_example(places: int, k: int) -> str:
    base = ("2", "0", "4")[k % 3]
    digits = ("75", "25", "5")[k % 3]
    frac = (digits * 3)[:places] if places else ""
    return base + ("." + frac if frac else "")


def example_answer(key: AnswerKey, lang: str) -> str:
    """A short example of the expected FORM, in the student's language; never the answer.

    ``e.g. 3/4`` / ``যেমন: ৩/৪``; for multiple choice the letters to choose from.
    """
    try:
        text = _example(key, lang)
    except Exception:  # pragma: no cover - an example is a courtesy, never a crash
        text = "..."
    if lang == "bn":
        return "যেমন: " + to_bengali_digits(text)
    return "e.g. " + text


def _example(key: AnswerKey, lang: str) -> str:
    kind = key.answer_type
    if kind == AnswerType.MULTIPLE_CHOICE:
        n = max(len(key.options_en), len(key.options_bn)) or 4
        n = min(n, 4)
        if lang == "bn":
            letters = list(_LETTERS_BN[:n])
            return ", ".join(letters[:-1]) + " বা " + letters[-1]
        upper = [c.upper() for c in _LETTERS_EN[:n]]
        return ", ".join(upper[:-1]) + " or " + upper[-1]
    candidates: tuple[str, ...]
    if kind == AnswerType.NUMERIC:
        nk = _numeric_kind(key)
        if nk == "decimal" and key.places is not None:
            candidates = tuple(_decimal_example(key.places, k) for k in range(3))
        else:
            candidates = _EXAMPLES_NUMERIC.get(nk, _EXAMPLES_NUMERIC["integer"])
    elif kind == AnswerType.EXPRESSION:
        candidates = _EXAMPLES_FACTORED if key.form is AnswerForm.FACTORED else _EXAMPLES_EXPR
    elif kind == AnswerType.RATIO:
        candidates = _EXAMPLES_RATIO
    elif kind == AnswerType.TIME:
        candidates = _EXAMPLES_TIME
    else:
        candidates = _EXAMPLES_TEXT["bn" if lang == "bn" else "en"]
    for c in candidates:
        if check_answer(replace(key, form=None, places=None), c).verdict is not Verdict.CORRECT:
            return c
    return candidates[-1] + ("0" if kind != AnswerType.TEXT else "")


# --- bank rules -------------------------------------------------------------------------


def key_issues(key: AnswerKey) -> list[tuple[str, str]]:
    """What is wrong with an answer key itself, as (field, message) for the bank loader."""
    try:
        return _key_issues(key)
    except Exception as exc:  # pragma: no cover - report rather than crash the loader
        return [("answer", f"could not be checked ({type(exc).__name__})")]


def _short(text: str) -> str:
    r = repr(text)
    return r if len(r) <= 50 else r[:47] + "..."


_READ_AS = {
    AnswerType.EXPRESSION: "an expression (e.g. 2x + 3, (x - 3)(x - 4))",
    AnswerType.RATIO: "a ratio (e.g. 2:3)",
    AnswerType.TIME: "a time (e.g. 1:30)",
    AnswerType.NUMERIC: "a number",
}


def _readable(kind: AnswerType, text: str) -> str | None:
    """None when the text is readable as an answer of this type, else why not."""
    if kind == AnswerType.EXPRESSION:
        got = algebra.parse_or_reason(text)
        return got if isinstance(got, str) else None
    if kind == AnswerType.RATIO:
        r = parse_ratio(text)
        return r if isinstance(r, str) else None
    if kind == AnswerType.TIME:
        t = parse_time(text)
        return t if isinstance(t, str) else None
    if kind == AnswerType.NUMERIC:
        return None if parse_num(text) is not None else "not a number"
    return None


def _key_issues(key: AnswerKey) -> list[tuple[str, str]]:
    issues: list[tuple[str, str]] = []
    kind = key.answer_type
    allowed = FORMS_BY_TYPE.get(kind, frozenset())
    if key.form is not None and key.form not in allowed:
        names = ", ".join(sorted(f.value for f in allowed)) or "none"
        issues.append(
            (
                "form",
                f"{key.form.value!r} is not a form of {kind.value} answers (allowed: {names})",
            )
        )
    if key.places is not None and key.form is not AnswerForm.DECIMAL:
        issues.append(("places", "is only allowed with form: decimal"))
    why = _readable(kind, key.answer)
    if why is not None:
        issues.append(("answer", f"{_short(key.answer)} is not {_READ_AS[kind]}: {why}"))
        return issues
    plain = replace(key, form=None, places=None, reject=(), accept=())
    for text in key.accept:
        if kind in _READ_AS and (why := _readable(kind, text)) is not None:
            issues.append(("accept", f"{_short(text)} is not {_READ_AS[kind]}: {why}"))
            continue
        if kind in (AnswerType.NUMERIC, AnswerType.EXPRESSION, AnswerType.RATIO, AnswerType.TIME):
            if check_answer(plain, text).verdict is not Verdict.CORRECT:
                issues.append(
                    (
                        "accept",
                        f"{_short(text)} is not equivalent to the answer {_short(key.answer)}",
                    )
                )
        elif kind == AnswerType.TEXT:
            lex = lexicon_terms()
            a_group = lex.get(fold_phrase(key.answer))
            t_group = lex.get(fold_phrase(text))
            if a_group is not None and t_group is not None and a_group != t_group:
                issues.append(
                    (
                        "accept",
                        f"{_short(text)} is a different term from the answer {_short(key.answer)}",
                    )
                )
    no_reject = replace(key, reject=())
    for text in key.reject:
        got = check_answer(no_reject, text)
        if got.verdict is Verdict.CORRECT and (
            kind != AnswerType.TEXT
            or got.reason in ("the answer", "the answer inside a short phrase")
        ):
            issues.append(
                (
                    "reject",
                    f"{_short(text)} is the answer (or equivalent to it): "
                    "the checker would accept it",
                )
            )
        elif kind != AnswerType.TEXT and got.verdict is Verdict.NEEDS_FORM:
            issues.append(
                ("reject", f"{_short(text)} has the answer's value; use form: instead of reject")
            )
    if key.form is not None and key.form in allowed:
        got = check_answer(key, key.answer)
        if got.verdict is Verdict.NEEDS_FORM:
            issues.append(
                ("form", f"the answer {_short(key.answer)} is not in this form ({got.reason})")
            )
        elif kind == AnswerType.NUMERIC and key.form is AnswerForm.MIXED:
            n = parse_num(key.answer)
            if n is not None and n.kind != "mixed":
                issues.append(("form", f"the answer {_short(key.answer)} is not a mixed number"))
    # Typing the answer back must be read (for a choice: among the English options).
    probe = replace(key, options_bn=()) if kind == AnswerType.MULTIPLE_CHOICE else key
    if kind != AnswerType.TEXT and check_answer(probe, key.answer).verdict is Verdict.UNREADABLE:
        issues.append(("answer", f"{_short(key.answer)} is not read by the checker"))
    return issues
