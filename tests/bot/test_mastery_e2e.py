"""Mastery in chat, end to end (real Application, Bot API emulator, PostgreSQL): a student
who masters topics and moves on, whose reviews come due, and /progress in both languages."""

from __future__ import annotations

from sqlalchemy import select

from bot.services.deps import Deps
from botapi_emulator import BotApiEmulator
from db.models import PracticeSession, Problem, Student, Topic
from tests.bot.conftest import ChatUser
from tests.bot.test_student_flow import BENGALI, _current_card, _onboard
from tests.conftest import FakeClock


async def _answer_right(user: ChatUser, deps: Deps, *, bengali: bool = False) -> list[str]:
    card, _ = await _current_card(deps, user.id)
    key = card.answer_key
    answer = key.answer.translate(BENGALI) if bengali else key.answer
    if card.answer_type == "multiple_choice":
        answer = ("কখগঘ" if bengali else "ABCD")[key.options_en.index(key.answer)]
    return await user.send(answer)


async def _practise_day(user: ChatUser, deps: Deps, *, bengali: bool = False) -> list[str]:
    """/practice, then every problem right first time; the topics of the day's problems."""
    await user.send("/practice")
    async with deps.db() as s:
        session = await s.scalar(
            select(PracticeSession)
            .join(Student, Student.id == PracticeSession.student_id)
            .where(Student.telegram_id == user.id)
            .order_by(PracticeSession.local_date.desc())
        )
        assert session is not None and session.status == "in_progress"
        topics = [
            await s.scalar(select(Problem.topic).where(Problem.id == pid))
            for pid in session.problem_ids
        ]
    for _ in topics:
        await _answer_right(user, deps, bengali=bengali)
    return [t for t in topics if t is not None]


async def _syllabus(deps: Deps, grade: int) -> list[Topic]:
    async with deps.db() as s:
        return list(
            (
                await s.scalars(select(Topic).where(Topic.grade == grade).order_by(Topic.position))
            ).all()
        )


async def test_a_student_masters_topics_moves_on_and_reviews_come_due(
    bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    clock = e2e_deps.clock
    assert isinstance(clock, FakeClock)
    user = ChatUser(bot, 7201)
    await _onboard(user)
    syllabus = await _syllabus(e2e_deps, 6)
    first, second, third = (t.slug for t in syllabus[:3])

    # Before any practice: nothing started, the first topics come next.
    before = (await user.send("/progress"))[0]
    assert before.startswith("📈 Your progress · Class 6")
    assert f"⚪ {syllabus[0].name_en} — not started" in before
    assert f"👉 Next: {syllabus[0].name_en}, {syllabus[1].name_en}" in before

    # Day 1: the first two topics of the syllabus, and a taste of the third.
    day1 = await _practise_day(user, e2e_deps)
    assert sorted(day1) == sorted([first, first, second, second, third])
    progress = (await user.send("/progress"))[0]
    assert f"🟢 {syllabus[0].name_en} — familiar" in progress
    assert "📅 Solved this week: 5" in progress

    # Day 2: one more clean success each and the first two topics are mastered.
    clock.advance(days=1)
    await _practise_day(user, e2e_deps)
    progress = (await user.send("/progress"))[0]
    assert f"✅ {syllabus[0].name_en} — mastered" in progress
    assert f"✅ {syllabus[1].name_en} — mastered" in progress
    assert "✅ 2 mastered" in progress

    # Day 3: they move on — no problem of a mastered topic until its review is due.
    clock.advance(days=1)
    day3 = await _practise_day(user, e2e_deps)
    assert first not in day3 and second not in day3
    assert third in day3

    # Day 5: three days after day 2's success, the mastered topics come back for review.
    clock.advance(days=2)
    day5 = await _practise_day(user, e2e_deps)
    assert first in day5 and second in day5
    assert day5.count(first) == 1 and day5.count(second) == 1


async def test_progress_in_bengali(bot: BotApiEmulator, e2e_deps: Deps) -> None:
    user = ChatUser(bot, 7202, language_code="bn")
    await _onboard(user, bengali=True)
    syllabus = await _syllabus(e2e_deps, 6)
    await _practise_day(user, e2e_deps, bengali=True)
    text = (await user.send("/progress"))[0]
    assert text.startswith("📈 তোমার অগ্রগতি · ৬ষ্ঠ শ্রেণি")
    assert f"🟢 {syllabus[0].name_bn} — পরিচিত" in text
    assert f"⚪ {syllabus[3].name_bn} — শুরু হয়নি" in text
    assert "📅 এই সপ্তাহে সমাধান করেছ: ৫টি" in text
    assert "🔥 টানা অনুশীলন: ১ দিন" in text
    assert "👉 এরপর:" in text
    assert not any(ch.isdigit() and ch.isascii() for ch in text)
