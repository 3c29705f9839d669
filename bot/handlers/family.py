"""Parents in chat: invite links, opening them, summaries, unlinking; deleting one's data."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden

from bot import keyboards, messages
from bot.handlers.common import (
    Context,
    edit_or_reply,
    refresh_commands,
    reply,
    stored_language,
    user_id,
)
from bot.handlers.teacher import ask_language_first, show_class_invite
from bot.services import families, privacy, summaries
from bot.texts import N_, t, tn

logger = logging.getLogger(__name__)


def _language_code(update: Update) -> str | None:
    return update.effective_user.language_code if update.effective_user else None


def _link(context: Context, payload: str) -> str:
    return f"https://t.me/{context.bot.username}?start={payload}"


async def on_invite(update: Update, context: Context) -> None:
    """/invite: a student gets a one-time link to send to a parent."""
    deps = context.deps
    invite = await families.create_parent_invite(deps, telegram_id=user_id(update))
    if invite is None:
        await reply(update, t(await stored_language(update, context), "finish_onboarding"))
        return
    await reply(
        update,
        tn(
            invite.lang,
            "invite_link",
            deps.settings.invite_ttl_hours,
            link=_link(context, invite.payload),
        ),
    )


async def on_start_link(update: Update, context: Context) -> None:
    """/start p_… or c_… (a deep link): link a parent, or offer a student a class to join."""
    payload = context.args[0] if context.args else ""
    token = payload[2:]
    if payload.startswith(families.CLASS_PREFIX):
        await show_class_invite(update, context, token)
        return
    outcome = await families.redeem_parent_invite(
        context.deps,
        telegram_id=user_id(update),
        token=token,
        language_code=_language_code(update),
    )
    lang = outcome.lang
    if outcome.kind == "linked":
        linked = t(lang, "parent_linked", name=outcome.child_name)
        if outcome.ask_language:
            # A new parent: which language from now on? (Their client's is only a guess.)
            question = t(lang, "choose_language_adult")
            await reply(update, f"{linked}\n\n{question}", keyboards.person_language_keyboard())
        else:
            await reply(update, linked)
        assert outcome.child_telegram_id is not None
        await _tell_child(context, outcome.child_telegram_id, outcome.child_lang)
        return
    key = {
        "already_linked": N_("parent_already_linked"),
        "used": N_("link_used"),
        "expired": N_("link_expired"),
        "throttled": N_("link_throttled"),
        "own_link": N_("link_own"),
    }.get(outcome.kind, N_("link_invalid"))
    await reply(update, t(lang, key, name=outcome.child_name))


async def _tell_child(context: Context, chat_id: int, lang: str) -> None:
    try:
        await context.bot.send_message(chat_id, t(lang, "student_parent_linked"))
    except (Forbidden, BadRequest):
        # The student blocked the bot or their chat is gone; the link itself still holds.
        logger.info("could not tell a student that a parent linked")


async def greet_non_student(update: Update, context: Context) -> bool:
    """Plain /start from a parent or teacher who is not a student: greet them in their role.

    Returns False for everyone else, who goes on to the student's /start.
    """
    role = await families.role_of(
        context.deps, telegram_id=user_id(update), language_code=_language_code(update)
    )
    if role.student or not (role.guardian or role.teacher):
        return False
    if await ask_language_first(update, context):
        return True
    await reply(update, _welcome(role))
    return True


def _welcome(role: families.Role) -> str:
    """A parent's and/or teacher's greeting, in their language."""
    lines = []
    if role.guardian:
        lines.append(
            t(role.lang, "parent_welcome", names=", ".join(role.children))
            if role.children
            else t(role.lang, "summary_no_children")
        )
    if role.teacher:
        lines.append(t(role.lang, "teacher_welcome"))
    return "\n\n".join(lines)


async def on_person_language_button(update: Update, context: Context) -> None:
    """A parent or teacher chose their language: greet them in it, menu included."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    language = keyboards.parse_person_language(query.data)
    deps = context.deps
    role = (
        await families.choose_language(deps, telegram_id=user_id(update), language=language)
        if language
        else None
    )
    if role is None:
        await edit_or_reply(update, t(await stored_language(update, context), "cancelled"))
        return
    await edit_or_reply(update, _welcome(role))
    await refresh_commands(update, context, role.lang)


async def on_summary(update: Update, context: Context) -> None:
    """/summary: a parent sees each linked child's last seven days."""
    report = await summaries.parent_report(context.deps, telegram_id=user_id(update), asked=True)
    if report is None or not report.children:
        lang = report.lang if report else await stored_language(update, context)
        await reply(update, t(lang, "summary_no_children"))
        return
    await reply(update, messages.parent_text(report))
    await reply(
        update,
        messages.parent_settings_text(report.lang, weekly=report.weekly, daily=report.daily),
        keyboards.parent_settings_keyboard(report.lang, weekly=report.weekly, daily=report.daily),
    )


async def on_parent_setting_button(update: Update, context: Context) -> None:
    """Weekly/daily summary on or off, or the other language, for a parent."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    setting = keyboards.parse_parent_setting(query.data)
    changed = (
        await families.change_parent_setting(
            context.deps, telegram_id=user_id(update), setting=setting
        )
        if setting
        else None
    )
    if changed is None:
        await reply(update, t(await stored_language(update, context), "summary_no_children"))
        return
    lang = changed.lang
    if setting == "lang":
        await refresh_commands(update, context, lang)
    await edit_or_reply(
        update,
        messages.parent_settings_text(lang, weekly=changed.weekly, daily=changed.daily),
        keyboards.parent_settings_keyboard(lang, weekly=changed.weekly, daily=changed.daily),
    )


async def on_unlink(update: Update, context: Context) -> None:
    """/unlink: a student removes their parents; a parent stops following a child."""
    menu = await families.unlink_menu(
        context.deps, telegram_id=user_id(update), language_code=_language_code(update)
    )
    lang = menu.lang
    if not menu.parents and not menu.children:
        await reply(update, t(lang, "unlink_nothing"))
        return
    if menu.parents:
        await reply(
            update,
            tn(lang, "unlink_student_confirm", menu.parents),
            keyboards.unlink_parents_keyboard(lang),
        )
    if menu.children:
        await reply(
            update,
            t(lang, "unlink_choose_child"),
            keyboards.unlink_children_keyboard(lang, menu.children),
        )


async def on_unlink_button(update: Update, context: Context) -> None:
    """Confirm unlinking all parents, or unlink the chosen child (only one's own links)."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    outcome = await families.unlink(
        context.deps,
        telegram_id=user_id(update),
        choice=keyboards.parse_unlink(query.data),
        language_code=_language_code(update),
    )
    key = {
        "parents": N_("unlink_done_student"),
        "child": N_("unlink_done_parent"),
        "nothing": N_("unlink_nothing"),
    }.get(outcome.kind, N_("unlink_not_linked"))
    await edit_or_reply(update, t(outcome.lang, key, name=outcome.name))


async def on_cancel_button(update: Update, context: Context) -> None:
    """Cancel on a confirmation: nothing changes."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    holdings = await privacy.holdings(
        context.deps, telegram_id=user_id(update), language_code=_language_code(update)
    )
    await edit_or_reply(update, t(holdings.lang, "cancelled"))


async def on_delete_my_data(update: Update, context: Context) -> None:
    """/delete_my_data: say what would be deleted and ask for a confirming tap."""
    holdings = await privacy.holdings(
        context.deps, telegram_id=user_id(update), language_code=_language_code(update)
    )
    lang = holdings.lang
    if not holdings.anything:
        await reply(update, t(lang, "delete_nothing"))
        return
    key = (
        N_("delete_confirm_student")
        if holdings.student
        else N_("delete_confirm_parent")
        if holdings.guardian
        else N_("delete_confirm_teacher")
    )
    await reply(update, t(lang, key), keyboards.delete_keyboard(lang))


async def on_delete_button(update: Update, context: Context) -> None:
    """The confirming tap: delete the caller's data and say so in their language."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    done = await privacy.delete_my_data(
        context.deps, telegram_id=user_id(update), language_code=_language_code(update)
    )
    if not done.anything:
        await edit_or_reply(update, t(done.lang, "delete_nothing"))
        return
    # Parents and teachers hear the same words.
    await edit_or_reply(
        update, t(done.lang, "delete_done_student" if done.student else "delete_done_parent")
    )
