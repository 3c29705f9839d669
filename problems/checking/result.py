"""Verdicts and check results, and which forms each answer type allows."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from problems.types import AnswerForm, AnswerType


class Verdict(enum.StrEnum):
    """How the student's reply was graded; UNREADABLE and NEEDS_FORM mean "ask again"."""

    CORRECT = "correct"
    INCORRECT = "incorrect"
    UNREADABLE = "unreadable"
    NEEDS_FORM = "needs_form"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The grade for one reply, with the reply in canonical form for feedback and logs.

    ``reason`` is a short English explanation for operators; it takes no part in equality.
    ``needs`` is the form the student must change to when the verdict is NEEDS_FORM.
    """

    verdict: Verdict
    # The student's answer normalised ("0.5", "50%", "B", "photosynthesis"); "" if unreadable.
    normalized: str
    reason: str = field(default="", compare=False)
    needs: AnswerForm | None = None


#: The forms each answer type may ask for.
FORMS_BY_TYPE: dict[AnswerType, frozenset[AnswerForm]] = {
    AnswerType.NUMERIC: frozenset(
        {
            AnswerForm.LOWEST_TERMS,
            AnswerForm.FRACTION,
            AnswerForm.MIXED,
            AnswerForm.DECIMAL,
            AnswerForm.INTEGER,
            AnswerForm.PERCENT,
        }
    ),
    AnswerType.EXPRESSION: frozenset(
        {AnswerForm.EXPANDED, AnswerForm.FACTORED, AnswerForm.SIMPLIFIED}
    ),
    AnswerType.RATIO: frozenset({AnswerForm.LOWEST_TERMS}),
    AnswerType.TIME: frozenset(),
    AnswerType.TEXT: frozenset(),
    AnswerType.MULTIPLE_CHOICE: frozenset(),
}


def _unreadable(reason: str) -> CheckResult:
    return CheckResult(Verdict.UNREADABLE, "", reason)


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
# Words around an answer that keep the letters of an expression intact (no articles).
_PHRASE_PREFIX = re.compile(
    r"^(?:(?:i\s+think|i\s+guess|maybe|so|ok|okay)\s*,?\s*)?"
    r"(?:(?:the\s+)?(?:correct\s+)?(?:answer|ans)(?:\s+is|\s+will\s+be)?|my\s+answer\s+is|"
    r"it\s+is|it'?s|its|উত্তর(?:\s*(?:হলো|হল|হবে|হচ্ছে))?|আমার\s+উত্তর)\s*[:=\-]?\s+"
    r"|^(?:i\s+think|i\s+guess|maybe)\s*,?\s+"
)
