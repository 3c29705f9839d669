"""Operator commands: only for OPERATOR_IDS, only in a private chat, each one audited.

Anyone else gets the ordinary unknown-command answer, so the commands do not reveal that
they exist.
"""

from __future__ import annotations

from telegram import Update

from bot import keyboards, messages
from bot.handlers import misc
from bot.handlers.common import Context, edit_or_reply, reply, stored_language, user_id
from bot.handlers.practice import on_unknown_button
from bot.services import classes, costs, stats
from bot.texts import N_, bn_digits, t


def _is_operator(update: Update, context: Context) -> bool:
    chat = update.effective_chat
    return (
        chat is not None
        and chat.type == chat.PRIVATE
        and update.effective_user is not None
        and update.effective_user.id in context.deps.settings.operator_ids
    )


async def on_add_teacher(update: Update, context: Context) -> None:
    """/addteacher TELEGRAM_ID: register a teacher."""
    if not _is_operator(update, context):
        await misc.on_unknown_command(update, context)
        return
    lang = await stored_language(update, context)
    args = context.args or []
    if len(args) != 1 or not args[0].isascii() or not args[0].isdigit() or len(args[0]) > 15:
        await reply(update, t(lang, "addteacher_usage"))
        return
    teacher_id = int(args[0])
    created = await classes.add_teacher(
        context.deps, telegram_id=teacher_id, actor_telegram_id=user_id(update), via="chat"
    )
    # A Telegram id is shown as typed (str), not as a number in Bengali digits.
    await reply(update, t(lang, "addteacher_done" if created else "addteacher_exists", id=args[0]))


async def on_cost(update: Update, context: Context) -> None:
    """/cost: what the language model cost today, this week and this month."""
    if not _is_operator(update, context):
        await misc.on_unknown_command(update, context)
        return
    deps = context.deps
    await stats.record_audit(deps, actor_telegram_id=user_id(update), action="cost")
    spent = await costs.spend_summary(deps.db, now=deps.clock())
    money = {name: f"{amount:.4f}" for name, amount in spent.items()}
    budget = f"{deps.settings.llm_daily_budget_global_usd:.2f}"
    lang = await stored_language(update, context)
    if lang == "bn":
        money = {name: bn_digits(value) for name, value in money.items()}
        budget = bn_digits(budget)
    await reply(update, t(lang, "cost_summary", budget=budget, **money))


async def on_stats(update: Update, context: Context) -> None:
    """/stats: the same numbers as `dars stats`."""
    if not _is_operator(update, context):
        await misc.on_unknown_command(update, context)
        return
    deps = context.deps
    await stats.record_audit(deps, actor_telegram_id=user_id(update), action="stats")
    numbers = await stats.collect_stats(deps)
    await reply(update, messages.stats_text(numbers, await stored_language(update, context)))


def _teacher_id_arg(text: str) -> int | None:
    if not text.isascii() or not text.isdigit() or len(text) > 15:
        return None
    return int(text)


async def on_teachers(update: Update, context: Context) -> None:
    """/teachers: every teacher with their class and student counts, and remove buttons;
    /teachers remove TELEGRAM_ID asks before removing (the buttons' confirmation)."""
    if not _is_operator(update, context):
        await misc.on_unknown_command(update, context)
        return
    lang = await stored_language(update, context)
    args = context.args or []
    if args and args[0].lower() == "remove" and len(args) == 2:
        teacher_id = _teacher_id_arg(args[1])
        if teacher_id is not None:
            await _ask_remove(update, context, teacher_id, lang)
            return
    if args:
        await reply(update, t(lang, "teachers_usage"))
        return
    await stats.record_audit(context.deps, actor_telegram_id=user_id(update), action="teachers")
    teachers = await classes.list_teachers(context.deps)
    if not teachers:
        await reply(update, t(lang, "teachers_none"))
        return
    lines = [t(lang, "teachers_header", count=len(teachers))]
    lines += [
        t(lang, "teachers_line", id=str(x.telegram_id), classes=x.classes, students=x.students)
        for x in teachers
    ]
    lines += ["", t(lang, "teachers_footer")]
    markup = keyboards.teachers_keyboard(lang, [x.telegram_id for x in teachers])
    await reply(update, "\n".join(lines), markup)


async def _ask_remove(update: Update, context: Context, teacher_id: int, lang: str) -> None:
    found = [x for x in await classes.list_teachers(context.deps) if x.telegram_id == teacher_id]
    if not found:
        await edit_or_reply(update, t(lang, "teachers_not_found", id=str(teacher_id)))
        return
    text = t(
        lang,
        "teachers_confirm",
        id=str(teacher_id),
        classes=found[0].classes,
        students=found[0].students,
    )
    await edit_or_reply(update, text, keyboards.teacher_remove_keyboard(lang, teacher_id))


async def on_teacher_remove_button(update: Update, context: Context) -> None:
    """A remove button under /teachers: ask for a confirming tap (the data can be forged, so
    the operator is checked again)."""
    query = update.callback_query
    assert query is not None
    if not _is_operator(update, context):
        await on_unknown_button(update, context)
        return
    await query.answer()
    teacher_id = keyboards.parse_teacher_button(query.data)
    if teacher_id is not None:
        await _ask_remove(update, context, teacher_id, await stored_language(update, context))


async def on_teacher_remove_confirmed(update: Update, context: Context) -> None:
    """ "Yes, remove": the teacher goes, with their classes; audited."""
    query = update.callback_query
    assert query is not None
    if not _is_operator(update, context):
        await on_unknown_button(update, context)
        return
    await query.answer()
    teacher_id = keyboards.parse_teacher_button(query.data)
    if teacher_id is None:
        return
    result = await classes.remove_teacher(
        context.deps,
        telegram_id=teacher_id,
        force=True,
        actor_telegram_id=user_id(update),
        via="chat",
    )
    key = N_("teachers_removed") if result.kind == "removed" else N_("teachers_not_found")
    await edit_or_reply(update, t(await stored_language(update, context), key, id=str(teacher_id)))
