"""Small helpers shared by the handlers: the use-case dependencies and replying in one place."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

from telegram import BotCommand, BotCommandScopeChat, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, RetryAfter, TelegramError

from bot.context import BotContext
from bot.services import families
from bot.texts import N_, t

# Every handler's context: ``context.deps`` are the use cases' dependencies.
Context = BotContext


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Send a new message to the chat the update came from (once more after a flood wait).

    The answer behind a reply is already committed, so a reply lost to a 429 would leave
    the student without their verdict; Telegram says how long to wait.
    """
    chat = update.effective_chat
    assert chat is not None
    try:
        await chat.send_message(text, reply_markup=markup)
    except RetryAfter as flood:
        await asyncio.sleep(_seconds(flood.retry_after))
        await chat.send_message(text, reply_markup=markup)


def _seconds(retry_after: float | dt.timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, dt.timedelta) else retry_after


async def edit_or_reply(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit the message a button belongs to; fall back to a new message if it cannot be edited."""
    query = update.callback_query
    if query is not None and query.message is not None:
        try:
            await query.edit_message_text(text, reply_markup=markup)
            return
        except BadRequest as exc:
            # Telegram refuses an edit to identical content; the student already sees it.
            if "not modified" in str(exc).lower():
                return
            if "can't be edited" not in str(exc) and "not found" not in str(exc):
                raise
    await reply(update, text, markup)


async def stored_language(update: Update, context: Context) -> str:
    """The language the person chose in Dars (as a student, parent or teacher), else their
    Telegram client's."""
    user = update.effective_user
    if user is None:
        return "en"
    return await families.language_of(
        context.deps, telegram_id=user.id, language_code=user.language_code
    )


# Each role's command menu, in the order the menu shows them.
STUDENT_COMMANDS = ("start", "practice", "progress", "settings", "invite", "summary", "help")
PARENT_COMMANDS = ("summary", "unlink", "help", "delete_my_data")
TEACHER_COMMANDS = ("class", "newclass", "help", "delete_my_data")


async def set_chat_commands(
    update: Update, context: Context, lang: str, *, student: bool, parent: bool, teacher: bool
) -> None:
    """This person's command menu in the language they chose, for their own chat only.

    Clients without a Bengali interface (nearly all in Bangladesh) never show the menu set
    for ``language_code="bn"``; a menu for the chat itself is shown whatever the client.
    """
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return
    names: list[str] = []
    if student:
        names += STUDENT_COMMANDS
    if parent:
        names += PARENT_COMMANDS
    if teacher:
        names += TEACHER_COMMANDS
    commands = [
        BotCommand(name, t(lang, _COMMAND_TEXT.get(name, f"cmd_{name}")))
        for name in dict.fromkeys(names)
    ]
    if not student:
        commands.insert(0, BotCommand("start", t(lang, "cmd_start_adult")))
    # Cosmetic: a failure here must not lose the language just saved.
    with contextlib.suppress(TelegramError):
        await context.bot.set_my_commands(commands, scope=BotCommandScopeChat(chat.id))


async def refresh_commands(update: Update, context: Context, lang: str) -> None:
    """After a language choice: the person's menu, for every role they have, in ``lang``."""
    role = await families.role_of(context.deps, telegram_id=user_id(update), language_code=None)
    await set_chat_commands(
        update,
        context,
        lang,
        student=role.student,
        parent=role.guardian,
        teacher=role.teacher,
    )


# Adults read "আপনি", and a parent's /unlink stops following a child.
_COMMAND_TEXT = {
    "delete_my_data": N_("cmd_delete_my_data_adult"),
    "unlink": N_("cmd_unlink_adult"),
}


def user_language(update: Update) -> str:
    """A guess from the Telegram client, for the rare replies sent before we know the student."""
    code = (update.effective_user.language_code if update.effective_user else None) or ""
    return "bn" if code.startswith("bn") else "en"


def user_id(update: Update) -> int:
    user = update.effective_user
    assert user is not None
    return user.id
