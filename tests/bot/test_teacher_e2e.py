"""Teachers end to end: a class and its join link, consent to join, the class view, and the
summary posted into a group chat."""

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
from db.models import ClassMember, SchoolClass, Teacher, Topic
from tests.bot.conftest import ChatUser, choose_adult_language
from tests.conftest import FakeClock
from tests.services.test_families import finish_session, make_student

LINK = re.compile(r"https://t\.me/dars_test_bot\?start=(c_[A-Za-z0-9_-]+)")
TEACHER, GROUP = 9701, -100_970_100


async def _members(deps: Deps) -> int:
    async with deps.db() as s:
        return int(await s.scalar(select(func.count()).select_from(ClassMember)) or 0)


async def test_class_link_consent_class_view_and_group_post(
    bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    await classes.add_teacher(e2e_deps, telegram_id=TEACHER, actor_telegram_id=1, via="test")
    teacher = ChatUser(bot, TEACHER)
    await choose_adult_language(teacher)
    (usage,) = await teacher.send("/newclass")
    assert usage.startswith("Send the class name after the command")
    (created,) = await teacher.send("/newclass 7B Maths")
    assert created.startswith("🏫 Class “7B Maths” is ready.")
    assert "for 7 days" in created
    match = LINK.search(created)
    assert match, created
    payload = match[1]

    stranger = ChatUser(bot, 9702)
    (need_start,) = await stranger.send(f"/start {payload}")
    assert need_start.startswith("To join a class, first send /start")

    student = ChatUser(bot, 9703, language_code="bn")
    await make_student(e2e_deps, student.id, "Nila", language="bn")
    (prompt,) = await student.send(f"/start {payload}")
    assert prompt.startswith("🏫 দার্স-এ “7B Maths” ক্লাসে যোগ দেবে?")
    assert [label for label, _ in student.buttons()] == ["✅ যোগ দাও", "✖️ বাতিল"]
    assert await _members(e2e_deps) == 0  # nothing happens without the student's tap
    (joined,) = await student.tap("যোগ দাও")
    assert joined == "✅ তুমি “7B Maths” ক্লাসে যোগ দিয়েছ। প্রতিদিন অনুশীলন চালিয়ে যাও!"
    (again,) = await student.send(f"/start {payload}")
    assert again == "তুমি আগে থেকেই “7B Maths” ক্লাসে আছ।"
    # A second student of the class, and a forged Join button that names no real link.
    other = ChatUser(bot, 9704)
    await make_student(e2e_deps, other.id, "Arif")
    await other.send(f"/start {payload}")
    message_id, _ = other.button_data("Join")
    (forged,) = await other.tap_data("cj:" + "Z" * 32, message_id=message_id)
    assert forged.startswith("This class link is not valid.")
    assert await _members(e2e_deps) == 1
    await other.send(f"/start {payload}")  # the forged tap replaced the buttons
    await other.tap("Join")
    assert await _members(e2e_deps) == 2

    await finish_session(e2e_deps, student.id)
    (view,) = await teacher.send("/class")
    async with e2e_deps.db() as s:
        topics = await s.scalar(select(func.count()).select_from(Topic).where(Topic.grade == 6))
    assert topics is not None and topics > 3
    # Each student's topics in syllabus order: Nila's first session (all right first time)
    # made the first two topics familiar and started the third.
    assert view.splitlines()[:5] == [
        "🏫 7B Maths · 2 students · this week",
        "Arif — 🔥0 · 📅0/7 · ✅0",
        "   " + "⚪" * topics,
        "Nila — 🔥1 · 📅1/7 · ✅5",
        "   🟢🟢🟡" + "⚪" * (topics - 3),
    ]
    assert "📚 topics in syllabus order: ✅ mastered" in view
    (new_link,) = await teacher.tap("New link")
    assert new_link.startswith("🔗 New join link for “7B Maths”") and LINK.search(new_link)

    (private,) = await teacher.send("/postsummary")
    assert private.startswith("Send /postsummary in your class's group chat")
    bot.push_message(TEACHER, "/postsummary", chat_id=GROUP, chat_type="supergroup")
    (posted,) = await bot.wait_for("sendMessage", chat_id=GROUP)
    assert posted.params["text"] == view
    async with e2e_deps.db() as s:
        group_chat = await s.scalar(select(SchoolClass.group_chat_id))
    assert group_chat == GROUP
    # Anyone else's /postsummary in the group is ignored; /newclass is for teachers only.
    bot.push_message(
        student.id, "/postsummary@dars_test_bot", chat_id=GROUP, chat_type="supergroup"
    )
    await asyncio.sleep(0.4)
    assert len(bot.sent_texts(GROUP)) == 1
    (only_teachers,) = await other.send("/newclass Mine")
    assert only_teachers == "This command is for teachers registered with Dars."


async def test_teacher_with_several_classes_names_one_for_the_group(
    bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    await classes.add_teacher(e2e_deps, telegram_id=TEACHER, actor_telegram_id=1, via="test")
    await classes.create_class(e2e_deps, telegram_id=TEACHER, name="6A")
    await classes.create_class(e2e_deps, telegram_id=TEACHER, name="7B")
    bot.push_message(TEACHER, "/postsummary", chat_id=GROUP, chat_type="group")
    (choose,) = await bot.wait_for("sendMessage", chat_id=GROUP)
    assert choose.params["text"].endswith("one of: 6A, 7B")
    bot.push_message(TEACHER, "/postsummary 7b", chat_id=GROUP, chat_type="group")
    calls = await bot.wait_for("sendMessage", chat_id=GROUP, count=2)
    assert calls[-1].params["text"].startswith("🏫 7B · 0 students · this week")
    async with e2e_deps.db() as s:
        rows = (await s.execute(select(SchoolClass.name, SchoolClass.group_chat_id))).all()
    assert sorted((name, chat) for name, chat in rows) == [("6A", None), ("7B", GROUP)]


OLD_GROUP = -4_242_420


async def _group_of_class(deps: Deps) -> int | None:
    async with deps.db() as s:
        return await s.scalar(select(SchoolClass.group_chat_id))


async def test_a_group_upgraded_to_a_supergroup_keeps_its_class(
    bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    await classes.add_teacher(e2e_deps, telegram_id=TEACHER, actor_telegram_id=1, via="test")
    await classes.create_class(e2e_deps, telegram_id=TEACHER, name="6A")
    bot.push_message(TEACHER, "/postsummary", chat_id=OLD_GROUP, chat_type="group")
    await bot.wait_for("sendMessage", chat_id=OLD_GROUP)
    assert await _group_of_class(e2e_deps) == OLD_GROUP

    new_group = bot.migrate_group(OLD_GROUP, by_user=TEACHER)  # Telegram says so in both chats
    for _ in range(200):
        if await _group_of_class(e2e_deps) == new_group:
            break
        await asyncio.sleep(0.02)
    assert await _group_of_class(e2e_deps) == new_group
    # Saying nothing in either chat, as Telegram's service messages need no answer.
    assert not bot.sent_texts(OLD_GROUP)[1:] and not bot.sent_texts(new_group)


async def test_a_weekly_post_to_a_group_that_moved_unannounced_follows_it(
    emu: BotApiEmulator, e2e_deps: Deps
) -> None:
    clock: FakeClock = e2e_deps.clock  # type: ignore[assignment]
    await classes.add_teacher(e2e_deps, telegram_id=TEACHER, actor_telegram_id=1, via="test")
    await classes.create_class(e2e_deps, telegram_id=TEACHER, name="6A")
    await classes.choose_group_class(e2e_deps, telegram_id=TEACHER, chat_id=OLD_GROUP, name=None)
    new_group = emu.migrate_group(OLD_GROUP, announce=False)
    clock.set_local("2026-03-15T19:10")  # Sunday evening in Dhaka

    async def follow(old: int, new: int) -> None:
        await classes.move_group(e2e_deps, old_chat_id=old, new_chat_id=new)

    async with telegram.Bot(emu.token, base_url=emu.base_url) as tg:
        sender = RateLimitedSender(tg, on_migrated=follow)
        assert await send_due_summaries(e2e_deps, sender, worker="a") == 2  # teacher, group
    (posted,) = emu.sent_texts(new_group)
    assert posted.startswith("📅 Weekly class summary") and "6A" in posted
    assert await _group_of_class(e2e_deps) == new_group


async def test_a_teacher_keeps_the_language_they_choose_whatever_their_phone_says(
    bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    await classes.add_teacher(e2e_deps, telegram_id=TEACHER, actor_telegram_id=1, via="test")
    teacher = ChatUser(bot, TEACHER)  # a Telegram client in English
    await choose_adult_language(teacher)  # asked at first contact
    (view,) = await teacher.send("/class")
    assert view == "You have no classes yet. Create one with /newclass NAME."
    assert [label for label, _ in teacher.buttons()] == ["🌐 বাংলা"]
    (saved,) = await teacher.tap("বাংলা")
    assert saved == "🌐 এখন থেকে দার্স আপনাকে বাংলায় লিখবে, আপনার ফোনের ভাষা যা-ই হোক।"
    (view,) = await teacher.send("/class")
    assert view == "আপনার এখনো কোনো ক্লাস নেই। /newclass নাম পাঠিয়ে একটি তৈরি করুন।"
    assert [label for label, _ in teacher.buttons()] == ["🌐 English"]
    (usage,) = await teacher.send("/newclass")
    assert usage == "কমান্ডের পরে ক্লাসের নাম লিখুন, যেমন: /newclass সপ্তম-খ গণিত"
    (saved,) = await teacher.tap("English")
    assert saved.startswith("🌐 Dars will write to you in English from now on")

    # The same button data from someone who is not a teacher changes nothing.
    stranger = ChatUser(bot, 9799)
    message_id, data = teacher.button_data("English")
    (refused,) = await stranger.tap_data(data, message_id=message_id)
    assert refused == "This command is for teachers registered with Dars."
    async with e2e_deps.db() as s:
        assert await s.scalar(select(func.count()).select_from(Teacher)) == 1
