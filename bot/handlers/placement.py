"""The placement check in chat: offered after onboarding and from /settings, skippable."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import keyboards, messages
from bot.handlers.common import Context, edit_or_reply, reply, user_id
from bot.services import placement
from bot.services.placement import PlacementOutcome
from bot.texts import t

PLACEMENT = "pl"  # callback data: pl:go (start or start again), pl:skip


def offer_keyboard(lang: str) -> InlineKeyboardMarkup:
    """Practise now, or take the check first (or say not now)."""
    practice = keyboards.practice_keyboard(lang).inline_keyboard
    return InlineKeyboardMarkup([*practice, *choice_rows(lang)])


def choice_rows(lang: str) -> list[list[InlineKeyboardButton]]:
    return [
        [
            InlineKeyboardButton(
                t(lang, "placement_start_button"), callback_data=f"{PLACEMENT}:go"
            ),
            InlineKeyboardButton(
                t(lang, "placement_skip_button"), callback_data=f"{PLACEMENT}:skip"
            ),
        ]
    ]


def skip_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(lang, "placement_skip_button"), callback_data=f"{PLACEMENT}:skip"
                )
            ]
        ]
    )


async def on_placement_button(update: Update, context: Context) -> None:
    """📝 Take the check / ⏭ Not now."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    if query.data == f"{PLACEMENT}:skip":
        outcome = await placement.skip(context.deps, telegram_id=user_id(update))
    else:
        outcome = await placement.start(context.deps, telegram_id=user_id(update))
    await show_placement(update, context, outcome, edit=True)


async def on_placement_answer(update: Update, context: Context, text: str) -> None:
    """A typed answer while the check is on."""
    outcome = await placement.answer(
        context.deps, telegram_id=user_id(update), text=text, update_id=update.update_id
    )
    await show_placement(update, context, outcome)


async def show_placement(
    update: Update, context: Context, outcome: PlacementOutcome, *, edit: bool = False
) -> None:
    lang = outcome.lang
    if outcome.kind == "duplicate":
        return
    if outcome.kind == "not_onboarded":
        from bot.handlers.onboarding import on_start

        await on_start(update, context)
        return
    text, markup = messages.placement_message(outcome)
    if outcome.kind == "problem":
        markup = skip_keyboard(lang)
    elif outcome.kind in ("done", "skipped", "no_problems"):
        markup = keyboards.practice_keyboard(lang)
    if edit:
        await edit_or_reply(update, text, markup)
    else:
        await reply(update, text, markup)
