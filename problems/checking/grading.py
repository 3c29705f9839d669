"""Grading a reply, and checking that a hint does not give the answer away."""

from __future__ import annotations

from collections.abc import Callable

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


def _text_revealed(key: AnswerKey, text: str) -> bool:
    return _phrase_revealed(_text_targets(key), text)


#: Per answer type: how a reply is graded, and how a hint could give the answer away.
_KINDS: dict[
    AnswerType, tuple[Callable[[AnswerKey, str], CheckResult], Callable[[AnswerKey, str], bool]]
] = {
    AnswerType.NUMERIC: (_check_numeric, _numeric_revealed),
    AnswerType.MULTIPLE_CHOICE: (_check_choice, _choice_revealed),
    AnswerType.EXPRESSION: (_check_expression, _expression_revealed),
    AnswerType.RATIO: (_check_ratio, _ratio_revealed),
    AnswerType.TIME: (_check_time, _time_revealed),
    AnswerType.TEXT: (_check_text, _text_revealed),
}


def _grade(key: AnswerKey, raw: str) -> CheckResult:
    if len(raw) > 4 * MAX_ANSWER_CHARS and key.answer_type is not AnswerType.TEXT:
        return _unreadable("too long to be an answer")
    return _KINDS[key.answer_type][0](key, raw)


def _reveals(key: AnswerKey, text: str) -> bool:
    return _KINDS[key.answer_type][1](key, text)


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
