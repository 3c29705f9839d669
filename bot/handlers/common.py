"""Small helpers shared by the handlers: the use-case dependencies and replying in one place."""

from __future__ import annotations

import asyncio
import datetime as dt

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest, RetryAfter

from bot.context import BotContext
from bot.services import students

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
    """The language the person chose in Dars, else their Telegram client's."""
    user = update.effective_user
    if user is None:
        return "en"
    profile = await students.get_profile(context.deps, telegram_id=user.id)
    return profile.language if profile else user_language(update)


def user_language(update: Update) -> str:
    """A guess from the Telegram client, for the rare replies sent before we know the student."""
    code = (update.effective_user.language_code if update.effective_user else None) or ""
    return "bn" if code.startswith("bn") else "en"


def user_id(update: Update) -> int:
    user = update.effective_user
    assert user is not None
    return user.id
