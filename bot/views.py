"""Turn service outcomes into message texts and keyboards, in the student's language."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot import keyboards
from bot.services.practice import AnswerOutcome, ProblemView, SessionSummary
from bot.texts import t, topic_name
from problems.types import AnswerType

Message = tuple[str, InlineKeyboardMarkup | None]


def problem_message(view: ProblemView, lang: str) -> Message:
    """The problem with its header, the hints revealed so far, and its buttons."""
    card = view.card
    lines = [
        t(
            lang,
            "problem_header",
            number=view.position + 1,
            total=view.total,
            topic=topic_name(lang, card.topic),
        ),
        "",
        card.question[lang],
    ]
    for level, hint in enumerate(view.hints_shown, start=1):
        lines.append(t(lang, "hint_line", level=level, text=hint or t(lang, "hint_unavailable")))
    lines.append("")
    if card.answer_type is AnswerType.MULTIPLE_CHOICE:
        lines.append(t(lang, "choose_option"))
    else:
        lines.append(t(lang, "type_answer"))
    return "\n".join(lines), keyboards.problem_keyboard(view, lang)


def expect_text(answer_type: AnswerType | None, lang: str) -> str:
    key = {
        AnswerType.NUMERIC: "expect_numeric",
        AnswerType.MULTIPLE_CHOICE: "expect_choice",
    }.get(answer_type or AnswerType.TEXT, "expect_text")
    return t(lang, key)


def summary_lines(summary: SessionSummary, lang: str) -> list[str]:
    lines = [
        t(
            lang,
            "session_done",
            correct=summary.correct,
            total=summary.total,
            hints=summary.hints,
        ),
        t(lang, "streak", current=summary.streak_current, longest=summary.streak_longest),
    ]
    if summary.used_freeze:
        lines.append(t(lang, "freeze_used"))
    lines.extend(t(lang, "milestone", days=days) for days in summary.new_milestones)
    return lines


def verdict_message(outcome: AnswerOutcome) -> str:
    """What the student hears about the answer they just gave (or the problem they skipped)."""
    lang = outcome.lang
    card = outcome.card
    assert card is not None
    if outcome.kind == "correct":
        lines = [t(lang, "correct")]
    elif outcome.kind == "retry":
        return t(lang, "try_again")
    else:
        key = "skipped" if outcome.kind == "skipped" else "reveal"
        lines = [t(lang, key, answer=card.answer_display(lang))]
    explanation = card.explanation.get(lang)
    if explanation and outcome.kind != "correct":
        lines.append(t(lang, "explanation", text=explanation))
    if outcome.summary is not None:
        lines.append("")
        lines.extend(summary_lines(outcome.summary, lang))
    return "\n".join(lines)
