"""Restart safety and concurrency, end to end on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

from sqlalchemy import select, text

from bot.app import build_application, running
from bot.services.deps import Deps
from botapi_emulator import BotApiEmulator
from db.models import PracticeSession, Response, Student
from tests.bot.conftest import ChatUser
from tests.bot.test_student_flow import _current_card, _onboard


def _start_bot_process(emu: BotApiEmulator, database_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": emu.token,
        "TELEGRAM_API_BASE_URL": emu.base_url,
        "DATABASE_URL": database_url,
        "NO_PROXY": "127.0.0.1,localhost",
    }
    env.pop("OPENAI_API_KEY", None)
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def test_killed_mid_session_resumes_on_the_right_problem(
    emu: BotApiEmulator, e2e_deps: Deps, pg_url: str
) -> None:
    process = _start_bot_process(emu, pg_url)
    try:
        user = ChatUser(emu, 8001)
        await _onboard(user)
        first = await user.tap("Practice")
        assert first[0].startswith("Problem 1 of 5")
        card, _ = await _current_card(e2e_deps, user.id)
        await user.send(card.answer_key.answer)
        second_card, _ = await _current_card(e2e_deps, user.id)
    finally:
        process.send_signal(signal.SIGKILL)  # no graceful shutdown, no offset confirmed
        process.wait(timeout=10)

    restarted = _start_bot_process(emu, pg_url)
    try:
        reply = await user.send(second_card.answer_key.answer)
        assert reply[0].startswith("✅ Correct!")
        assert "Problem 3 of 5" in reply[0]
        async with e2e_deps.db() as s:
            rows = (await s.scalars(select(Response).order_by(Response.id))).all()
        assert [r.problem_id for r in rows] == [card.id, second_card.id]
        assert all(r.is_correct for r in rows)
    finally:
        restarted.terminate()
        restarted.wait(timeout=20)


async def test_a_blocked_student_does_not_hold_up_others(
    bot: BotApiEmulator, e2e_deps: Deps, pg_url: str
) -> None:
    slow, quick = ChatUser(bot, 8002), ChatUser(bot, 8003)
    for user in (slow, quick):
        await _onboard(user)
        await user.tap("Practice")
    slow_card, slow_session = await _current_card(e2e_deps, slow.id)
    quick_card, _ = await _current_card(e2e_deps, quick.id)

    # Hold a lock on the slow student's session row, as a long transaction elsewhere would.
    engine = e2e_deps.db.kw["bind"]
    async with engine.connect() as blocker:
        transaction = await blocker.begin()
        await blocker.execute(
            text("SELECT id FROM practice_sessions WHERE id = :id FOR UPDATE"),
            {"id": slow_session.id},
        )
        slow_before = len(bot.sent_texts(slow.id))
        bot.push_message(slow.id, slow_card.answer_key.answer)
        bot.push_message(slow.id, "/practice")  # must wait behind the slow student's answer
        reply = await quick.send(quick_card.answer_key.answer)
        assert reply[0].startswith("✅ Correct!")
        await asyncio.sleep(0.3)
        assert len(bot.sent_texts(slow.id)) == slow_before, "slow student answered early"
        await transaction.rollback()

    await bot.wait_for(
        "sendMessage",
        chat_id=slow.id,
        count=len(bot.calls_to("sendMessage", slow.id)) + 2,
        timeout=10,
    )
    texts = bot.sent_texts(slow.id)[slow_before:]
    # In order: the verdict on the answer first, then /practice showing problem 2.
    assert texts[0].startswith("✅ Correct!")
    assert "Problem 2 of 5" in texts[1]


async def test_settings_change_reminder_and_language(bot: BotApiEmulator, e2e_deps: Deps) -> None:
    user = ChatUser(bot, 8004)
    await _onboard(user)
    settings = await user.send("/settings")
    assert "Daily reminder: 18:00" in settings[0]
    assert (await user.tap("Reminder"))[0].startswith("Send the time")
    assert "like 7pm, 7:30 pm or 19:30" in (await user.send("25:99"))[0]
    assert (await user.send("19:45"))[0] == "⏰ Daily reminder set for 19:45."
    await user.send("/settings")
    await user.tap("Language")
    await user.tap("বাংলা")
    bengali = await user.send("/settings")
    assert "প্রতিদিনের রিমাইন্ডার: ১৯:৪৫" in bengali[0]
    await user.tap("রিমাইন্ডার")
    assert (await user.send("বন্ধ"))[0] == "⏰ প্রতিদিনের রিমাইন্ডার বন্ধ করা হলো।"
    async with e2e_deps.db() as s:
        student = await s.scalar(select(Student).where(Student.telegram_id == user.id))
    assert student is not None and student.reminder_time is None and student.language == "bn"
    assert await _no_session(e2e_deps)


async def _no_session(deps: Deps) -> bool:
    async with deps.db() as s:
        return await s.scalar(select(PracticeSession)) is None


async def test_one_students_backlog_never_uses_up_the_shared_slots(
    emu: BotApiEmulator, e2e_deps: Deps
) -> None:
    """With 2 slots, a blocked student with 4 queued messages still leaves room for others."""
    settings = e2e_deps.settings.model_copy(
        update={"telegram_api_base_url": emu.base_url, "concurrent_updates": 2}
    )
    async with running(build_application(settings, deps=e2e_deps), poll_timeout=1):
        slow, quick = ChatUser(emu, 8010), ChatUser(emu, 8011)
        for user in (slow, quick):
            await _onboard(user)
            await user.tap("Practice")
        slow_card, slow_session = await _current_card(e2e_deps, slow.id)
        quick_card, _ = await _current_card(e2e_deps, quick.id)
        engine = e2e_deps.db.kw["bind"]
        async with engine.connect() as blocker:
            transaction = await blocker.begin()
            await blocker.execute(
                text("SELECT id FROM practice_sessions WHERE id = :id FOR UPDATE"),
                {"id": slow_session.id},
            )
            emu.push_message(slow.id, slow_card.answer_key.answer)
            for _ in range(3):
                emu.push_message(slow.id, "/help")
            reply = await quick.send(quick_card.answer_key.answer)
            assert reply[0].startswith("✅ Correct!")
            await transaction.rollback()
        await emu.wait_for(
            "sendMessage",
            chat_id=slow.id,
            count=len(emu.calls_to("sendMessage", slow.id)) + 4,
            timeout=10,
        )
