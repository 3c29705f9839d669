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
from bot.handlers import family, misc, onboarding, operator, placement, practice, teacher

# New messages only: an edited old message has a new update id but is not a new answer.
PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
EDITED = filters.ChatType.PRIVATE & filters.UpdateType.EDITED_MESSAGE
# /start with a parent (p_) or class (c_) payload: what a deep link t.me/<bot>?start=… sends.
DEEP_LINK = filters.Regex(r"^/start(?:@\w+)?\s+[pc]_")


def build_handlers() -> list[BaseHandler]:
    """All handlers, in the order they are tried; the catch-alls must come last."""
    return [
        # Deep links first: the plain /start handler below would take them as a student's.
        CommandHandler("start", family.on_start_link, filters=PRIVATE & DEEP_LINK),
        CommandHandler("start", onboarding.on_start, filters=PRIVATE),
        CommandHandler("practice", practice.on_practice, filters=PRIVATE),
        CommandHandler("progress", practice.on_progress, filters=PRIVATE),
        CommandHandler("help", onboarding.on_help, filters=PRIVATE),
        CommandHandler("settings", onboarding.on_settings, filters=PRIVATE),
        CommandHandler("invite", family.on_invite, filters=PRIVATE),
        CommandHandler("summary", family.on_summary, filters=PRIVATE),
        CommandHandler("unlink", family.on_unlink, filters=PRIVATE),
        CommandHandler("delete_my_data", family.on_delete_my_data, filters=PRIVATE),
        CommandHandler("newclass", teacher.on_new_class, filters=PRIVATE),
        CommandHandler("class", teacher.on_class, filters=PRIVATE),
        # A group turned into a supergroup: its classes follow it to the new chat id.
        MessageHandler(filters.StatusUpdate.MIGRATE, teacher.on_group_migrated),
        # The one command meant for group chats (a teacher posts the class summary there).
        CommandHandler("postsummary", teacher.on_post_summary, filters=filters.UpdateType.MESSAGE),
        # Operator commands answer everyone else like unknown commands, and stay silent in groups.
        CommandHandler("addteacher", operator.on_add_teacher, filters=PRIVATE),
        CommandHandler("stats", operator.on_stats, filters=PRIVATE),
        CommandHandler("cost", operator.on_cost, filters=PRIVATE),
        CommandHandler("teachers", operator.on_teachers, filters=PRIVATE),
        CallbackQueryHandler(
            operator.on_teacher_remove_button, pattern=rf"^{keyboards.TEACHER_REMOVE}:"
        ),
        CallbackQueryHandler(
            operator.on_teacher_remove_confirmed, pattern=rf"^{keyboards.TEACHER_REMOVE_OK}:"
        ),
        CallbackQueryHandler(onboarding.on_language_button, pattern=rf"^{keyboards.LANGUAGE}:"),
        CallbackQueryHandler(onboarding.on_grade_button, pattern=rf"^{keyboards.GRADE}:"),
        CallbackQueryHandler(onboarding.on_name_button, pattern=rf"^{keyboards.NAME}:"),
        CallbackQueryHandler(onboarding.on_settings_button, pattern=rf"^{keyboards.SETTINGS}:"),
        CallbackQueryHandler(practice.on_practice, pattern=rf"^{keyboards.PRACTICE}$"),
        CallbackQueryHandler(practice.on_more_button, pattern=rf"^{keyboards.MORE}$"),
        CallbackQueryHandler(
            onboarding.on_reminder_button, pattern=rf"^{keyboards.REMINDER}:\d{{4}}$"
        ),
        CallbackQueryHandler(
            placement.on_placement_button, pattern=rf"^{placement.PLACEMENT}:(go|skip)$"
        ),
        CallbackQueryHandler(practice.on_option_button, pattern=rf"^{keyboards.ANSWER}:"),
        CallbackQueryHandler(practice.on_hint_button, pattern=rf"^{keyboards.HINT}:"),
        CallbackQueryHandler(practice.on_skip_button, pattern=rf"^{keyboards.SKIP}:"),
        CallbackQueryHandler(
            family.on_person_language_button, pattern=rf"^{keyboards.PERSON_LANGUAGE}:"
        ),
        CallbackQueryHandler(family.on_unlink_button, pattern=rf"^{keyboards.UNLINK}:"),
        CallbackQueryHandler(
            family.on_parent_setting_button, pattern=rf"^{keyboards.PARENT_SETTING}:"
        ),
        CallbackQueryHandler(family.on_delete_button, pattern=rf"^{keyboards.DELETE}:yes$"),
        CallbackQueryHandler(family.on_cancel_button, pattern=rf"^{keyboards.CANCEL}$"),
        CallbackQueryHandler(teacher.on_join_button, pattern=rf"^{keyboards.CLASS_JOIN}:"),
        CallbackQueryHandler(teacher.on_class_link_button, pattern=rf"^{keyboards.CLASS_LINK}:"),
        CallbackQueryHandler(
            teacher.on_language_button, pattern=rf"^{keyboards.TEACHER_LANGUAGE}$"
        ),
        # Catch-alls: anything not matched above still gets a friendly answer.
        MessageHandler(EDITED, misc.on_edited_message),
        CallbackQueryHandler(practice.on_unknown_button),
        MessageHandler(PRIVATE & filters.COMMAND, misc.on_unknown_command),
        MessageHandler(PRIVATE & filters.TEXT, practice.on_text),
        MessageHandler(PRIVATE & ~filters.TEXT, misc.on_not_text),
    ]
