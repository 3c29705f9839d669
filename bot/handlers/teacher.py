"""Teachers in chat: create classes, share join links, see the week, post it in a group."""

from __future__ import annotations

from telegram import Update

from bot import keyboards, messages
from bot.handlers import misc
from bot.handlers.common import (
    Context,
    edit_or_reply,
    refresh_commands,
    reply,
    stored_language,
    user_id,
)
from bot.services import classes, families, summaries
from bot.services.classes import ClassInvite, ClassLink
from bot.texts import N_, t, tn


def _language_code(update: Update) -> str | None:
    return update.effective_user.language_code if update.effective_user else None


async def _teacher_language(update: Update, context: Context) -> str | None:
    return await classes.teacher_language(
        context.deps, telegram_id=user_id(update), language_code=_language_code(update)
    )


def _link_text(context: Context, link: ClassLink, key: str) -> str:
    url = f"https://t.me/{context.bot.username}?start={link.payload}"
    return tn(link.lang, key, classes.CLASS_LINK_DAYS, name=link.name, link=url)


async def ask_language_first(update: Update, context: Context) -> bool:
    """A teacher's first contact: ask their language before anything (True if asked)."""
    if not await families.needs_language(context.deps, telegram_id=user_id(update)):
        return False
    await reply(update, t("en", "choose_language_adult"), keyboards.person_language_keyboard())
    return True


async def on_new_class(update: Update, context: Context) -> None:
    """/newclass NAME: a teacher creates a class and gets the link students join with."""
    if await ask_language_first(update, context):
        return
    if await _teacher_language(update, context) is None:
        await reply(update, t(await stored_language(update, context), "teachers_only"))
        return
    name = " ".join(context.args or [])
    link = await classes.create_class(context.deps, telegram_id=user_id(update), name=name)
    if link.kind != "created":
        refused = link.kind == "bad_name" and name.strip()
        await reply(update, t(link.lang, "class_name_refused" if refused else "newclass_usage"))
        return
    await reply(update, _link_text(context, link, N_("class_created")))


async def on_class(update: Update, context: Context) -> None:
    """/class: each of the teacher's classes, one line per student, with new-link buttons."""
    if await ask_language_first(update, context):
        return
    if await _teacher_language(update, context) is None:
        await reply(update, t(await stored_language(update, context), "teachers_only"))
        return
    report = await summaries.teacher_report(context.deps, telegram_id=user_id(update))
    assert report is not None
    markup = keyboards.class_links_keyboard(
        report.lang, [(c.class_id, c.name) for c in report.classes]
    )
    await reply(update, messages.class_text(report), markup)


async def on_language_button(update: Update, context: Context) -> None:
    """The teacher's other language, kept from now on whatever their Telegram client says."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    lang = await classes.switch_teacher_language(context.deps, telegram_id=user_id(update))
    if lang is None:
        await reply(update, t(await stored_language(update, context), "teachers_only"))
        return
    await reply(update, t(lang, "teacher_language_saved"))
    await refresh_commands(update, context, lang)


async def on_class_link_button(update: Update, context: Context) -> None:
    """A fresh join link for one of the teacher's own classes."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    class_id = keyboards.parse_class_link(query.data)
    link = (
        await classes.new_class_link(context.deps, telegram_id=user_id(update), class_id=class_id)
        if class_id is not None
        else None
    )
    if link is None or link.kind == "not_teacher":
        await reply(update, t(await stored_language(update, context), "teachers_only"))
        return
    if link.kind != "created":
        await reply(update, t(link.lang, "class_none"))
        return
    await reply(update, _link_text(context, link, N_("class_link")))


async def show_class_invite(update: Update, context: Context, token: str) -> None:
    """/start c_…: show a student the class and ask for their consent to join."""
    invite = await classes.open_class_link(
        context.deps,
        telegram_id=user_id(update),
        token=token,
        language_code=_language_code(update),
        join=False,
    )
    if invite.kind == "ok":
        await reply(
            update,
            t(invite.lang, "class_join_prompt", name=invite.class_name),
            keyboards.join_class_keyboard(invite.lang, invite.token),
        )
        return
    await reply(update, _invite_text(invite))


def _invite_text(invite: ClassInvite) -> str:
    key = {
        "joined": N_("class_joined"),
        "already_member": N_("class_already_member"),
        "not_student": N_("class_need_student"),
        "expired": N_("class_link_expired"),
        "throttled": N_("link_throttled"),
    }.get(invite.kind, N_("class_link_invalid"))
    return t(invite.lang, key, name=invite.class_name)


async def on_join_button(update: Update, context: Context) -> None:
    """Join: the student's consent; the link's token is checked again before joining."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    token = keyboards.parse_class_join(query.data) or ""
    invite = await classes.open_class_link(
        context.deps,
        telegram_id=user_id(update),
        token=token,
        language_code=_language_code(update),
        join=True,
    )
    await edit_or_reply(update, _invite_text(invite))


async def on_post_summary(update: Update, context: Context) -> None:
    """/postsummary [CLASS] in a group: the class's teacher posts its summary there.

    In groups Telegram's privacy mode still delivers commands, so this works without admin
    rights; everyone else's /postsummary in a group is ignored so the bot does not chatter.
    """
    chat = update.effective_chat
    assert chat is not None
    if chat.type == chat.PRIVATE:
        lang = await _teacher_language(update, context)
        if lang is None:
            await misc.on_unknown_command(update, context)
        else:
            await reply(update, t(lang, "postsummary_private"))
        return
    deps = context.deps
    name = " ".join(context.args or []) or None
    choice = await classes.choose_group_class(
        deps, telegram_id=user_id(update), chat_id=chat.id, name=name
    )
    lang = choice.lang
    if choice.kind == "not_teacher":
        return
    if choice.kind == "no_classes":
        await reply(update, t(lang, "class_none"))
    elif choice.kind == "choose":
        await reply(update, t(lang, "postsummary_choose", names=", ".join(choice.names)))
    elif choice.kind == "not_found":
        await reply(
            update, t(lang, "postsummary_not_found", name=name, names=", ".join(choice.names))
        )
    else:
        report = await summaries.teacher_report(
            deps, telegram_id=user_id(update), class_id=choice.class_id
        )
        assert report is not None
        await reply(update, messages.class_text(report))


async def on_group_migrated(update: Update, context: Context) -> None:
    """A group became a supergroup (new chat id): its classes' summaries follow it there.

    Telegram says so in both chats (``migrate_to_chat_id`` in the old one,
    ``migrate_from_chat_id`` in the new one); either is enough, both are harmless."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id is not None:
        old, new = message.chat_id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id is not None:
        old, new = message.migrate_from_chat_id, message.chat_id
    else:
        return
    await classes.move_group(context.deps, old_chat_id=old, new_chat_id=new)
