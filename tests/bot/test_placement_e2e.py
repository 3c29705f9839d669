"""The placement check in chat, end to end: skipped (in Bengali), taken from /settings by a
strong student who then starts further on, and a partial result that starts mid-syllabus."""

from __future__ import annotations

from sqlalchemy import select

from bot.services.deps import Deps
from botapi_emulator import BotApiEmulator
from db.models import Placement, Student, TopicMastery
from tests.bot.conftest import ChatUser
from tests.bot.test_mastery_e2e import _practise_day, _syllabus
from tests.bot.test_student_flow import BENGALI


async def _onboard(user: ChatUser, *, bengali: bool = False) -> str:
    await user.send("/start")
    await user.tap("বাংলা" if bengali else "English")
    await user.tap("৬ষ্ঠ" if bengali else "Class 6")
    return (await user.tap("✅"))[0]


async def _check_card(deps: Deps, telegram_id: int):
    async with deps.db() as s:
        row = await s.scalar(
            select(Placement)
            .join(Student, Student.id == Placement.student_id)
            .where(Student.telegram_id == telegram_id)
        )
        assert row is not None
        return await deps.problems.get(s, (row.problem_id, row.variant_seed))


async def _answer(user: ChatUser, deps: Deps, *, right: bool, bengali: bool = False) -> str:
    card = await _check_card(deps, user.id)
    text = card.answer_key.answer if right else "987654"
    if right and bengali:
        text = text.translate(BENGALI)
    if not right and card.answer_key.answer == "987654":
        text = "987653"
    return (await user.send(text))[0]


async def test_a_student_who_skips_placement_starts_at_the_beginning(
    bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    user = ChatUser(bot, 7301, language_code="bn")
    done = await _onboard(user, bengali=True)
    assert "ছোট একটি যাচাই (৬টি পর্যন্ত সমস্যা)" in done
    assert [label for label, _ in user.buttons()][-2:] == ["📝 যাচাই শুরু করো", "⏭ এখন না"]
    skipped = await user.tap("এখন না")
    assert skipped[0] == "👍 এখন যাচাই হবে না। /settings থেকে যেকোনো সময় দিতে পারবে।"
    syllabus = await _syllabus(e2e_deps, 6)
    topics = await _practise_day(user, e2e_deps, bengali=True)
    assert syllabus[0].slug in topics and syllabus[1].slug in topics
    # The check stays on offer in /settings.
    await user.send("/settings")
    assert "📝 দক্ষতা যাচাই" in [label for label, _ in user.buttons()]


async def test_a_strong_student_takes_the_check_from_settings_and_starts_further_on(
    bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    user = ChatUser(bot, 7302)
    await _onboard(user)
    await user.send("/settings")
    first = (await user.tap("Placement check"))[0]
    assert first.startswith("📝 Check 1 of up to 6 · ")
    # An unreadable reply is asked again and counts for nothing.
    again = (await user.send("🤷"))[0]
    assert again.startswith("🤔 I couldn't read that as an answer.")
    # Digits of another script are asked for again in ours, and count for nothing.
    arabic = (await user.send("٤٢"))[0]
    assert arabic == "Please write numbers with the digits 0–9 or ০–৯."
    replies = []
    for _ in range(6):
        reply = await _answer(user, e2e_deps, right=True)
        replies.append(reply)
        if "Check done" in reply:
            break
    assert replies[0].startswith("✅ Right!\n📝 Check 2 of up to 6")
    syllabus = await _syllabus(e2e_deps, 6)
    assert "✅ Check done! You seem to know every topic of your class" in replies[-1]
    async with e2e_deps.db() as s:
        rows = list((await s.scalars(select(TopicMastery))).all())
        assert await s.scalar(select(Placement)) is None
    assert len(rows) == len(syllabus) and all(r.placed for r in rows)
    progress = (await user.send("/progress"))[0]
    assert f"✅ {len(syllabus)} mastered" in progress
    assert f"✅ {syllabus[0].name_en} — mastered" in progress
    # Practice goes on (the least secure topics), and answers are graded as usual again.
    await _practise_day(user, e2e_deps)


async def test_a_partial_result_starts_practice_mid_syllabus(
    bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    user = ChatUser(bot, 7303)
    await _onboard(user)
    await user.tap("Take the check")
    syllabus = await _syllabus(e2e_deps, 6)
    n = len(syllabus)
    # Right on the middle topic, then wrong on everything after it.
    reply = await _answer(user, e2e_deps, right=True)
    while "Check done" not in reply:
        reply = await _answer(user, e2e_deps, right=False)
        assert reply.startswith("Noted.")
    known = n // 2 + 1
    assert f"You already know {known} topics of your class" in reply
    assert f"We start with: {syllabus[known].name_en}." in reply
    topics = await _practise_day(user, e2e_deps)
    assert syllabus[0].slug not in topics
    assert syllabus[known].slug in topics


async def test_other_scripts_digits_in_the_check_are_asked_again_in_bengali(
    bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    user = ChatUser(bot, 7309, language_code="bn")
    await _onboard(user, bengali=True)
    first = (await user.tap("যাচাই শুরু করো"))[0]
    assert "৬টির মধ্যে ১ নম্বর" in first, first
    devanagari = (await user.send("४२"))[0]
    assert devanagari == "সংখ্যা লিখতে ০–৯ অথবা 0–9 অঙ্ক ব্যবহার করো।"
    # Nothing was counted: the next answer is the first one graded.
    nxt = await _answer(user, e2e_deps, right=True, bengali=True)
    assert nxt.startswith("✅") and "৬টির মধ্যে ২ নম্বর" in nxt, nxt
