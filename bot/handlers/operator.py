"""Operator commands: only for OPERATOR_IDS, only in a private chat, each one audited.

Anyone else gets the ordinary unknown-command answer, so the commands do not reveal that
they exist.
"""

from __future__ import annotations

from telegram import Update

from bot import messages
from bot.handlers import misc
from bot.handlers.common import Context, reply, user_id, user_language
from bot.services import classes, costs, stats
from bot.texts import bn_digits, t


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
    lang = user_language(update)
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
    lang = user_language(update)
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
    await reply(update, messages.stats_text(numbers, user_language(update)))
