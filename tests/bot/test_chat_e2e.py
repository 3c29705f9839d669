"""The student's chat after issue 21, end to end (real Application, Bot API emulator over
HTTP, PostgreSQL): extra practice after the day's session, what a message says once today is
done, hint and skip buttons that stay put, 12-hour reminder times, and digits of other
scripts. Both languages."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import build_application, running
from bot.services.deps import Deps
from botapi_emulator import BotApiEmulator
from db.models import PracticeSession, Response, Streak, Student, TopicMastery
from problems.bank import parse_banks
from tests.bot.conftest import ChatUser
from tests.bot.test_student_flow import _current_card
from tests.conftest import FakeClock, sample_bank_deps

BENGALI = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")
BN = "০১২৩৪৫৬৭৮৯"

# Six numeric problems with no hints at all (and the model off): the generic hint ladder.
PLAIN_BANK = "\n".join(
    f"""- id: plain-{i}
  grade: 6
  topic: integers
  difficulty: 1
  question: {{en: "What is {i} + {i}?", bn: "{BN[i]} + {BN[i]} = কত?"}}
  answer_type: numeric
  answer: "{2 * i}"
"""
    for i in range(1, 7)
)


async def _onboard(user: ChatUser, *, bengali: bool = False) -> None:
    await user.send("/start")
    await user.tap("বাংলা" if bengali else "English")
    await user.tap("৬ষ্ঠ" if bengali else "Class 6")
    await user.tap("✅")


async def _answer_all(user: ChatUser, deps: Deps, count: int = 5) -> list[str]:
    texts: list[str] = []
    for _ in range(count):
        card, _ = await _current_card(deps, user.id)
        texts = await user.send(card.answer_key.answer)
    return texts


async def _sessions(deps: Deps) -> list[PracticeSession]:
    async with deps.db() as s:
        return list((await s.scalars(select(PracticeSession).order_by(PracticeSession.id))).all())


async def _count(deps: Deps, model: type) -> int:
    async with deps.db() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def _mastery_attempts(deps: Deps) -> int:
    async with deps.db() as s:
        return int(await s.scalar(select(func.sum(TopicMastery.attempts))) or 0)


# ---------------------------------------------------------------- extra practice


async def test_more_practice_after_the_day_in_english(bot: BotApiEmulator, e2e_deps: Deps) -> None:
    clock = e2e_deps.clock
    assert isinstance(clock, FakeClock)
    clock.set_local("2026-03-10T17:00")
    user = ChatUser(bot, 7101)
    await _onboard(user)
    assert (await user.tap("Practice"))[0].startswith("Problem 1 of 5")
    final = await _answer_all(user, e2e_deps)
    assert "Session complete" in final[0] and "More practice" in final[0]
    assert [label for label, _ in user.buttons()] == ["➕ More practice"]
    day_attempts = await _mastery_attempts(e2e_deps)

    # Once today is done, a stray answer or Practice says so, with the streak and an offer.
    for message in ("42", "/practice"):
        done = await user.send(message)
        assert done[0].startswith("✅ Today's practice is done."), done
        assert "Streak: 1" in done[0]
        assert "Tap Practice" not in done[0]
        assert [label for label, _ in user.buttons()] == ["➕ More practice"]
    # An old or unknown button says the same, never "Tap Practice to start".
    old_button = await user.tap_data("an-old-button", message_id=1)
    assert old_button[-1].startswith("✅ Today's practice is done."), old_button
    assert [label for label, _ in user.buttons()] == ["➕ More practice"]

    extra = await user.tap("More practice")
    assert extra[0].startswith("Extra practice · problem 1 of 5")
    day, more = await _sessions(e2e_deps)
    assert (day.extra, more.extra) == (0, 1)
    # Nothing the student saw today comes again.
    day_variants = set(zip(day.problem_ids, day.variant_seeds or [], strict=True))
    more_variants = set(zip(more.problem_ids, more.variant_seeds or [], strict=True))
    assert not day_variants & more_variants

    done = await _answer_all(user, e2e_deps)
    assert "🎯 Extra set done! You got 5 of 5 right." in done[0]
    assert "Streak: 1" in done[0]
    assert [label for label, _ in user.buttons()] == ["➕ More practice"]
    # The record and mastery count it; the streak has one day, not two.
    assert await _count(e2e_deps, Response) == 10
    assert await _mastery_attempts(e2e_deps) == day_attempts + 5
    async with e2e_deps.db() as s:
        streak = await s.scalar(select(Streak))
    assert streak is not None and (streak.current, streak.longest) == (1, 1)

    # The next day starts a day's session again, and it counts for the streak.
    clock.set_local("2026-03-11T17:00")
    assert (await user.send("/practice"))[0].startswith("Problem 1 of 5")
    final = await _answer_all(user, e2e_deps)
    assert "Streak: 2" in final[0]


async def test_more_practice_in_bengali(bot: BotApiEmulator, e2e_deps: Deps) -> None:
    user = ChatUser(bot, 7102, language_code="bn")
    await _onboard(user, bengali=True)
    await user.tap("অনুশীলন")
    final = await _answer_all(user, e2e_deps)
    assert "আরও অনুশীলন" in final[0]
    done = await user.send("৪২")
    assert done[0].startswith("✅ আজকের অনুশীলন শেষ। শাবাশ!")
    assert "টানা অনুশীলন: ১ দিন" in done[0]
    assert "অনুশীলন চাপো" not in done[0]
    assert [label for label, _ in user.buttons()] == ["➕ আরও অনুশীলন"]
    old_button = await user.tap_data("an-old-button", message_id=1)
    assert old_button[-1].startswith("✅ আজকের অনুশীলন শেষ। শাবাশ!"), old_button
    extra = await user.tap("আরও অনুশীলন")
    assert extra[0].startswith("বাড়তি অনুশীলন · ৫টির মধ্যে ১ নম্বর সমস্যা")
    # Asking again while a set is open resumes it (a double tap makes no second set).
    again = await user.tap_data("more", message_id=user.last_keyboard_message()["message_id"])
    assert "বাড়তি অনুশীলন · ৫টির মধ্যে ১ নম্বর সমস্যা" in again[0]
    assert len(await _sessions(e2e_deps)) == 2
    done = await _answer_all(user, e2e_deps)
    assert "🎯 বাড়তি সেট শেষ! ৫টির মধ্যে ৫টি সঠিক।" in done[0]
    assert "টানা অনুশীলন: ১ দিন" in done[0]


# ---------------------------------------------------------------- hints and skipping


@pytest.fixture
async def plain_deps(pg_url: str, tmp_path) -> AsyncIterator[Deps]:
    bank = tmp_path / "plain.yaml"
    bank.write_text(PLAIN_BANK, encoding="utf-8")
    parsed = parse_banks([bank])
    assert not parsed.errors, parsed.errors
    async with sample_bank_deps(pg_url, parsed) as deps:
        yield deps


@pytest.fixture
async def plain_bot(emu: BotApiEmulator, plain_deps: Deps) -> AsyncIterator[BotApiEmulator]:
    settings = plain_deps.settings.model_copy(update={"telegram_api_base_url": emu.base_url})
    async with running(build_application(settings, deps=plain_deps), poll_timeout=1):
        yield emu


HINT_WORDS: dict[str, dict[str, Any]] = {
    "en": {
        "practice": "Practice",
        "hint": "Hint",
        "hints": (
            "What exactly does it ask you to find?",
            "Write down each number in the question",
            "Work it out one step at a time",
        ),
        "no_more": "💡 No more hints",
        "last": "That was the last hint.",
        "skip": "⏭ Skip",
        "confirm": "Skip this problem?",
        "yes": "Yes, skip",
        "back": "Keep trying",
        "wrong": "❌",
        "skipped": "Problem 2 of 5",
    },
    "bn": {
        "practice": "অনুশীলন",
        "hint": "সংকেত",
        "hints": (
            "ঠিক কী বের করতে বলা হয়েছে?",
            "প্রশ্নের প্রতিটি সংখ্যা",
            "এক ধাপ এক ধাপ করে",
        ),
        "no_more": "💡 আর সংকেত নেই",
        "last": "এটাই শেষ সংকেত ছিল।",
        "skip": "⏭ বাদ দাও",
        "confirm": "সমস্যাটি বাদ দেবে?",
        "yes": "হ্যাঁ, বাদ দাও",
        "back": "আবার চেষ্টা করি",
        "wrong": "❌",
        "skipped": "৫টির মধ্যে ২ নম্বর সমস্যা",
    },
}


@pytest.mark.parametrize("lang", ["en", "bn"])
async def test_hints_stay_in_place_and_skipping_asks_first(
    plain_bot: BotApiEmulator, plain_deps: Deps, lang: str
) -> None:
    words = HINT_WORDS[lang]
    user = ChatUser(plain_bot, 7110 if lang == "en" else 7111, language_code=lang)
    await _onboard(user, bengali=lang == "bn")
    await user.tap(words["practice"])
    layout = [label for label, _ in user.buttons()]
    assert layout[-1] == words["skip"]

    # No bank hint and no model: three levels that each go deeper, not one sentence thrice.
    shown = ""
    for level in range(3):
        shown = (await user.tap(words["hint"]))[-1]
        assert words["hints"][level] in shown
    assert all(hint in shown for hint in words["hints"])
    # Out of hints: the button stays where it was, so the next tap there skips nothing.
    labels = [label for label, _ in user.buttons()]
    assert labels == [words["no_more"], words["skip"]]
    message_id, data = user.button_data(words["no_more"])
    before = len(plain_bot.calls_to("answerCallbackQuery"))
    plain_bot.push_callback(user.id, data, message_id=message_id)
    popups = await plain_bot.wait_for("answerCallbackQuery", count=before + 1)
    assert popups[-1].params.get("text") == words["last"]
    assert await _count(plain_deps, Response) == 0

    # A wrong answer's verdict carries the problem's own buttons.
    verdict = await user.send("99")
    assert verdict[0].startswith(words["wrong"])
    message = user.last_keyboard_message()
    assert message["text"] == verdict[0]
    assert [label for label, _ in user.buttons()] == [words["no_more"], words["skip"]]

    # Skip asks once; "keep trying" keeps the problem; yes skips it.
    assert (await user.tap(words["skip"]))[0].startswith(words["confirm"])
    await user.tap(words["back"])
    assert await _count(plain_deps, Response) == 1  # the wrong answer only
    await user.tap(words["skip"])
    skipped = await user.tap(words["yes"])
    assert words["skipped"] in skipped[0]
    async with plain_deps.db() as s:
        graders = (await s.scalars(select(Response.grader).order_by(Response.id))).all()
    assert list(graders) == ["rule", "skip"]


# ---------------------------------------------------------------- digits of other scripts


@pytest.mark.parametrize(
    ("lang", "digits", "expected"),
    [
        ("en", "٤", "Please write numbers with the digits 0–9 or ০–৯."),
        ("en", "۴", "Please write numbers with the digits 0–9 or ০–৯."),
        ("bn", "४", "সংখ্যা লিখতে ০–৯ অথবা 0–9 অঙ্ক ব্যবহার করো।"),
    ],
)
async def test_other_digits_are_asked_again_and_cost_nothing(
    plain_bot: BotApiEmulator, plain_deps: Deps, lang: str, digits: str, expected: str
) -> None:
    words = HINT_WORDS[lang]
    user = ChatUser(plain_bot, 7120, language_code=lang)
    await _onboard(user, bengali=lang == "bn")
    await user.tap(words["practice"])
    card, before = await _current_card(plain_deps, user.id)
    reply = await user.send(digits)
    assert reply == [expected]
    _, after = await _current_card(plain_deps, user.id)
    assert (after.position, after.wrong_on_current) == (before.position, 0)
    assert await _count(plain_deps, Response) == 0
    # The same problem is still open and takes the answer in our digits.
    answer = card.answer_key.answer
    right = await user.send(answer.translate(BENGALI) if lang == "bn" else answer)
    assert right[0].startswith("✅")


# ---------------------------------------------------------------- reminder times


async def _reminder_time(deps: Deps, telegram_id: int) -> dt.time | None:
    async with deps.db() as s:
        student = await s.scalar(select(Student).where(Student.telegram_id == telegram_id))
        assert student is not None
        return student.reminder_time


async def _ask_reminder(user: ChatUser, label: str) -> None:
    await user.send("/settings")
    await user.tap(label)


async def test_reminder_times_in_bengali(plain_bot: BotApiEmulator, plain_deps: Deps) -> None:
    user = ChatUser(plain_bot, 7130, language_code="bn")
    await _onboard(user, bengali=True)
    for sent, saved, shown in [
        ("সন্ধ্যা ৭টা", dt.time(19, 0), "১৯:০০"),
        ("রাত ৮টা", dt.time(20, 0), "২০:০০"),
        ("সকাল ৭টা", dt.time(7, 0), "০৭:০০"),
        ("বিকেল ৪টা", dt.time(16, 0), "১৬:০০"),
        ("দুপুর ১টা", dt.time(13, 0), "১৩:০০"),
        ("১৯:৩০", dt.time(19, 30), "১৯:৩০"),
    ]:
        await _ask_reminder(user, "রিমাইন্ডার")
        assert (await user.send(sent)) == [f"⏰ প্রতিদিনের রিমাইন্ডার {shown}-এ ঠিক করা হলো।"]
        assert await _reminder_time(plain_deps, user.id) == saved

    # A bare ৭:৩০ is asked back in words, with a button for each reading.
    await _ask_reminder(user, "রিমাইন্ডার")
    assert (await user.send("৭:৩০")) == ["সন্ধ্যা ৭:৩০ নাকি সকাল ৭:৩০?"]
    assert [label for label, _ in user.buttons()] == ["সন্ধ্যা ৭:৩০", "সকাল ৭:৩০"]
    assert (await user.tap("সন্ধ্যা")) == ["⏰ প্রতিদিনের রিমাইন্ডার ১৯:৩০-এ ঠিক করা হলো।"]
    assert await _reminder_time(plain_deps, user.id) == dt.time(19, 30)

    # Other digits are asked again in words the student reads; nothing changes.
    await _ask_reminder(user, "রিমাইন্ডার")
    assert (await user.send("٧:٣٠")) == ["সংখ্যা লিখতে ০–৯ অথবা 0–9 অঙ্ক ব্যবহার করো।"]
    assert await _reminder_time(plain_deps, user.id) == dt.time(19, 30)
    assert (await user.send("৬:১৫")) == ["সন্ধ্যা ৬:১৫ নাকি সকাল ৬:১৫?"]
    assert (await user.tap("সকাল")) == ["⏰ প্রতিদিনের রিমাইন্ডার ০৬:১৫-এ ঠিক করা হলো।"]
    assert await _reminder_time(plain_deps, user.id) == dt.time(6, 15)


async def test_reminder_times_in_english(plain_bot: BotApiEmulator, plain_deps: Deps) -> None:
    user = ChatUser(plain_bot, 7131)
    await _onboard(user)
    for sent, saved in [
        ("7pm", dt.time(19, 0)),
        ("7:30 pm", dt.time(19, 30)),
        ("6:45 am", dt.time(6, 45)),
        ("19:30", dt.time(19, 30)),
    ]:
        await _ask_reminder(user, "Reminder")
        expected = f"⏰ Daily reminder set for {saved.strftime('%H:%M')}."
        assert (await user.send(sent)) == [expected]
        assert await _reminder_time(plain_deps, user.id) == saved
    await _ask_reminder(user, "Reminder")
    assert (await user.send("half past seven")) == [
        "Please send a time like 7pm, 7:30 pm or 19:30, or “off”."
    ]
    assert (await user.send("7:30")) == ["7:30 pm or 7:30 am?"]
    assert (await user.tap("am")) == ["⏰ Daily reminder set for 07:30."]
    assert await _reminder_time(plain_deps, user.id) == dt.time(7, 30)
