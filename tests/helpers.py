"""Helpers for tests: onboard a student and produce right or wrong answers for a problem."""

from __future__ import annotations

import itertools

from bot.services import students
from bot.services.cards import ProblemCard
from bot.services.deps import Deps
from problems.types import AnswerType

_update_ids = itertools.count(1_000_000)


def next_update_id() -> int:
    return next(_update_ids)


async def onboard(deps: Deps, telegram_id: int, *, language: str = "en", grade: int = 6) -> None:
    await students.start(deps, telegram_id=telegram_id, first_name="Rahim", language_code=None)
    await students.set_language(deps, telegram_id=telegram_id, language=language)
    await students.set_grade(deps, telegram_id=telegram_id, grade=grade)


def right_answer(card: ProblemCard) -> str:
    return card.answer_key.answer


def wrong_answer(card: ProblemCard) -> str:
    key = card.answer_key
    if key.answer_type is AnswerType.MULTIPLE_CHOICE:
        right = key.options_en.index(key.answer)
        return "ABCD"[(right + 1) % len(key.options_en)]
    if key.answer_type is AnswerType.NUMERIC:
        return "987654"
    if key.answer_type is AnswerType.EXPRESSION:
        return f"({key.answer}) + 1"  # readable, and never equal to the answer
    if key.answer_type is AnswerType.RATIO:
        return "987:654" if key.answer != "987:654" else "986:653"
    if key.answer_type is AnswerType.TIME:
        return "11:58" if key.answer != "11:58" else "11:57"
    return "definitely not it"
