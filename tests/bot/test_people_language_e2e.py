"""Parents and teachers in their own language, end to end: a new parent or teacher is asked
at first contact (the Telegram client's language is only a guess), a student with no other
role hears their student language, and each person's command menu follows their choice
(``setMyCommands`` with a chat scope, recorded by the emulator)."""

from __future__ import annotations

import re

from bot.services import classes
from bot.services.deps import Deps
from botapi_emulator import BotApiEmulator
from tests.bot.conftest import ChatUser
from tests.services.test_families import make_student

LINK = re.compile(r"https://t\.me/dars_test_bot\?start=(p_[A-Za-z0-9_-]+)")


def _menu(bot: BotApiEmulator, chat_id: int) -> dict[str, str]:
    commands = bot.my_commands("", {"type": "chat", "chat_id": chat_id})
    return {c["command"]: c["description"] for c in commands}


async def _invite(student: ChatUser) -> str:
    (text,) = await student.send("/invite")
    match = LINK.search(text)
    assert match, text
    return match[1]


async def test_a_new_parent_chooses_bengali_and_gets_a_bengali_menu(
    bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    student = ChatUser(bot, 9401)
    await make_student(e2e_deps, student.id, "Rafi")
    parent = ChatUser(bot, 9451)  # an English client, as nearly everyone's in Bangladesh
    (linked,) = await parent.send(f"/start {await _invite(student)}")
    assert linked.startswith("✅ You now follow Rafi's practice")
    assert "আপনি কোন ভাষায় বার্তা পেতে চান?" in linked
    assert [label for label, _ in parent.buttons()] == ["English", "বাংলা"]
    (welcome,) = await parent.tap("বাংলা")
    assert welcome.startswith("👋 দার্স-এ স্বাগতম! আপনি যাদের অগ্রগতি দেখছেন: Rafi।")
    menu = _menu(bot, parent.id)
    assert menu == {
        "start": "শুরু করুন",
        "summary": "সন্তানের অগ্রগতি",
        "unlink": "সন্তানের অগ্রগতি দেখা বন্ধ করুন",
        "help": "দার্স কীভাবে কাজ করে",
        "delete_my_data": "আপনার তথ্য মুছে ফেলুন",
    }
    # Every reply from now on is in Bengali, whatever the client says.
    summary = await parent.send("/summary")
    assert summary[0].startswith("📊 গত ৭ দিনের অগ্রগতি")
    assert (await parent.send("/unlink")) == ["কোন সন্তানের অগ্রগতি আর দেখতে চান না?"]
    assert (await parent.send("/dance"))[0].startswith("এই কমান্ডটি চিনি না")
    # A second child's link does not ask again.
    sister = ChatUser(bot, 9402)
    await make_student(e2e_deps, sister.id, "Nila")
    (again,) = await parent.send(f"/start {await _invite(sister)}")
    assert again.startswith("✅ এখন থেকে আপনি দার্স-এ Nila-এর অনুশীলন দেখতে পাবেন")
    assert "কোন ভাষায়" not in again


async def test_a_new_parent_with_a_bengali_client_can_choose_english(
    bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    student = ChatUser(bot, 9403)
    await make_student(e2e_deps, student.id, "Rafi", language="bn")
    parent = ChatUser(bot, 9453, language_code="bn")
    (linked,) = await parent.send(f"/start {await _invite(student)}")
    assert linked.startswith("✅ এখন থেকে আপনি দার্স-এ Rafi-এর অনুশীলন দেখতে পাবেন")
    (welcome,) = await parent.tap("English")
    assert welcome.startswith("👋 Welcome to Dars! You follow: Rafi.")
    assert _menu(bot, parent.id)["summary"] == "Your children's progress"
    assert (await parent.send("/summary"))[0].startswith("📊 Progress over the last 7 days")


async def test_a_student_with_no_other_role_hears_their_student_language(
    bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    bengali = ChatUser(bot, 9404)  # chose বাংলা in Dars; the phone says English
    await make_student(e2e_deps, bengali.id, "Nila", language="bn")
    assert (await bengali.send("/summary"))[0].startswith("আপনি এখনো কোনো")
    assert await bengali.send("/class") == ["এই কমান্ডটি শুধু দার্স-এ নিবন্ধিত শিক্ষকদের জন্য।"]
    assert await bengali.send("/newclass 7B") == ["এই কমান্ডটি শুধু দার্স-এ নিবন্ধিত শিক্ষকদের জন্য।"]
    english = ChatUser(bot, 9405, language_code="bn")
    await make_student(e2e_deps, english.id, "Rafi", language="en")
    assert (await english.send("/summary"))[0].startswith("You don't follow any student yet")
    assert await english.send("/class") == ["This command is for teachers registered with Dars."]


async def test_a_student_choosing_a_language_gets_that_menu_in_their_chat(
    bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    student = ChatUser(bot, 9406)
    await student.send("/start")
    await student.tap("বাংলা")
    menu = _menu(bot, student.id)
    assert menu["practice"] == "আজকের সমস্যা"
    assert "class" not in menu
    # Someone else's chat keeps the default menu.
    assert _menu(bot, 9407) == {}


async def test_a_new_teacher_is_asked_first_and_the_menu_follows(
    bot: BotApiEmulator, e2e_deps: Deps
) -> None:
    await classes.add_teacher(e2e_deps, telegram_id=9460, actor_telegram_id=1, via="test")
    teacher = ChatUser(bot, 9460)
    (question,) = await teacher.send("/class")
    assert question.startswith("Welcome to Dars! 📚 Which language would you like?")
    assert "আপনি কোন ভাষায় বার্তা পেতে চান?" in question
    (welcome,) = await teacher.tap("বাংলা")
    assert welcome.startswith("👋 স্বাগতম, শিক্ষক!")
    menu = _menu(bot, teacher.id)
    assert (menu["class"], menu["newclass"]) == ("আপনার ক্লাস, এই সপ্তাহ", "নতুন ক্লাস তৈরি করুন")
    assert await teacher.send("/class") == [
        "আপনার এখনো কোনো ক্লাস নেই। /newclass নাম পাঠিয়ে একটি তৈরি করুন।"
    ]
    # The 🌐 button under /class switches, and the menu with it.
    await teacher.tap("English")
    assert _menu(bot, teacher.id)["class"] == "Your classes this week"
    (created,) = await teacher.send("/newclass 7B Maths")
    assert created.startswith("🏫 Class “7B Maths” is ready.")


async def test_a_new_teacher_can_choose_english(bot: BotApiEmulator, e2e_deps: Deps) -> None:
    await classes.add_teacher(e2e_deps, telegram_id=9461, actor_telegram_id=1, via="test")
    teacher = ChatUser(bot, 9461, language_code="bn")
    (question,) = await teacher.send("/start")
    assert "Which language would you like?" in question
    (welcome,) = await teacher.tap("English")
    assert welcome.startswith("👋 Hello, teacher!")
    assert _menu(bot, teacher.id)["newclass"] == "Create a class"
    (usage,) = await teacher.send("/newclass")
    assert usage.startswith("Send the class name after the command")
