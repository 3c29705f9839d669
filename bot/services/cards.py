"""Problems as the tutor uses them: ``ProblemCard`` (one variant, detached from the database)
and the in-memory ``ProblemCache`` that keeps the graded-answer path from reading them.

A variant is ``(problem id, seed)``: a template (problems/templates/) gives the same numbers
for the same seed, so a session, a hint, a verdict and a report all see the same problem. An
item (a problem without parameters) has one variant, seed 0.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from db import queries
from db.models import Problem
from problems.checking import to_bengali_digits
from problems.schema import ProblemSpec
from problems.templates import instantiate, prepare
from problems.types import AnswerKey, AnswerType

Variant = tuple[int, int]  # (problem id, seed)


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
    seed: int = 0
    # The topic as people read it ({"en": …, "bn": …}); empty when the bank did not name it.
    topic_names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Problem, seed: int = 0) -> ProblemCard:
        """The card of one variant; a template is instantiated with ``seed``."""
        if row.spec is not None:
            spec = ProblemSpec.model_validate(row.spec)
            if spec.is_template:
                return cls.from_spec(row.id, instantiate(spec, seed, checked_at_load=True), seed)
            return cls.from_spec(row.id, spec, 0)
        # A row loaded before problems kept their spec (until the bank is loaded again).
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

    @classmethod
    def from_spec(cls, problem_id: int, spec: ProblemSpec, seed: int) -> ProblemCard:
        """The card of a plain (instantiated) bank entry."""
        hints = spec.hints
        return cls(
            id=problem_id,
            key=spec.id,
            topic=spec.topic,
            difficulty=spec.difficulty,
            question={"en": spec.question.en, "bn": spec.question.bn},
            options={
                "en": tuple(spec.options.en) if spec.options else (),
                "bn": tuple(spec.options.bn) if spec.options else (),
            },
            hints={
                "en": tuple(hints.en or ()) if hints else (),
                "bn": tuple(hints.bn or ()) if hints else (),
            },
            explanation={
                "en": spec.explanation.en if spec.explanation else None,
                "bn": spec.explanation.bn if spec.explanation else None,
            },
            answer_key=spec.answer_key(),
            seed=seed,
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


@dataclass(frozen=True, slots=True)
class _Source:
    """What a problem's row gives every variant: a parsed template, or an item's one card."""

    spec: ProblemSpec | None
    card: ProblemCard | None
    names: dict[str, str]

    @classmethod
    def of(cls, row: Problem, names: dict[str, str]) -> _Source:
        if row.spec is not None:
            spec = ProblemSpec.model_validate(row.spec)
            if spec.is_template:
                return cls(spec=spec, card=None, names=names)
        return cls(
            spec=None, card=replace(ProblemCard.from_row(row), topic_names=names), names=names
        )

    def card_of(self, problem_id: int, seed: int) -> ProblemCard:
        if self.spec is None:
            assert self.card is not None
            return self.card
        card = ProblemCard.from_spec(
            problem_id, instantiate(self.spec, seed, checked_at_load=True), seed
        )
        return replace(card, topic_names=self.names)


class ProblemCache:
    """Problems change only when an operator loads a bank, so the hot path reads them from
    memory; entries expire after ``ttl`` seconds so a reload reaches every process.

    Two levels: each problem's row, parsed once (a template's spec, or an item's card), and
    the cards of variants made from it (at most ``max_cards``, oldest dropped first). A new
    variant of a problem in memory costs an instantiation and no query. ``warm`` reads every
    active problem at start-up, before the start-up heap is frozen (``bot/serving/runner.py``).
    """

    def __init__(self, ttl: float = 300.0, max_cards: int = 20_000) -> None:
        self._ttl = ttl
        self._max_cards = max_cards
        self._cards: dict[Variant, tuple[float, ProblemCard]] = {}
        self._sources: dict[int, tuple[float, _Source]] = {}

    async def warm(self, session: AsyncSession) -> int:
        """Read and parse every active problem (templates compiled); the number read."""
        ids = await queries.problems.active_problem_ids(session)
        await self._read(session, ids, time.monotonic())
        for _at, source in self._sources.values():
            if source.spec is not None:
                prepare(source.spec)
        return len(ids)

    async def get_many(
        self,
        db: AsyncSession | AsyncConnection,
        variants: list[Variant],
        *,
        along: Sequence[Variant] = (),
    ) -> dict[Variant, ProblemCard]:
        """The cards of these variants: one query when a problem is not in memory (or has
        expired), none otherwise, on ``db`` (a session, or the answer path's connection).
        The problems of ``along`` (the rest of the student's session) are read in that same
        query when they need it, but not instantiated."""
        now = time.monotonic()
        found: dict[Variant, ProblemCard] = {}
        missing: list[Variant] = []
        for variant in variants:
            entry = self._cards.get(variant)
            if entry is not None and now - entry[0] < self._ttl:
                found[variant] = entry[1]
            else:
                missing.append(variant)
        if not missing:
            return found
        stale = sorted(
            {
                pid
                for pid, _seed in (*missing, *along)
                if (src := self._sources.get(pid)) is None or now - src[0] >= self._ttl
            }
        )
        if stale:
            if isinstance(db, AsyncConnection):
                async with AsyncSession(bind=db) as session:  # reads on the same connection
                    await self._read(session, stale, now)
            else:
                await self._read(db, stale, now)
        for variant in missing:
            source = self._sources.get(variant[0])
            if source is None:
                continue
            at, parsed = source
            card = parsed.card_of(variant[0], variant[1])
            self._remember(variant, (at, card))
            found[variant] = card
        return found

    async def _read(self, session: AsyncSession, ids: list[int], now: float) -> None:
        if not ids:
            return
        rows = await queries.problems.get_problems(session, ids)
        names = {
            (topic.grade, topic.slug): {"en": topic.name_en, "bn": topic.name_bn}
            for topic in await queries.problems.topic_names(session)
        }
        for row in rows:
            self._sources[row.id] = (now, _Source.of(row, names.get((row.grade, row.topic), {})))

    async def get(
        self,
        db: AsyncSession | AsyncConnection,
        variant: Variant,
        *,
        along: Sequence[Variant] = (),
    ) -> ProblemCard:
        """One variant's card (see ``get_many`` for ``db`` and ``along``)."""
        return (await self.get_many(db, [variant], along=along))[variant]

    def _remember(self, variant: Variant, entry: tuple[float, ProblemCard]) -> None:
        self._cards.pop(variant, None)
        self._cards[variant] = entry
        while len(self._cards) > self._max_cards:
            del self._cards[next(iter(self._cards))]

    def clear(self) -> None:
        self._cards.clear()
        self._sources.clear()
