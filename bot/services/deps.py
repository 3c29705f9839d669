"""What every use case needs, built once by the application: database, settings, clock, caches."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.services.clock import Clock, system_clock
from db import queries
from db.models import Problem
from problems.checking import to_bengali_digits
from problems.types import AnswerKey, AnswerType

if TYPE_CHECKING:
    from bot.services.tutor import Tutor


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
        for row in await queries.get_problems(session, missing):
            card = ProblemCard.from_row(row)
            self._cards[row.id] = (now, card)
            found[row.id] = card
        return found

    async def get(self, session: AsyncSession, problem_id: int) -> ProblemCard:
        return (await self.get_many(session, [problem_id]))[problem_id]

    def clear(self) -> None:
        self._cards.clear()


# Set by the application's update processor for the update being handled: entering it gives
# the update's processing slot to other students while this one waits for the language model
# (seconds), and takes a slot again afterwards. Unset (tests, jobs): nothing happens.
_model_wait: ContextVar[Callable[[], AbstractAsyncContextManager[None]] | None] = ContextVar(
    "model_wait", default=None
)


def set_model_wait(
    park: Callable[[], AbstractAsyncContextManager[None]] | None,
) -> Token[Callable[[], AbstractAsyncContextManager[None]] | None]:
    """For the update processor: how the current update steps aside while it waits."""
    return _model_wait.set(park)


def reset_model_wait(token: Token[Callable[[], AbstractAsyncContextManager[None]] | None]) -> None:
    _model_wait.reset(token)


# Set by the webhook server for the update it is answering: called as the update starts to
# wait for the model, so Telegram's request is answered then instead of seconds later.
_model_wait_started: ContextVar[Callable[[], None] | None] = ContextVar(
    "model_wait_started", default=None
)


def on_model_wait(
    started: Callable[[], None] | None,
) -> Token[Callable[[], None] | None]:
    """For the webhook server: what to call when the current update starts waiting."""
    return _model_wait_started.set(started)


def reset_model_wait_hook(token: Token[Callable[[], None] | None]) -> None:
    _model_wait_started.reset(token)


@contextlib.asynccontextmanager
async def waiting_for_model() -> AsyncIterator[None]:
    """Around a language-model call: let other students' updates run meanwhile."""
    started = _model_wait_started.get()
    if started is not None:
        started()
    park = _model_wait.get()
    if park is None:
        yield
        return
    async with park():
        yield


@dataclass
class Deps:
    db: async_sessionmaker[AsyncSession]
    settings: Settings
    clock: Clock = system_clock
    problems: ProblemCache = field(default_factory=ProblemCache)
    # The language model, or None when it is switched off (no OPENAI_API_KEY).
    tutor: Tutor | None = None
