"""A student's chat, end to end: real Application, Bot API emulator over HTTP, PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.services.deps import Deps
from botapi_emulator import BotApiEmulator
from db.models import PracticeSession, Response, Streak, Student
from tests.bot.conftest import ChatUser
from tests.conftest import FakeClock

BENGALI = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")


async def _current_card(deps: Deps, telegram_id: int):
    async with deps.db() as s:
        session = await s.scalar(
            select(PracticeSession)
            .join(Student, Student.id == PracticeSession.student_id)
            .where(Student.telegram_id == telegram_id, PracticeSession.status == "in_progress")
        )
        assert session is not None
        seeds = session.variant_seeds or [0] * len(session.problem_ids)
        variant = (session.problem_ids[session.position], seeds[session.position])
        return await deps.problems.get(s, variant), session


async def _responses(deps: Deps) -> list[Response]:
    async with deps.db() as s:
        return list((await s.scalars(select(Response).order_by(Response.id))).all())


async def _onboard(user: ChatUser, *, bengali: bool = False) -> None:
    await user.send("/start")
    await user.tap("বাংলা" if bengali else "English")
    await user.tap("৬ষ্ঠ" if bengali else "Class 6")
    await user.tap("✅")


async def test_onboarding_in_bengali(bot: BotApiEmulator, e2e_deps: Deps) -> None:
    user = ChatUser(bot, 7001, language_code="bn")
    welcome = await user.send("/start")
    assert "ভাষা বেছে নাও" in welcome[0]
    grade_prompt = await user.tap("বাংলা")
    assert grade_prompt == ["তুমি কোন শ্রেণিতে পড়ো?"]
    assert [label for label, _ in user.buttons()] == ["৬ষ্ঠ শ্রেণি", "৭ম শ্রেণি", "৮ম শ্রেণি"]
    name_prompt = await user.tap("৭ম")
    assert "Rahim" in name_prompt[0]
    await user.tap("অন্য নাম")
    done = await user.send("রাফি")
    assert done[0].startswith("সব প্রস্তুত, রাফি!")
    assert "৫টি" in done[0]
    async with e2e_deps.db() as s:
        student = await s.scalar(select(Student).where(Student.telegram_id == 7001))
    assert student is not None
    assert (student.language, student.grade, student.name) == ("bn", 7, "রাফি")
    # The command menu exists in both languages.
    assert bot.my_commands("bn") and bot.my_commands("")
    assert bot.my_commands("bn")[1]["description"] == "আজকের সমস্যা"


async def test_full_session_right_wrong_unreadable_bengali_hint_skip(
    bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    user = ChatUser(bot, 7002, language_code="bn")
    await _onboard(user, bengali=True)
    first = await user.tap("অনুশীলন")
    assert first[0].startswith("৫টির মধ্যে ১ নম্বর সমস্যা")

    # Problem 1: unreadable, then a hint, then right in Bengali digits (or the option).
    card, _ = await _current_card(e2e_deps, user.id)
    reply = await user.send("🤷‍♂️ hmm")
    assert reply[0].startswith("🤔 উত্তরটি বুঝতে পারিনি")
    assert await _responses(e2e_deps) == []
    hinted = await user.tap("সংকেত")
    assert card.hints["bn"][0] in hinted[0]
    answer = card.answer_key.answer.translate(BENGALI)
    if card.answer_type == "multiple_choice":
        answer = "কখগঘ"[card.answer_key.options_en.index(card.answer_key.answer)]
    reply = await user.send(answer)
    assert reply[0].startswith("✅ সঠিক!")
    assert "৫টির মধ্যে ২ নম্বর সমস্যা" in reply[0]

    # Problem 2: wrong twice → the answer is revealed, then problem 3.
    card, _ = await _current_card(e2e_deps, user.id)
    wrong = "৯৮৭৬৫৪" if card.answer_type == "numeric" else "ভুল উত্তর"
    if card.answer_type == "multiple_choice":
        wrong = "কখগঘ"[(card.answer_key.options_en.index(card.answer_key.answer) + 1) % 3]
    assert (await user.send(wrong))[0].startswith("❌ হয়নি")
    revealed = await user.send(wrong)
    assert revealed[0].startswith("❌ এবার হলো না। সঠিক উত্তর")
    assert "৫টির মধ্যে ৩ নম্বর সমস্যা" in revealed[0]

    # Problems 3–5: skip all; the session ends with the score and a streak of 1.
    # A skip asks once more (one tap) before it shows the answer.
    for _ in range(2):
        assert await user.tap("বাদ দাও") == [
            "সমস্যাটি বাদ দেবে? উত্তরটি দেখানো হবে, তারপর পরের সমস্যা আসবে।"
        ]
        await user.tap("হ্যাঁ, বাদ দাও")
    await user.tap("বাদ দাও")
    final = await user.tap("হ্যাঁ, বাদ দাও")
    assert "আজকের অনুশীলন শেষ! ৫টির মধ্যে ১টি সঠিক" in final[0]
    assert "টানা অনুশীলন: ১ দিন" in final[0]

    responses = await _responses(e2e_deps)
    assert [(r.is_correct, r.grader) for r in responses] == [
        (True, "rule"),
        (False, "rule"),
        (False, "rule"),
        (False, "skip"),
        (False, "skip"),
        (False, "skip"),
    ]
    assert responses[0].hints_used == 1
    again = await user.send("/practice")
    assert again[0].startswith("✅ আজকের অনুশীলন শেষ। শাবাশ!")
    assert "টানা অনুশীলন: ১ দিন" in again[0]
    assert [label for label, _ in user.buttons()] == ["➕ আরও অনুশীলন"]


async def test_redelivered_update_and_double_tap_count_once(
    bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    user = ChatUser(bot, 7003)
    await _onboard(user)
    await user.tap("Practice")
    card, _ = await _current_card(e2e_deps, user.id)
    answer = card.answer_key.answer
    before = len(bot.sent_texts(user.id))
    update_id = bot.push_message(user.id, answer)
    await bot.wait_for(
        "sendMessage", chat_id=user.id, count=len(bot.calls_to("sendMessage", user.id)) + 1
    )
    bot.redeliver(update_id)  # Telegram sends it again after a crash
    bot.redeliver(update_id)
    await asyncio.sleep(0.5)
    assert len(await _responses(e2e_deps)) == 1
    assert len(bot.sent_texts(user.id)) == before + 1

    # A button tapped twice quickly: two callback queries, one step, both answered.
    message_id, data = user.button_data("Skip")
    data += ":1"  # the confirmed skip (the first tap only asks)
    bot.push_callback(user.id, data, message_id=message_id)
    bot.push_callback(user.id, data, message_id=message_id)
    await bot.wait_for("answerCallbackQuery", count=len(bot.calls_to("answerCallbackQuery")))
    await asyncio.sleep(0.5)
    responses = await _responses(e2e_deps)
    assert [r.grader for r in responses] == ["rule", "skip"]
    _, session = await _current_card(e2e_deps, user.id)
    assert session.position == 2
    # Every callback query (3 onboarding taps, Practice, 2 skips) was answered.
    assert len(bot.calls_to("answerCallbackQuery")) == 6


async def test_streak_across_days_and_milestone(bot: BotApiEmulator, e2e_deps: Deps) -> None:
    clock = e2e_deps.clock
    assert isinstance(clock, FakeClock)
    user = ChatUser(bot, 7004)
    await _onboard(user)
    texts: list[str] = []
    for day in ("2026-03-10T21:00", "2026-03-11T00:05", "2026-03-12T05:59"):
        clock.set_local(day)
        await user.send("/practice")
        for _ in range(5):
            card, _ = await _current_card(e2e_deps, user.id)
            texts = await user.send(card.answer_key.answer)
    assert "Streak: 3 days (longest 3)" in texts[0]
    assert "🏅 Milestone: 3 days in a row!" in texts[0]
    async with e2e_deps.db() as s:
        streak = await s.scalar(select(Streak))
    assert streak is not None and streak.milestones_achieved == [3]


async def test_odd_messages_get_friendly_answers(bot: BotApiEmulator, e2e_deps: Deps) -> None:
    user = ChatUser(bot, 7005)
    await _onboard(user)
    bot.push_sticker(user.id)
    sticker = await bot.wait_for(
        "sendMessage", chat_id=user.id, count=len(bot.calls_to("sendMessage", user.id)) + 1
    )
    assert "only read typed answers" in sticker[-1].params["text"]
    assert (await user.send("/dance"))[0].startswith("I don't know that command")
    assert "very long" in (await user.send("7" * 1000))[0]
    assert "Tap Practice" in (await user.send("42"))[0]
    stale = await user.tap_data("ans:s:999:0:1", message_id=1)
    assert any("earlier problem" in text or "Tap Practice" in text for text in stale)
    forged = await user.tap_data("totally-forged-data", message_id=1)
    assert forged and "Tap Practice" in forged[-1]
    help_text = await user.send("/help")
    assert "/practice" in help_text[0]
    async with e2e_deps.db() as s:
        assert await s.scalar(select(func.count()).select_from(Response)) == 0


async def test_an_edited_old_message_is_not_graded_again(
    bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    user = ChatUser(bot, 7006)
    await _onboard(user)
    await user.tap("Practice")
    card, _ = await _current_card(e2e_deps, user.id)
    await user.send(card.answer_key.answer)
    before = len(bot.sent_texts(user.id))
    bot.push_update(
        {
            "edited_message": {
                "message_id": 1,
                "date": 1_773_000_000,
                "edit_date": 1_773_000_100,
                "chat": {"id": user.id, "type": "private", "first_name": "Rahim"},
                "from": {"id": user.id, "is_bot": False, "first_name": "Rahim"},
                "text": "987654",
            }
        }
    )
    await bot.wait_for(
        "sendMessage", chat_id=user.id, count=len(bot.calls_to("sendMessage", user.id)) + 1
    )
    assert bot.sent_texts(user.id)[before:] == [
        "✏️ I only read new messages. Please send your answer again as a new message."
    ]
    assert len(await _responses(e2e_deps)) == 1
