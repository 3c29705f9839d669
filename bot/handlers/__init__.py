"""The handlers of Dars, registered in one ordered list."""

from __future__ import annotations

from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import keyboards
from bot.handlers import misc, onboarding, practice

PRIVATE = filters.ChatType.PRIVATE


def build_handlers() -> list[BaseHandler]:
    """All handlers, in the order they are tried; the catch-alls must come last."""
    return [
        CommandHandler("start", onboarding.on_start, filters=PRIVATE),
        CommandHandler("practice", practice.on_practice, filters=PRIVATE),
        CommandHandler("help", onboarding.on_help, filters=PRIVATE),
        CommandHandler("settings", onboarding.on_settings, filters=PRIVATE),
        CallbackQueryHandler(onboarding.on_language_button, pattern=rf"^{keyboards.LANGUAGE}:"),
        CallbackQueryHandler(onboarding.on_grade_button, pattern=rf"^{keyboards.GRADE}:"),
        CallbackQueryHandler(onboarding.on_name_button, pattern=rf"^{keyboards.NAME}:"),
        CallbackQueryHandler(onboarding.on_settings_button, pattern=rf"^{keyboards.SETTINGS}:"),
        CallbackQueryHandler(practice.on_practice, pattern=rf"^{keyboards.PRACTICE}$"),
        CallbackQueryHandler(practice.on_option_button, pattern=rf"^{keyboards.ANSWER}:"),
        CallbackQueryHandler(practice.on_hint_button, pattern=rf"^{keyboards.HINT}:"),
        CallbackQueryHandler(practice.on_skip_button, pattern=rf"^{keyboards.SKIP}:"),
        # Catch-alls: anything not matched above still gets a friendly answer.
        CallbackQueryHandler(misc.on_unknown_button),
        MessageHandler(PRIVATE & filters.COMMAND, misc.on_unknown_command),
        MessageHandler(PRIVATE & filters.TEXT, practice.on_text),
        MessageHandler(PRIVATE & ~filters.TEXT, misc.on_not_text),
    ]
