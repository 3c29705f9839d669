"""Algebraic expressions: equivalence by algebra, and the asked form."""

from __future__ import annotations

import re
from functools import lru_cache

from problems import algebra
from problems.checking.reading import (
    _foreign_digits,
    _negated,
    _strip_phrase,
)
from problems.checking.result import (
    CheckResult,
    Verdict,
    _unreadable,
)
from problems.checking.text import (
    _phrase_revealed,
)
from problems.types import AnswerForm, AnswerKey

# --- expressions ------------------------------------------------------------------------


@lru_cache(maxsize=2048)
def _answer_nodes(key: AnswerKey) -> tuple[algebra.Node, ...]:
    nodes = (algebra.try_parse(a) for a in (key.answer, *key.accept))
    return tuple(n for n in nodes if n is not None)


@lru_cache(maxsize=2048)
def _reject_nodes(key: AnswerKey) -> tuple[tuple[str, algebra.Node], ...]:
    out = []
    for r in key.reject:
        n = algebra.try_parse(r)
        if n is not None:
            out.append((r, n))
    return tuple(out)


def _words_of(s: str) -> list[str]:
    return [w for w in re.split(r"[^a-z\u0980-\u09ff]+", s.casefold()) if len(w) > 1]


@lru_cache(maxsize=4096)
def _read_expression(raw: str) -> algebra.Node | str:
    """The student's expression, or the reason it cannot be read."""
    if _foreign_digits(raw):
        return "digits of another script"
    text = _strip_phrase(raw)
    if not text:
        return "empty"
    if _negated(_words_of(text)):
        return "a negation or a choice between answers"
    sides = [p.strip() for p in text.split("=")]
    if len(sides) > 1 and re.fullmatch(r"[a-z]|ans|answer|উত্তর", sides[0]):
        sides = sides[1:]
    nodes = []
    for side in sides:
        got = algebra.parse_or_reason(side)
        if isinstance(got, str):
            return got if len(sides) == 1 else f"{got} (in {side!r})"
        nodes.append(got)
    if len(nodes) > 1 and not all(algebra.equivalent(nodes[0], n) for n in nodes[1:]):
        return "an equation, not an expression"
    return nodes[-1]


_FORM_TESTS = {
    AnswerForm.EXPANDED: (algebra.is_expanded, "right value but not expanded"),
    AnswerForm.FACTORED: (algebra.is_factored, "right value but not fully factorised"),
    AnswerForm.SIMPLIFIED: (algebra.is_simplified, "right value but not simplified"),
}


def _check_expression(key: AnswerKey, raw: str) -> CheckResult:
    got = _read_expression(raw)
    if isinstance(got, str):
        return _unreadable(got)
    shown = algebra.render(got)
    answers = _answer_nodes(key)
    if not answers:
        return CheckResult(Verdict.INCORRECT, shown, "the bank answer is not readable")
    for text, node in _reject_nodes(key):
        if algebra.equivalent(node, got) and not any(algebra.equivalent(a, node) for a in answers):
            return CheckResult(Verdict.INCORRECT, shown, f"listed as a wrong answer ({text})")
    if not any(algebra.equivalent(a, got) for a in answers):
        return CheckResult(Verdict.INCORRECT, shown, "not equivalent to the answer")
    test = _FORM_TESTS.get(key.form) if key.form is not None else None
    if test is not None and not test[0](got):
        return CheckResult(Verdict.NEEDS_FORM, shown, test[1], key.form)
    return CheckResult(Verdict.CORRECT, shown, "equivalent to the answer")


# Math-looking stretches of a hint: digits, operators, brackets and 1-2 letter runs.
_MATH_CHUNK = re.compile(r"(?:[0-9০-৯+\-−–*/^()²³×÷.\s]|(?<![A-Za-z])[A-Za-z]{1,2}(?![A-Za-z]))+")
_COMMON_SHORT = frozenset(
    [
        "a",
        "i",
        "is",
        "of",
        "to",
        "in",
        "by",
        "an",
        "as",
        "at",
        "be",
        "do",
        "if",
        "it",
        "me",
        "my",
        "no",
        "on",
        "or",
        "so",
        "up",
        "we",
        "am",
        "he",
        "us",
        "go",
    ]
)


def _math_chunks(text: str) -> list[str]:
    out = []
    for m in _MATH_CHUNK.finditer(text):
        chunk = m.group(0)
        words = re.findall(r"[A-Za-z]+", chunk)
        if any(w.casefold() in _COMMON_SHORT and len(w) > 1 for w in words):
            # split around common words rather than reading "is" as i·s
            for piece in re.split(
                r"(?<![A-Za-z])(?:"
                + "|".join(sorted((w for w in _COMMON_SHORT if len(w) > 1), key=len, reverse=True))
                + r")(?![A-Za-z])",
                chunk,
                flags=re.IGNORECASE,
            ):
                out.append(piece)
        else:
            out.append(chunk)
    return [c.strip(" .") for c in out if c.strip(" .")]


def _expression_revealed(key: AnswerKey, text: str) -> bool:
    answers = _answer_nodes(key)
    if not answers:
        return _phrase_revealed([key.answer, *key.accept], text)
    for chunk in _math_chunks(text):
        node = algebra.try_parse(chunk)
        if node is None:
            continue
        for a in answers:
            if not algebra.variables(a) and algebra.has_operator(a) != algebra.has_operator(node):
                continue  # "8" in a hint does not reveal the answer "2^3", nor the reverse
            if algebra.same_form(a, node) and algebra.equivalent(a, node):
                return True
    return False
