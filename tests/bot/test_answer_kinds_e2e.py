"""How answers are understood, seen in the chat: one case of each kind, end to end (the real
Application over HTTP, a one-problem bank each, PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import build_application, running
from bot.config import Settings
from bot.services.banks import load_banks
from bot.services.deps import Deps
from botapi_emulator import BotApiEmulator
from db.engine import create_engine, create_sessionmaker
from tests.bot.conftest import ChatUser
from tests.conftest import TRUNCATE_ALL, FakeClock
from tests.helpers import onboard

STUDENT = 7001
HINTS = """
  hints:
    en: ["Think.", "Think more.", "Nearly there."]
    bn: ["ভাবো।", "আরও ভাবো।", "প্রায় হয়ে গেছে।"]"""

PROBLEMS = {
    "lowest_terms": """- id: kind-lowest
  grade: 6
  topic: fractions
  difficulty: 1
  question: {en: "Write 18/24 in lowest terms.", bn: "১৮/২৪ কে লঘিষ্ঠ আকারে লেখো।"}
  answer_type: numeric
  answer: "3/4"
  form: lowest_terms
""",
    "expression": """- id: kind-expression
  grade: 6
  topic: algebra
  difficulty: 1
  question: {en: "Expand (x + 2)(x + 3).", bn: "(x + 2)(x + 3) কে বিস্তার করো।"}
  answer_type: expression
  answer: "x^2 + 5x + 6"
  form: expanded
""",
    "ratio": """- id: kind-ratio
  grade: 6
  topic: ratio
  difficulty: 1
  question: {en: "Write 10 : 15 in simplest form.", bn: "১০ : ১৫ কে সরল আকারে লেখো।"}
  answer_type: ratio
  answer: "2:3"
  form: lowest_terms
""",
    "time": """- id: kind-time
  grade: 6
  topic: time
  difficulty: 1
  question:
    en: "A film starts at 12:45 and lasts 45 minutes. When does it end?"
    bn: "একটি ছবি ১২:৪৫ এ শুরু হয়ে ৪৫ মিনিট চলে। কখন শেষ হয়?"
  answer_type: time
  answer: "1:30"
""",
    "text": """- id: kind-text
  grade: 6
  topic: geometry
  difficulty: 1
  question:
    en: "A triangle with exactly two equal sides is called what?"
    bn: "ঠিক দুটি বাহু সমান এমন ত্রিভুজকে কী বলে?"
  answer_type: text
  answer: "isosceles"
  accept: ["সমদ্বিবাহু"]
""",
    "words": """- id: kind-words
  grade: 6
  topic: integers
  difficulty: 1
  question: {en: "What is 14 + 7?", bn: "১৪ + ৭ = কত?"}
  answer_type: numeric
  answer: "21"
""",
}


@pytest.fixture
async def one_problem(
    pg_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Deps]:
    """Deps on PostgreSQL with a bank of the one problem named by the test's ``kind``."""
    engine = create_engine(pg_url)
    settings = Settings(_env_file=None, database_url=pg_url, telegram_bot_token="123456:TEST")
    deps = Deps(db=create_sessionmaker(engine), settings=settings, clock=FakeClock())
    from problems.bank import parse_banks

    bank = tmp_path / "kind.yaml"
    bank.write_text(
        PROBLEMS[request.param].replace("\n  answer_type", HINTS + "\n  answer_type", 1),
        encoding="utf-8",
    )
    parsed = parse_banks([bank])
    assert not parsed.errors, parsed.errors
    await load_banks(deps.db, parsed)
    try:
        yield deps
    finally:
        async with engine.begin() as conn:
            await conn.execute(TRUNCATE_ALL)
        await engine.dispose()


@pytest.fixture
async def student(emu: BotApiEmulator, one_problem: Deps) -> AsyncIterator[ChatUser]:
    settings = one_problem.settings.model_copy(update={"telegram_api_base_url": emu.base_url})
    await onboard(one_problem, STUDENT, grade=6)
    async with running(build_application(settings, deps=one_problem), poll_timeout=1):
        user = ChatUser(emu, STUDENT)
        await user.send("/practice")
        yield user


def _said(replies: list[str], part: str) -> bool:
    return any(part in text for text in replies)


@pytest.mark.parametrize("one_problem", ["lowest_terms"], indirect=True)
async def test_the_right_value_in_another_form_is_asked_again_not_marked_wrong(
    student: ChatUser,
) -> None:
    replies = await student.send("18/24")
    assert _said(replies, "right value") and _said(replies, "lowest terms"), replies
    assert not _said(replies, "Not quite")
    assert _said(await student.send("3/4"), "Correct")


@pytest.mark.parametrize("one_problem", ["expression"], indirect=True)
async def test_typed_algebra_is_compared_by_equivalence_and_form(student: ChatUser) -> None:
    replies = await student.send("(x+2)(x+3)")
    assert _said(replies, "expand"), replies
    assert _said(await student.send("x²+5x+6"), "Correct")


@pytest.mark.parametrize("one_problem", ["ratio"], indirect=True)
async def test_a_decimal_is_never_read_as_a_ratio(student: ChatUser) -> None:
    replies = await student.send("2.3")
    assert not _said(replies, "Correct"), replies
    assert _said(await student.send("২:৩"), "Correct")


@pytest.mark.parametrize("one_problem", ["time"], indirect=True)
async def test_a_time_is_read_as_a_time(student: ChatUser) -> None:
    assert not _said(await student.send("1/30"), "Correct")
    assert _said(await student.send("01:30"), "Correct")


@pytest.mark.parametrize("one_problem", ["text"], indirect=True)
async def test_a_spelling_slip_is_right_but_another_term_is_not(student: ChatUser) -> None:
    assert _said(await student.send("equilateral"), "Not quite")
    assert _said(await student.send("isoceles"), "Correct")


@pytest.mark.parametrize("one_problem", ["words"], indirect=True)
async def test_numbers_in_words_are_understood_and_junk_is_asked_again(student: ChatUser) -> None:
    replies = await student.send("maybe 2djkajdajk")
    assert _said(replies, "couldn't read"), replies
    assert _said(replies, "e.g."), replies  # an example of the shape, in the student's words
    assert _said(await student.send("twenty-one"), "Correct")
