"""Problems as the tutor uses them: ``ProblemCard`` (detached from the database) and the
in-memory ``ProblemCache`` that keeps the graded-answer path from reading them every time."""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from db import queries
from db.models import Problem
from problems.checking import to_bengali_digits
from problems.types import AnswerKey, AnswerType


def _is_bengali(text: str) -> bool:
    return any("\u0980" <= ch <= "\u09ff" for ch in text)


@dataclass(frozen=True, slots=True)
class ProblemCard:
    """A problem as the tutor uses it, detached from the database."""

    id: int
    key: str
    topic: str
    difficulty: int
    question: dict[str, str]
    options: dict[str, tuple[str, ...]]
    hints: dict[str, tuple[str, ...]]
    explanation: dict[str, str | None]
    answer_key: AnswerKey

    @classmethod
    def from_row(cls, row: Problem) -> ProblemCard:
        return cls(
            id=row.id,
            key=row.key,
            topic=row.topic,
            difficulty=row.difficulty,
            question={"en": row.question_en, "bn": row.question_bn},
            options={"en": tuple(row.options_en or ()), "bn": tuple(row.options_bn or ())},
            hints={"en": tuple(row.hints_en or ()), "bn": tuple(row.hints_bn or ())},
            explanation={"en": row.explanation_en, "bn": row.explanation_bn},
            answer_key=AnswerKey(
                answer_type=AnswerType(row.answer_type),
                answer=row.answer,
                options_en=tuple(row.options_en or ()),
                options_bn=tuple(row.options_bn or ()),
                tolerance=Decimal(row.tolerance) if row.tolerance is not None else None,
                accept=tuple(row.accept or ()),
            ),
        )

    @property
    def answer_type(self) -> AnswerType:
        return self.answer_key.answer_type

    def answer_display(self, lang: str) -> str:
        """The correct answer as the student should read it, in their language."""
        key = self.answer_key
        if key.answer_type is AnswerType.MULTIPLE_CHOICE:
            index = key.options_en.index(key.answer)
            letters = "ABCD" if lang == "en" else "কখগঘ"
            return f"{letters[index]}) {self.options[lang][index]}"
        if lang != "bn":
            return key.answer
        if key.answer_type is AnswerType.TEXT:
            # Word answers are written in English in the bank; show a Bengali alternative.
            bengali = next((a for a in key.accept if _is_bengali(a)), None)
            return bengali or key.answer
        return to_bengali_digits(key.answer)


class ProblemCache:
    """Problems change only when an operator loads a bank, so the hot path reads them from
    memory; entries expire after ``ttl`` seconds so a reload reaches every process."""

    def __init__(self, ttl: float = 300.0) -> None:
        self._ttl = ttl
        self._cards: dict[int, tuple[float, ProblemCard]] = {}

    async def get_many(self, session: AsyncSession, ids: list[int]) -> dict[int, ProblemCard]:
        now = time.monotonic()
        found = {}
        missing = []
        for pid in ids:
            entry = self._cards.get(pid)
            if entry is not None and now - entry[0] < self._ttl:
                found[pid] = entry[1]
            else:
                missing.append(pid)
        for row in await queries.problems.get_problems(session, missing):
            card = ProblemCard.from_row(row)
            self._cards[row.id] = (now, card)
            found[row.id] = card
        return found

    async def get(self, session: AsyncSession, problem_id: int) -> ProblemCard:
        return (await self.get_many(session, [problem_id]))[problem_id]

    def clear(self) -> None:
        self._cards.clear()
