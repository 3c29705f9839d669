"""The answers benchmark's machinery, small and slow enough for CI: the real Application
polling the Bot API emulator, students answering open loop, every reply matched back.

Only robust facts are asserted (every answer got exactly one reply, one Response per answer,
at most three SQL statements per graded answer); speed targets live in bench/RESULTS.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from openai import AsyncOpenAI
from sqlalchemy import func, select

from bench.botproc import SqlCounter
from bench.common import ModelProcess
from bench.load import Answer, ReplyTracker, open_loop, summarize
from bot.app import build_application, running
from bot.services import practice
from bot.services.cards import ProblemCard
from bot.services.deps import Deps
from botapi_emulator import BotApiEmulator
from db import queries
from db.models import Response
from tests.conftest import sample_bank_deps
from tests.helpers import onboard, right_answer, wrong_answer

STUDENTS = 20
FIRST_ID = 7_700_000


@pytest.fixture
async def smoke_deps(pg_url: str, sample_bank) -> AsyncIterator[Deps]:
    async with sample_bank_deps(pg_url, sample_bank, reminder_check_interval_seconds=3600) as deps:
        yield deps


async def _session_cards(deps: Deps, telegram_id: int) -> list[ProblemCard]:
    async with deps.db() as s:
        _, session = await queries.practice.get_answering_student(
            await s.connection(), telegram_id=telegram_id
        )
        assert session is not None
        cards = await deps.problems.get_many(s, session.variants)
    return [cards[variant] for variant in session.variants]


async def test_students_answering_through_the_emulator(smoke_deps: Deps) -> None:
    deps = smoke_deps
    # Each student: wrong, then right (problem 1 done), then wrong on problem 2.
    plans: list[list[Answer]] = []
    for telegram_id in range(FIRST_ID, FIRST_ID + STUDENTS):
        await onboard(deps, telegram_id, grade=6 + telegram_id % 3)
        assert (await practice.start_practice(deps, telegram_id=telegram_id)).kind == "problem"
        first, second = (await _session_cards(deps, telegram_id))[:2]
        plans.append(
            [
                Answer(telegram_id, wrong_answer(first), "retry"),
                Answer(telegram_id, right_answer(first), "correct"),
                Answer(telegram_id, wrong_answer(second), "retry"),
            ]
        )
    # Round by round, so each student's answers are a second apart (their order is also
    # kept by the bot's per-user processing).
    answers = [plan[step] for step in range(3) for plan in plans]

    counter = SqlCounter()
    counter.attach(deps.db.kw["bind"])
    async with BotApiEmulator(first_update_id=10_000) as emu:
        settings = deps.settings.model_copy(update={"telegram_api_base_url": emu.base_url})
        tracker = ReplyTracker(emu)
        async with running(build_application(settings, deps=deps), poll_timeout=1):
            before = counter.snapshot()
            sent = await open_loop(tracker, answers, rate=20.0, max_seconds=10)
            assert await tracker.wait_replied(sent, within=10)
            after = counter.snapshot()
            await emu.wait_for("sendMessage", count=len(answers), timeout=1)
        tracker.close()

    figures = summarize(sent)
    assert figures["replied"] == len(answers) == STUDENTS * 3
    assert not tracker.unexpected, "an answer got more than one reply"
    replies = [a.reply_text or "" for a in sent]
    assert all(
        r.startswith("❌") for r, a in zip(replies, sent, strict=True) if a.expect == "retry"
    )
    assert all(
        r.startswith("✅") for r, a in zip(replies, sent, strict=True) if a.expect == "correct"
    )
    async with deps.db() as s:
        recorded = await s.scalar(
            select(func.count(func.distinct(Response.idempotency_key))).where(
                Response.idempotency_key.in_([a.update_id for a in sent])
            )
        )
        total = await s.scalar(select(func.count()).select_from(Response))
    assert recorded == total == len(answers)
    statements = sum(after["statements"].values()) - sum(before["statements"].values())
    assert statements <= 3 * len(answers), after["statements"]


async def test_the_fake_model_in_its_own_process_answers_the_sdk_and_counts_calls() -> None:
    """The model phase's provider (``bench.modelproc``): the real SDK gets a completion, and
    the benchmark sees the calls in flight while the model "thinks"."""
    async with ModelProcess(delay=0.5) as model:
        client = AsyncOpenAI(api_key="bench", base_url=model.base_url)
        call = asyncio.create_task(
            client.chat.completions.create(
                model="fake-model", messages=[{"role": "user", "content": "hello"}]
            )
        )
        for _ in range(40):
            if await model.in_flight() == 1:
                break
            await asyncio.sleep(0.02)
        assert await model.in_flight() == 1
        completion = await call
        assert completion.choices[0].message.content
        assert await model.in_flight() == 0
        await client.close()
    assert model.proc is not None and model.proc.returncode == 0
