"""Start, help and settings: who the student is and how they want to learn."""

from __future__ import annotations

import datetime as dt

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import keyboards, messages
from bot.handlers import family
from bot.handlers import placement as placement_handlers
from bot.handlers.common import (
    Context,
    edit_or_reply,
    reply,
    set_chat_commands,
    stored_language,
    user_id,
)
from bot.services import students
from bot.services.deps import Deps
from bot.services.placement import MAX_PROBLEMS
from bot.services.students import Profile
from bot.texts import N_, bn_digits, grade_name, t, tn


async def prompt_next_step(update: Update, profile: Profile) -> None:
    """Ask for whatever onboarding still needs (language, then class)."""
    lang = profile.language
    if profile.awaiting == "language":
        await reply(update, t(lang, "choose_language"), keyboards.language_keyboard())
    else:
        await reply(update, t(lang, "choose_grade"), keyboards.grade_keyboard(lang))


async def on_start(update: Update, context: Context) -> None:
    """/start: greet a returning student, or begin onboarding a new one."""
    user = update.effective_user
    assert user is not None
    # Parents and teachers who are not students are greeted in their role, not onboarded.
    if await family.greet_non_student(update, context):
        return
    profile, _created = await students.start(
        context.deps,
        telegram_id=user.id,
        first_name=user.first_name,
        language_code=user.language_code,
    )
    if not profile.onboarded:
        await prompt_next_step(update, profile)
        return
    lang = profile.language
    await reply(
        update,
        tn(lang, "welcome_back", profile.streak_current, name=profile.name),
        keyboards.practice_keyboard(lang),
    )


async def on_help(update: Update, context: Context) -> None:
    """/help: what Dars does and every command, in the student's language."""
    await reply(update, t(await stored_language(update, context), "help"))


async def on_settings(update: Update, context: Context) -> None:
    """/settings: show the student's settings with buttons to change them."""
    profile = await students.get_profile(context.deps, telegram_id=user_id(update))
    if profile is None or not profile.onboarded:
        await on_start(update, context)
        return
    lang = profile.language
    rows = [
        *keyboards.settings_keyboard(lang).inline_keyboard,
        [
            InlineKeyboardButton(
                t(lang, "set_placement_button"), callback_data=f"{placement_handlers.PLACEMENT}:go"
            )
        ],
    ]
    await reply(update, settings_text(profile), InlineKeyboardMarkup(rows))


def settings_text(profile: Profile) -> str:
    lang = profile.language
    reminder = (
        profile.reminder_time.strftime("%H:%M")
        if profile.reminder_time
        else t(lang, "reminder_off")
    )
    return t(
        lang,
        "settings",
        name=profile.name,
        grade=grade_name(lang, profile.grade),
        reminder=bn_digits(reminder) if lang == "bn" else reminder,
    )


async def on_language_button(update: Update, context: Context) -> None:
    """A language button: switch language, then go on with onboarding if needed."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    callback = keyboards.parse_callback(query.data)
    language = callback.arg if callback else None
    profile = await students.set_language(
        context.deps, telegram_id=user_id(update), language=language or ""
    )
    if profile is None:
        await on_start(update, context)
        return
    lang = profile.language
    if not profile.onboarded:
        await edit_or_reply(update, t(lang, "choose_grade"), keyboards.grade_keyboard(lang))
    else:
        await edit_or_reply(update, t(lang, "saved"))
    await set_chat_commands(update, context, lang, student=True, parent=False, teacher=False)


async def on_grade_button(update: Update, context: Context) -> None:
    """A class button: save the class; a new student then confirms their name."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    callback = keyboards.parse_callback(query.data)
    grade = int(callback.arg) if callback and callback.arg and callback.arg.isdigit() else 0
    result = await students.set_grade(context.deps, telegram_id=user_id(update), grade=grade)
    if result is None:
        await on_start(update, context)
        return
    profile, first_time = result
    lang = profile.language
    if first_time:
        await edit_or_reply(
            update,
            t(lang, "confirm_name", name=profile.name),
            keyboards.name_keyboard(lang, profile.name),
        )
    else:
        await edit_or_reply(update, t(lang, "saved"))


async def on_name_button(update: Update, context: Context) -> None:
    """Keep the Telegram name, or ask for another one."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    callback = keyboards.parse_callback(query.data)
    deps = context.deps
    if callback is not None and callback.arg == "change":
        profile = await students.await_input(deps, telegram_id=user_id(update), what="name")
        if profile is not None:
            await edit_or_reply(update, t(profile.language, "ask_name"))
        return
    profile = await students.get_profile(deps, telegram_id=user_id(update))
    if profile is None or not profile.onboarded:
        await on_start(update, context)
        return
    await edit_or_reply(update, *onboarded_message(deps, profile))


async def on_settings_button(update: Update, context: Context) -> None:
    """A settings button: offer the choices for language or class, or ask for a name or time."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    callback = keyboards.parse_callback(query.data)
    deps = context.deps
    profile = await students.get_profile(deps, telegram_id=user_id(update))
    if profile is None or callback is None:
        await on_start(update, context)
        return
    lang = profile.language
    if callback.arg == "lang":
        await edit_or_reply(update, t(lang, "choose_language"), keyboards.language_keyboard())
    elif callback.arg == "grade":
        await edit_or_reply(update, t(lang, "choose_grade"), keyboards.grade_keyboard(lang))
    elif callback.arg in ("name", "rem"):
        what = "name" if callback.arg == "name" else "reminder"
        await students.await_input(deps, telegram_id=user_id(update), what=what)
        await edit_or_reply(update, t(lang, "ask_name" if what == "name" else "ask_reminder"))


def onboarded_message(deps: Deps, profile: Profile) -> tuple[str, InlineKeyboardMarkup]:
    """All set: practise now, or first the placement check (or not now)."""
    lang = profile.language
    text = tn(lang, "onboarded", deps.settings.problems_per_session, name=profile.name)
    offer = tn(lang, "placement_offer", MAX_PROBLEMS)
    return f"{text}\n\n{offer}", placement_handlers.offer_keyboard(lang)


def _reminder_saved_text(profile: Profile) -> str:
    lang = profile.language
    if profile.reminder_time is None:
        return t(lang, "reminder_disabled")
    time = profile.reminder_time.strftime("%H:%M")
    return t(lang, "reminder_set", time=bn_digits(time) if lang == "bn" else time)


async def on_reminder_button(update: Update, context: Context) -> None:
    """The morning or evening reading of a reminder time sent without am or pm."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    callback = keyboards.parse_callback(query.data)
    arg = callback.arg if callback and callback.arg else ""
    hour, minute = int(arg[:2] or 99), int(arg[2:] or 99)
    if hour > 23 or minute > 59:
        return  # forged: the pattern allows only four digits
    profile = await students.choose_reminder(
        context.deps, telegram_id=user_id(update), time=dt.time(hour, minute)
    )
    if profile is None:
        await on_start(update, context)
        return
    await edit_or_reply(update, _reminder_saved_text(profile))


async def on_requested_input(update: Update, context: Context, text: str) -> None:
    """Text the student typed after we asked for their name or a reminder time."""
    deps = context.deps
    outcome = await students.receive_input(deps, telegram_id=user_id(update), text=text)
    profile = outcome.profile
    if profile is None:
        return
    lang = profile.language
    if outcome.kind == "bad_name":
        key = {"link": N_("name_refused_link"), "letters": N_("name_refused_letters")}.get(
            outcome.name_problem or "", N_("bad_name")
        )
        await reply(update, t(lang, key))
    elif outcome.kind == "bad_reminder":
        await reply(update, t(lang, "bad_reminder_12h"))
    elif outcome.kind == "other_digits":
        await reply(update, t(lang, "other_digits"))
    elif outcome.kind == "reminder_ambiguous":
        # "৭:৩০": evening or morning? Asked back in words, answered with one tap.
        assert outcome.reminder is not None
        hour, minute = outcome.reminder.hour, outcome.reminder.minute
        evening = messages.time_in_words(lang, hour + 12, minute)
        morning = messages.time_in_words(lang, hour, minute)
        question = t(lang, "reminder_which", evening=evening, morning=morning)
        markup = keyboards.reminder_choice_keyboard(hour, minute, (evening, morning))
        await reply(update, question, markup)
    elif outcome.kind == "reminder_saved":
        await reply(update, _reminder_saved_text(profile))
    elif outcome.kind == "name_saved":
        await reply(update, *onboarded_message(deps, profile))
