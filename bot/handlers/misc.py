"""Everything else a child might send: unknown commands, stickers, photos, old buttons; errors."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError

from bot.handlers.common import Context, reply, stored_language, user_language
from bot.texts import t

logger = logging.getLogger(__name__)


async def on_unknown_command(update: Update, context: Context) -> None:
    """A command Dars does not have."""
    await reply(update, t(await stored_language(update, context), "unknown_command"))


async def on_not_text(update: Update, context: Context) -> None:
    """Stickers, photos, voice notes and the like: ask for a typed answer."""
    await reply(update, t(await stored_language(update, context), "not_text"))


async def on_edited_message(update: Update, context: Context) -> None:
    """An edited old message: never graded again; ask for a new message instead."""
    await reply(update, t(await stored_language(update, context), "edited_message"))


async def on_error(update: object, context: Context) -> None:
    """Log the failure and tell the student, in their language, that nothing was lost."""
    logger.error("update %s failed", getattr(update, "update_id", "?"), exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.callback_query is not None:
        # The handler may have answered the query already; a second answer is refused.
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    try:
        lang = await stored_language(update, context)
    except Exception:  # the database may be the very thing that failed
        lang = user_language(update)
    try:
        await update.effective_chat.send_message(t(lang, "error"))
    except TelegramError:  # so may the network
        logger.warning("could not tell the user about the error", exc_info=True)
