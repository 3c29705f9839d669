"""Practice in chat: start the day's session, answer by typing or tapping, hints and skips."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError

from bot import keyboards, messages
from bot.handlers.common import (
    Context,
    edit_or_reply,
    reply,
    stored_language,
    user_id,
)
from bot.handlers.onboarding import on_requested_input, on_start
from bot.handlers.placement import on_placement_answer
from bot.services import practice, progress
from bot.services.practice import AnswerOutcome, PracticeOutcome
from bot.serving import metrics
from bot.texts import N_, grade_name, t, tn

MAX_ANSWER_LENGTH = 300


async def on_practice(update: Update, context: Context) -> None:
    """/practice or the Practice button: show today's current problem."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    outcome = await practice.start_practice(context.deps, telegram_id=user_id(update))
    await show_practice(update, context, outcome)


async def on_more_button(update: Update, context: Context) -> None:
    """More practice: another set after today's session (or the unfinished one, if any)."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    outcome = await practice.start_practice(context.deps, telegram_id=user_id(update), more=True)
    await show_practice(update, context, outcome)


async def on_progress(update: Update, context: Context) -> None:
    """/progress: the student's mastery of each topic of their class, streak and what's next."""
    outcome = await progress.student_progress(context.deps, telegram_id=user_id(update))
    if outcome.kind == "not_onboarded":
        await reply(update, t(outcome.lang, "finish_onboarding"))
        await on_start(update, context)
        return
    await reply(update, messages.progress_text(outcome))


async def show_practice(update: Update, context: Context, outcome: PracticeOutcome) -> None:
    lang = outcome.lang
    if outcome.kind == "not_onboarded":
        await reply(update, t(lang, "finish_onboarding"))
        await on_start(update, context)
    elif outcome.kind == "no_problems":
        await reply(update, t(lang, "no_problems", grade=grade_name(lang, outcome.grade)))
    elif outcome.kind == "done":
        assert outcome.summary is not None
        await reply(update, *messages.today_done_message(outcome.summary, lang))
    else:
        assert outcome.problem is not None
        text, markup = messages.problem_message(outcome.problem, lang)
        notes = []
        if outcome.resumed:
            notes.append(t(lang, "resuming"))
        if outcome.short_of is not None:
            notes.append(tn(lang, "short_session", outcome.short_of))
        if notes:
            text = "\n".join(notes) + "\n\n" + text
        await reply(update, text, markup)


async def on_text(update: Update, context: Context) -> None:
    """A typed message: usually an answer to the current problem."""
    message = update.effective_message
    assert message is not None and message.text is not None
    text = message.text
    deps = context.deps
    if len(text) > MAX_ANSWER_LENGTH:
        await reply(update, t(await stored_language(update, context), "too_long"))
        return
    outcome = await practice.submit_answer(
        deps,
        telegram_id=user_id(update),
        answer=text,
        update_id=update.update_id,
        on_model_call=_typing(update),
    )
    if outcome.kind == "awaiting_input":
        await on_requested_input(update, context, text)
        return
    if outcome.kind == "placing":
        await on_placement_answer(update, context, text)
        return
    await show_answer(update, context, outcome)


async def show_answer(update: Update, context: Context, outcome: AnswerOutcome) -> None:
    """Tell the student how their answer went, together with the next problem."""
    lang = outcome.lang
    kind = outcome.kind
    metrics.ANSWERS.labels(kind).inc()
    if kind == "duplicate":
        return  # the first copy of this update already answered
    if kind == "not_onboarded":
        await reply(update, t(lang, "finish_onboarding"))
        await on_start(update, context)
    elif kind == "no_session":
        await reply(update, t(lang, "no_session"), keyboards.practice_keyboard(lang))
    elif kind == "done_today":
        assert outcome.summary is not None
        await reply(update, *messages.today_done_message(outcome.summary, lang))
    elif kind == "other_digits":
        await reply(update, t(lang, "other_digits"), _buttons(outcome))
    elif kind == "unreadable":
        expect = messages.expect_text(outcome.card, lang)
        await reply(update, t(lang, "unreadable", expect=expect), _buttons(outcome))
    elif kind == "needs_form":
        await reply(update, messages.needs_form_text(outcome), _buttons(outcome))
    elif kind == "stale":
        await reply(update, t(lang, "stale_button"))
        if outcome.current is not None:
            await reply(update, *messages.problem_message(outcome.current, lang))
    else:
        text = messages.verdict_message(outcome)
        markup = _buttons(outcome)
        if outcome.next_problem is not None:
            problem_text, markup = messages.problem_message(outcome.next_problem, lang)
            text = f"{text}\n\n{problem_text}"
        elif outcome.summary is not None:
            markup = keyboards.more_practice_keyboard(lang)
        await reply(update, text, markup)


def _buttons(outcome: AnswerOutcome) -> InlineKeyboardMarkup | None:
    """The current problem's buttons (Hint, Skip, options) under a reply about it."""
    if outcome.current is None:
        return None
    return keyboards.problem_keyboard(outcome.current, outcome.lang)


async def _step_button(
    update: Update, context: Context
) -> tuple[CallbackQuery, int, int, int | None] | None:
    """A step button's query, session id, position and extra; None (and a note) if forged."""
    query = update.callback_query
    assert query is not None
    callback = keyboards.parse_callback(query.data)
    if callback is None or callback.session_id is None or callback.position is None:
        await query.answer()
        await _stale(update, context)
        return None
    return query, callback.session_id, callback.position, callback.extra


async def on_option_button(update: Update, context: Context) -> None:
    """A multiple-choice option was tapped."""
    step = await _step_button(update, context)
    if step is None:
        return
    query, session_id, position, extra = step
    await query.answer()
    option = extra if extra is not None else 9
    outcome = await practice.submit_answer(
        context.deps,
        telegram_id=user_id(update),
        answer="ABCD"[option] if option < 4 else "?",
        choice=option,
        update_id=update.update_id,
        session_id=session_id,
        position=position,
    )
    await show_answer(update, context, outcome)


async def on_skip_button(update: Update, context: Context) -> None:
    """Skip: first ask to be sure; confirmed, record it, show the answer and move on."""
    step = await _step_button(update, context)
    if step is None:
        return
    query, session_id, position, confirmed = step
    await query.answer()
    if confirmed != keyboards.SKIP_CONFIRMED:
        lang = await stored_language(update, context)
        await reply(
            update,
            t(lang, "skip_confirm"),
            keyboards.skip_confirm_keyboard(session_id, position, lang),
        )
        return
    outcome = await practice.skip_problem(
        context.deps,
        telegram_id=user_id(update),
        update_id=update.update_id,
        session_id=session_id,
        position=position,
    )
    await show_answer(update, context, outcome)


async def on_hint_button(update: Update, context: Context) -> None:
    """Hint: reveal the next level inside the problem message."""
    step = await _step_button(update, context)
    if step is None:
        return
    query, session_id, position, level = step
    answered = False

    async def before_model() -> None:
        # Stop the button's spinner now: the model may take a few seconds.
        nonlocal answered
        answered = True
        await query.answer()
        await _typing(update)()

    outcome = await practice.request_hint(
        context.deps,
        telegram_id=user_id(update),
        session_id=session_id,
        position=position,
        level=level or 0,
        on_model_call=before_model,
    )
    lang = outcome.lang
    popup = {"exhausted": N_("no_more_hints"), "stale": N_("stale_button")}.get(outcome.kind)
    if not answered:
        await query.answer(t(lang, popup) if popup else None)
    if outcome.kind == "shown" and outcome.problem is not None:
        await edit_or_reply(update, *messages.problem_message(outcome.problem, lang))


def _typing(update: Update) -> Callable[[], Awaitable[None]]:
    """Show "typing…" while the language model thinks (it may take seconds)."""

    async def show() -> None:
        # Cosmetic only: a failure here must not lose the hint or answer being worked on.
        if update.effective_chat is not None:
            with contextlib.suppress(TelegramError):
                await update.effective_chat.send_action(ChatAction.TYPING)

    return show


async def _stale(update: Update, context: Context) -> None:
    lang = await stored_language(update, context)
    await reply(update, t(lang, "stale_button"), keyboards.practice_keyboard(lang))


async def on_unknown_button(update: Update, context: Context) -> None:
    """A button whose data we do not recognise (an old message, or forged data)."""
    query = update.callback_query
    assert query is not None
    lang = await stored_language(update, context)
    outcome = await practice.where_am_i(context.deps, telegram_id=user_id(update))
    # An open problem is shown again under a "that button is old" line; otherwise a popup.
    await query.answer(None if outcome.kind == "stale" else t(lang, "stale_button"))
    await show_answer(update, context, outcome)
