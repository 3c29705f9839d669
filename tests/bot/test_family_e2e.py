"""Parents end to end: invite links, guessing, summaries in Bengali, unlinking, access between
families, deleting data, and the weekly summary sent exactly once by two workers."""

from __future__ import annotations

import asyncio
import re

import telegram
from sqlalchemy import func, select

from bot.jobs.sender import RateLimitedSender
from bot.jobs.summaries import send_due_summaries
from bot.services import classes
from bot.services.deps import Deps
from botapi_emulator import BotApiEmulator
from db.models import Delivery, Guardian, GuardianLink, InviteAttempt, Response, Student
from tests.bot.conftest import ChatUser
from tests.conftest import FakeClock
from tests.services.test_access import CHILD_TID, PARENT_TID, PARENTS, _families
from tests.services.test_families import finish_session, link_parent, make_student

LINK = re.compile(r"https://t\.me/dars_test_bot\?start=(p_[A-Za-z0-9_-]+)")


async def _count(deps: Deps, model: type, *where) -> int:
    async with deps.db() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _invite(student: ChatUser) -> str:
    (text,) = await student.send("/invite")
    match = LINK.search(text)
    assert match, text
    assert "24 hours" in text
    return match[1]


async def test_invite_link_once_reuse_and_expiry(bot: BotApiEmulator, e2e_deps: Deps) -> None:
    clock: FakeClock = e2e_deps.clock  # type: ignore[assignment]
    student = ChatUser(bot, 9001)
    await make_student(e2e_deps, student.id, "Rafi")
    payload = await _invite(student)

    parent = ChatUser(bot, 9101, language_code="bn")
    (linked,) = await parent.send(f"/start {payload}")
    assert linked.startswith("✅ এখন থেকে আপনি দার্স-এ Rafi-এর অনুশীলন দেখতে পাবেন")
    told = await bot.wait_for("sendMessage", chat_id=student.id, count=2)
    assert told[-1].params["text"].startswith("👨‍👩‍👧 A parent has linked to your progress")
    (again,) = await parent.send(f"/start {payload}")
    assert again.startswith("আপনি আগে থেকেই Rafi-এর অগ্রগতি দেখছেন")
    (reused,) = await ChatUser(bot, 9102).send(f"/start {payload}")
    assert reused.startswith("This link was already used.")

    later = await _invite(student)
    clock.advance(hours=25)
    (expired,) = await ChatUser(bot, 9103).send(f"/start {later}")
    assert expired.startswith("This link has expired.")
    (own,) = await student.send(f"/start {later}")
    assert own.startswith("This link is for your parent")
    assert await _count(e2e_deps, GuardianLink) == 1
    # A parent who is not a student gets a parent's greeting from a plain /start.
    (hello,) = await parent.send("/start")
    assert hello.startswith("👋 দার্স-এ স্বাগতম! আপনি যাদের অগ্রগতি দেখছেন: Rafi।")


async def test_sixth_attempt_within_an_hour_is_refused_even_with_a_valid_code(
    bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    student = ChatUser(bot, 9002)
    await make_student(e2e_deps, student.id, "Rafi")
    payload = await _invite(student)
    guesser = ChatUser(bot, 9201)
    for i in range(5):
        (reply,) = await guesser.send(f"/start p_{i:032d}")
        assert reply.startswith("This link is not valid.")
    (refused,) = await guesser.send(f"/start {payload}")
    assert refused.startswith("Too many links that did not work.")
    assert await _count(e2e_deps, GuardianLink) == 0
    # The refused attempt is not recorded (rows stay bounded).
    assert await _count(e2e_deps, InviteAttempt, InviteAttempt.telegram_id == guesser.id) == 5
    # The link itself is still good for the real parent.
    (linked,) = await ChatUser(bot, 9202).send(f"/start {payload}")
    assert linked.startswith("✅ You now follow Rafi's practice")


async def test_summary_in_bengali_settings_and_unlink_both_sides(
    bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    student = ChatUser(bot, 9003)
    await make_student(e2e_deps, student.id, "Rafi")
    parent = ChatUser(bot, 9301, language_code="bn")
    await link_parent(e2e_deps, student.id, parent.id, language_code="bn")
    await finish_session(e2e_deps, student.id, right=True, hints_on_first=1)

    report, settings = await parent.send("/summary", expect=2)
    assert report.startswith("📊 গত ৭ দিনের অগ্রগতি")
    assert "👤 Rafi\n🔥 টানা অনুশীলন: ১ দিন (সবচেয়ে বেশি ১ দিন)" in report
    assert "📅 ▫️▫️▫️▫️▫️▫️✅  (পুরোনো → আজ)" in report
    assert "✅ সমাধান: ৫টি · 🎯 সঠিকতা: ১০০% · 💡 সংকেত: ১টি" in report
    # The per-topic picture: the first session touched the first three topics of the class
    # (the first one with a hint, so it counts for less).
    assert "📚 শ্রেণির অধ্যায়: ✅ ০টি আয়ত্ত হয়েছে" in report
    assert "   🟢 " in report and "পরিচিত" in report
    assert not re.search(r"[0-9]", report), "Bengali text uses Bengali digits"
    assert settings.startswith("সাপ্তাহিক সারসংক্ষেপ (রবিবার সন্ধ্যা): চালু · দৈনিক সারসংক্ষেপ: বন্ধ")
    (toggled,) = await parent.tap("দৈনিক")
    assert toggled.endswith("দৈনিক সারসংক্ষেপ: চালু")
    async with e2e_deps.db() as s:
        guardian = await s.scalar(select(Guardian))
    assert guardian is not None and guardian.daily_summary

    (choose,) = await parent.send("/unlink")
    assert choose == "কোন সন্তানের অগ্রগতি আর দেখতে চান না?"
    (done,) = await parent.tap("Rafi")
    assert done == "হয়ে গেছে — আপনি আর Rafi-এর অগ্রগতি দেখবেন না।"
    (none_left,) = await parent.send("/summary")
    assert none_left.startswith("আপনি এখনো কোনো শিক্ষার্থীর অগ্রগতি দেখছেন না")

    await link_parent(e2e_deps, student.id, 9302)
    (confirm,) = await student.send("/unlink")
    assert confirm.startswith("Unlink the parent who follows you?")
    (cancelled,) = await student.tap("Cancel")
    assert cancelled == "OK, nothing was changed."
    assert await _count(e2e_deps, GuardianLink) == 1
    await student.send("/unlink")
    (unlinked,) = await student.tap("Yes, unlink")
    assert unlinked == "Done — no parent follows your progress any more."
    assert await _count(e2e_deps, GuardianLink) == 0
    (nothing,) = await student.send("/unlink")
    assert nothing.startswith("Nobody is linked with you")


async def test_twenty_families_never_see_each_others_children(
    bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    own, names = await _families(e2e_deps)
    parents = [PARENT_TID + p for p in range(PARENTS)]
    for tid in parents:
        bot.push_message(tid, "/summary")
    for tid in parents:
        await bot.wait_for("sendMessage", chat_id=tid, count=2)
    # Forged buttons: every parent taps "unlink" for another family's child, forges a
    # settings button and an unknown deep link, and asks to unlink as if a student.
    for p, tid in enumerate(parents):
        other = next(iter(own[(p + 1) % PARENTS]))
        message_id = bot.chat_messages(tid)[-1]["message_id"]
        bot.push_callback(tid, f"fu:c:{other}", message_id=message_id)
        bot.push_callback(tid, "fu:all", message_id=message_id)
        bot.push_callback(tid, f"cl:{other}", message_id=message_id)
        bot.push_message(tid, f"/start p_{'A' * 32}")
    await bot.wait_for("answerCallbackQuery", count=3 * PARENTS)
    for tid in parents:
        await bot.wait_for("sendMessage", chat_id=tid, count=4)
        await bot.wait_for("editMessageText", chat_id=tid, count=2)

    for p, tid in enumerate(parents):
        texts = "\n".join(bot.sent_texts(tid))
        mine = {names[i] for i in own[p]}
        others = set(names.values()) - mine
        assert all(name in texts for name in mine)
        assert not [name for name in others if name in texts], f"parent {p} saw another child"
        assert "That student is not linked with you." in texts
    assert await _count(e2e_deps, GuardianLink) == len(names)
    # Nothing was sent to any child either.
    assert not any(bot.sent_texts(CHILD_TID + i) for i in range(len(names)))


async def test_delete_my_data_for_a_student_and_a_parent(
    bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    student = ChatUser(bot, 9004)
    await make_student(e2e_deps, student.id, "Rafi")
    parent = ChatUser(bot, 9401, language_code="bn")
    await link_parent(e2e_deps, student.id, parent.id, language_code="bn")
    await finish_session(e2e_deps, student.id)

    (confirm,) = await student.send("/delete_my_data")
    assert confirm.startswith("🗑 This deletes your name, settings, streak")
    (done,) = await student.tap("Yes, delete")
    assert done.startswith("✅ Done — your data has been deleted.")
    assert await _count(e2e_deps, Student) == 0
    assert await _count(e2e_deps, Response, Response.student_id.is_(None)) == 5
    async with e2e_deps.db() as s:
        stored = " ".join(
            str(v)
            for row in (await s.execute(select(Response))).all()
            for v in row[0].__dict__.values()
        )
    assert "Rafi" not in stored
    (fresh,) = await student.send("/start")
    assert "Choose your language" in fresh

    (parent_confirm,) = await parent.send("/delete_my_data")
    assert parent_confirm.startswith("🗑 এতে আপনার অভিভাবক অ্যাকাউন্ট")
    (parent_done,) = await parent.tap("মুছে ফেলা হোক")
    assert parent_done == "✅ হয়ে গেছে — আপনার তথ্য মুছে ফেলা হয়েছে।"
    assert await _count(e2e_deps, Guardian) == 0
    (nothing,) = await parent.send("/delete_my_data")
    assert nothing == "আমার কাছে এই অ্যাকাউন্টের কোনো তথ্য নেই।"


async def test_weekly_summaries_are_sent_once_by_two_concurrent_workers(
    emu: BotApiEmulator, e2e_deps: Deps
) -> None:
    clock: FakeClock = e2e_deps.clock  # type: ignore[assignment]
    parents = [9501 + i for i in range(6)]
    for i, tid in enumerate(parents):
        await make_student(e2e_deps, 9051 + i, f"Child{i}X")
        await link_parent(e2e_deps, 9051 + i, tid, language_code="bn" if i % 2 else "en")
    blocked = parents[-1]
    emu.forbidden_chats.add(blocked)
    teacher, group = 9601, -100_9601
    await classes.add_teacher(e2e_deps, telegram_id=teacher, actor_telegram_id=1, via="test")
    link = await classes.create_class(e2e_deps, telegram_id=teacher, name="7B")
    await classes.open_class_link(
        e2e_deps, telegram_id=9051, token=link.payload[2:], language_code=None, join=True
    )
    await classes.choose_group_class(e2e_deps, telegram_id=teacher, chat_id=group, name=None)
    clock.set_local("2026-03-15T19:10")  # Sunday evening in Dhaka

    async with (
        telegram.Bot(emu.token, base_url=emu.base_url) as bot_a,
        telegram.Bot(emu.token, base_url=emu.base_url) as bot_b,
    ):
        sender_a, sender_b = RateLimitedSender(bot_a), RateLimitedSender(bot_b)
        sent = await asyncio.gather(
            send_due_summaries(e2e_deps, sender_a, worker="a"),
            send_due_summaries(e2e_deps, sender_b, worker="b"),
        )
        assert sum(sent) == 5 + 1 + 1  # five parents (one blocked us), the teacher, the group
        for i, tid in enumerate(parents[:-1]):
            (text,) = emu.sent_texts(tid)
            header = "📅 দার্স থেকে আপনার সাপ্তাহিক" if i % 2 else "📅 Your weekly summary"
            assert text.startswith(header) and f"Child{i}X" in text
        (class_text,) = emu.sent_texts(teacher)
        assert class_text.startswith("📅 Weekly class summary") and "Child0X — 🔥0" in class_text
        assert emu.sent_texts(group) == [class_text]
        # Later runs that evening send nothing again.
        clock.advance(minutes=30)
        assert await send_due_summaries(e2e_deps, sender_a, worker="a") == 0
    async with e2e_deps.db() as s:
        rows = (await s.execute(select(Delivery.recipient_id, Delivery.status))).all()
        statuses: dict[int, str] = dict(rows)
        guardian = await s.scalar(select(Guardian).where(Guardian.telegram_id == blocked))
    assert statuses.pop(blocked) == "gave_up"
    assert set(statuses.values()) == {"sent"} and len(statuses) == 7
    assert guardian is not None and not guardian.reachable
