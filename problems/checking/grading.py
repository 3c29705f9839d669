"""Grading a reply, and checking that a hint does not give the answer away."""

from __future__ import annotations

from problems import algebra
from problems.checking.choice import (
    _check_choice,
    _choice_revealed,
    _opt_expr,
    _opt_fold,
    _opt_light,
    _opt_norm,
    _opt_num,
    _opt_ratio,
    _options,
)
from problems.checking.expressions import (
    _answer_nodes,
    _check_expression,
    _expression_revealed,
    _reject_nodes,
)
from problems.checking.numeric import (
    _answer_nums,
    _check_numeric,
    _numeric_revealed,
)
from problems.checking.ratios import (
    _answer_ratios,
    _answer_times,
    _check_ratio,
    _check_time,
    _ratio_revealed,
    _time_revealed,
)
from problems.checking.result import (
    CheckResult,
    _unreadable,
)
from problems.checking.text import (
    _check_text,
    _phrase_revealed,
    _text_key,
    _text_targets,
)
from problems.numbers import (
    MAX_ANSWER_CHARS,
)
from problems.types import AnswerKey, AnswerType


def check_answer(key: AnswerKey, raw: str) -> CheckResult:
    """Grade the student's reply: correct, incorrect, needs another form, or unreadable."""
    try:
        return _grade(key, raw)
    except Exception:  # a grading bug must never crash the student's chat
        return _unreadable("internal error while reading the answer")


def hint_reveals_answer(key: AnswerKey, text: str) -> bool:
    """Say whether a hint or explanation would give the student the answer outright."""
    try:
        return _reveals(key, text)
    except Exception:  # when unsure, treat the hint as unsafe to show
        return True


def _grade(key: AnswerKey, raw: str) -> CheckResult:
    if len(raw) > 4 * MAX_ANSWER_CHARS and key.answer_type is not AnswerType.TEXT:
        return _unreadable("too long to be an answer")
    kind = key.answer_type
    if kind == AnswerType.NUMERIC:
        return _check_numeric(key, raw)
    if kind == AnswerType.MULTIPLE_CHOICE:
        return _check_choice(key, raw)
    if kind == AnswerType.EXPRESSION:
        return _check_expression(key, raw)
    if kind == AnswerType.RATIO:
        return _check_ratio(key, raw)
    if kind == AnswerType.TIME:
        return _check_time(key, raw)
    return _check_text(key, raw)


def _reveals(key: AnswerKey, text: str) -> bool:
    kind = key.answer_type
    if kind == AnswerType.NUMERIC:
        return _numeric_revealed(key, text)
    if kind == AnswerType.MULTIPLE_CHOICE:
        return _choice_revealed(key, text)
    if kind == AnswerType.EXPRESSION:
        return _expression_revealed(key, text)
    if kind == AnswerType.RATIO:
        return _ratio_revealed(key, text)
    if kind == AnswerType.TIME:
        return _time_revealed(key, text)
    return _phrase_revealed(_text_targets(key), text)


def warm_key(key: AnswerKey) -> None:
    """Parse a key's answer, variants and options now, so the first reply is fast."""
    try:
        kind = key.answer_type
        if kind == AnswerType.NUMERIC:
            _answer_nums(key)
        elif kind == AnswerType.EXPRESSION:
            _answer_nodes(key)
            _reject_nodes(key)
        elif kind == AnswerType.RATIO:
            _answer_ratios(key)
        elif kind == AnswerType.TIME:
            _answer_times(key)
        elif kind == AnswerType.TEXT:
            _text_key(key)
        else:
            for texts in _options(key):
                for t in texts:
                    _opt_light(t), _opt_num(t), _opt_norm(t), _opt_expr(t), _opt_ratio(t)
                    _opt_fold(t)
                    node = _opt_expr(t)
                    if node is not None:
                        algebra.form_classes(node)
        check_answer(key, key.answer)
    except Exception:  # warming is an optimisation only
        return
