"""Service outcomes as message texts (and keyboards), in the reader's language.

Practice views (a problem, a verdict, a session summary) and reports (parents' and teachers'
summaries, operator stats). The chat commands and the scheduled summaries share the reports,
so a weekly summary reads exactly like the one a parent or teacher asks for.
"""

from __future__ import annotations

from decimal import Decimal

from telegram import InlineKeyboardMarkup

from bot import keyboards
from bot.services.cards import ProblemCard
from bot.services.placement import MAX_PROBLEMS, PlacementOutcome
from bot.services.practice import AnswerOutcome, ProblemView, SessionSummary
from bot.services.progress import Progress, TopicProgress
from bot.services.stats import Stats
from bot.services.summaries import REPORT_DAYS, ChildReport, ParentReport, TeacherReport
from bot.texts import grade_name, localize_number, t, tn, topic_name
from problems.checking import example_answer
from problems.types import AnswerForm, AnswerType

Message = tuple[str, InlineKeyboardMarkup | None]


def problem_message(view: ProblemView, lang: str) -> Message:
    """The problem with its header, the hints revealed so far, and its buttons."""
    card = view.card
    lines = [
        t(
            lang,
            "extra_header" if view.extra else "problem_header",
            number=view.position + 1,
            total=view.total,
            topic=topic_name(lang, card.topic, card.topic_names),
        ),
        "",
        card.question[lang],
    ]
    for level, hint in enumerate(view.hints_shown, start=1):
        # No hint in the bank or from the model: a generic ladder that goes a step deeper.
        text = hint or t(lang, f"hint_generic_{min(level, 3)}")
        lines.append(t(lang, "hint_line", level=level, text=text))
    lines.append("")
    if card.answer_type is AnswerType.MULTIPLE_CHOICE:
        lines.append(t(lang, "choose_option"))
    else:
        lines.append(t(lang, "type_answer"))
    return "\n".join(lines), keyboards.problem_keyboard(view, lang)


def day_part(hour: int) -> str:
    """The part of the day a 24-hour ``hour`` falls in, as a text key's suffix."""
    if 4 <= hour < 6:
        return "dawn"
    if 6 <= hour < 12:
        return "morning"
    if 12 <= hour < 16:
        return "noon"
    if 16 <= hour < 18:
        return "afternoon"
    if 18 <= hour < 20:
        return "evening"
    return "night"


def time_in_words(lang: str, hour: int, minute: int) -> str:
    """``19, 30`` → "সন্ধ্যা ৭:৩০" (bn) or "7:30 pm" (en): the 12-hour clock with a word."""
    twelve = hour % 12 or 12
    clock = localize_number(f"{twelve}:{minute:02d}", lang)
    if lang == "en":
        # English says am or pm, whatever the part of the day.
        return f"{clock} {'am' if hour < 12 else 'pm'}"
    return t(lang, f"time_{day_part(hour)}", time=clock)


def expect_text(card: ProblemCard | None, lang: str) -> str:
    """After an unreadable reply: how to write an answer to this problem, with an example
    of the shape (never the answer itself)."""
    if card is None:
        return t(lang, "expect_text")
    if card.answer_type is AnswerType.MULTIPLE_CHOICE:
        return t(lang, "expect_choice")
    return t(lang, "expect_like", example=example_answer(card.answer_key, lang))


def needs_form_text(outcome: AnswerOutcome) -> str:
    """The right value in another shape: say so, and what to change."""
    lang = outcome.lang
    form = outcome.needs
    places = outcome.card.answer_key.places if outcome.card is not None else None
    if form is None:
        change = t(lang, "form_other")
    elif form is AnswerForm.DECIMAL and places is not None:
        change = t(lang, "form_decimal_places", places=places)
    else:
        change = t(lang, f"form_{form.value}")
    return t(lang, "needs_form", change=change)


def summary_lines(summary: SessionSummary, lang: str) -> list[str]:
    if summary.extra:
        return [
            t(lang, "extra_done", correct=summary.correct, total=summary.total),
            tn(lang, "streak", summary.streak_current, longest=summary.streak_longest),
            t(lang, "more_offer"),
        ]
    lines = [
        tn(lang, "session_done", summary.hints, correct=summary.correct, total=summary.total),
        tn(lang, "streak", summary.streak_current, longest=summary.streak_longest),
    ]
    if summary.used_freeze:
        lines.append(t(lang, "freeze_used"))
    lines.extend(tn(lang, "milestone", days) for days in summary.new_milestones)
    lines.append(t(lang, "more_offer"))
    return lines


def today_done_message(summary: SessionSummary, lang: str) -> Message:
    """Today's session is done: say so, with the streak, and offer more practice."""
    lines = [
        t(lang, "today_done"),
        tn(lang, "streak", summary.streak_current, longest=summary.streak_longest),
        t(lang, "more_offer"),
    ]
    return "\n".join(lines), keyboards.more_practice_keyboard(lang)


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
        lines = [
            t(
                lang,
                "skipped" if outcome.kind == "skipped" else "reveal",
                answer=card.answer_display(lang),
            )
        ]
    explanation = card.explanation.get(lang)
    if explanation and outcome.kind != "correct":
        lines.append(t(lang, "explanation", text=explanation))
    if outcome.summary is not None:
        lines.append("")
        lines.extend(summary_lines(outcome.summary, lang))
    return "\n".join(lines)


PRACTISED, MISSED = "✅", "▫️"


def percent(value: int | None, lang: str) -> str:
    return t(lang, "no_value") if value is None else f"{localize_number(value, lang)}%"


def child_text(child: ChildReport, lang: str) -> str:
    lines = [
        tn(
            lang,
            "summary_child",
            child.streak_current,
            name=child.name,
            longest=child.streak_longest,
            days="".join(PRACTISED if day else MISSED for day in child.days),
            solved=child.solved,
            accuracy=percent(child.accuracy, lang),
            hints=child.hints,
        )
    ]
    if child.topics:
        lines.append(t(lang, "summary_topics", counts=level_counts_text(child.topics, lang)))
        lines.extend(f"   {line}" for line in topic_lines(child.topics, lang, started_only=True))
    if child.weakest_topic is not None:
        lines.append(
            t(
                lang,
                "summary_weakest",
                topic=topic_name(lang, child.weakest_topic, child.weakest_topic_names),
                accuracy=percent(child.weakest_accuracy, lang),
            )
        )
    return "\n".join(lines)


def parent_text(report: ParentReport, *, header: str | None = None) -> str:
    """Every linked child's last seven days; ``header`` names the occasion (weekly, daily…),
    else it is the one a parent who asks sees."""
    lang = report.lang
    if not report.children:
        return t(lang, "summary_no_children")
    parts = [t(lang, header) if header else tn(lang, "summary_header", REPORT_DAYS)]
    parts.extend(child_text(child, lang) for child in report.children)
    parts.append(t(lang, "summary_legend"))
    return "\n\n".join(parts)


def parent_settings_text(lang: str, *, weekly: bool, daily: bool) -> str:
    return t(
        lang,
        "summary_settings",
        weekly=t(lang, "state_on" if weekly else "state_off"),
        daily=t(lang, "state_on" if daily else "state_off"),
    )


def class_text(report: TeacherReport, *, header: str | None = None) -> str:
    """One block per class, one line per student (short enough for a phone screen)."""
    lang = report.lang
    if not report.classes:
        return t(lang, "class_none")
    parts = [t(lang, header)] if header else []
    for school_class in report.classes:
        lines = [
            tn(lang, "class_report_header", len(school_class.students), name=school_class.name)
        ]
        for student in school_class.students:
            lines.append(
                t(
                    lang,
                    "class_report_line",
                    name=student.name,
                    current=student.streak_current,
                    days=student.days_practised,
                    solved=student.solved,
                )
            )
            if student.topics:
                # The per-topic picture, one icon a topic in syllabus order.
                lines.append("   " + "".join(LEVEL_ICONS[p.level] for p in student.topics))
        if not school_class.students:
            lines.append(t(lang, "class_report_empty"))
        parts.append("\n".join(lines))
    parts.append(t(lang, "class_report_legend"))
    if any(st.topics for c in report.classes for st in c.students):
        parts[-1] += "\n" + t(lang, "class_mastery_legend")
    return "\n\n".join(parts)


def stats_text(stats: Stats, lang: str) -> str:
    return tn(
        lang,
        "stats",
        stats.answers,
        students=stats.students,
        parents=stats.parents,
        teachers=stats.teachers,
        active_today=stats.active_today,
        active_week=stats.active_week,
        sessions=stats.sessions_completed,
        sessions_today=stats.sessions_completed_today,
        accuracy=percent(stats.accuracy, lang),
        reminders=stats.reminders_sent,
        reminders_today=stats.reminders_sent_today,
        cost=stats.llm_cost_today.quantize(Decimal("0.0001")),
    )


LEVEL_ICONS = {"mastered": "✅", "familiar": "🟢", "practising": "🟡", "not_started": "⚪"}
# Topics not started yet listed before "…and N more".
NOT_STARTED_SHOWN = 3


def level_counts_text(topics: tuple[TopicProgress, ...], lang: str) -> str:
    """ "✅ 2 mastered · 🟢 1 familiar · …" for these topics."""
    counts = dict.fromkeys(LEVEL_ICONS, 0)
    for topic in topics:
        counts[topic.level] += 1
    return t(lang, "progress_counts", **counts)


def topic_lines(
    topics: tuple[TopicProgress, ...], lang: str, *, started_only: bool = False
) -> list[str]:
    """One line a topic (icon, name, level), the not-started ones after the first few folded
    (all of them with ``started_only``)."""
    lines, folded = [], 0
    not_started = 0
    for topic in topics:
        if topic.level == "not_started":
            if started_only:
                continue
            not_started += 1
            if not_started > NOT_STARTED_SHOWN:
                folded += 1
                continue
        name = topic_name(lang, topic.slug, topic.names)
        lines.append(f"{LEVEL_ICONS[topic.level]} {name} — {t(lang, f'level_{topic.level}')}")
    if folded:
        lines.append(t(lang, "progress_topics_more", count=folded))
    return lines


def progress_text(progress: Progress) -> str:
    """/progress: the levels of the class's topics, the streak, the week, what comes next."""
    lang = progress.lang
    counts = dict.fromkeys(LEVEL_ICONS, 0)
    for topic in progress.topics:
        counts[topic.level] += 1
    lines = [
        t(lang, "progress_header", grade=grade_name(lang, progress.grade)),
        t(lang, "progress_counts", **counts),
        "",
        *topic_lines(progress.topics, lang),
        "",
        tn(lang, "streak", progress.streak_current, longest=progress.streak_longest),
        t(lang, "progress_week", solved=progress.solved_this_week),
    ]
    if progress.topics and all(p.level == "mastered" for p in progress.topics):
        lines.append(t(lang, "progress_all_done"))
    elif progress.next_topics:
        names = ", ".join(topic_name(lang, p.slug, p.names) for p in progress.next_topics)
        lines.append(t(lang, "progress_next", topics=names))
    return "\n".join(lines)


def placement_message(outcome: PlacementOutcome) -> Message:
    """A step of the placement check: the verdict on the last answer, then the next problem
    or where practice starts. (The handler adds the buttons.)"""
    lang = outcome.lang
    lines: list[str] = []
    if outcome.last_right is not None:
        lines.append(t(lang, "placement_right" if outcome.last_right else "placement_wrong"))
    if outcome.kind == "unreadable":
        lines.append(t(lang, "unreadable", expect=expect_text(outcome.card, lang)))
    elif outcome.kind == "other_digits":
        lines.append(t(lang, "other_digits"))
    elif outcome.kind == "problem":
        card = outcome.card
        assert card is not None
        lines += [
            t(
                lang,
                "placement_header",
                number=outcome.step,
                total=MAX_PROBLEMS,
                topic=topic_name(lang, card.topic, card.topic_names),
            ),
            "",
            card.question[lang],
            "",
            t(lang, "type_answer"),
        ]
    elif outcome.kind == "done":
        if outcome.start_topic is None:
            lines.append(t(lang, "placement_done_all"))
        else:
            slug, names = outcome.start_topic
            topic = topic_name(lang, slug, names)
            if outcome.known:
                lines.append(tn(lang, "placement_done", outcome.known, topic=topic))
            else:
                lines.append(t(lang, "placement_done_start", topic=topic))
    elif outcome.kind == "no_problems":
        lines.append(t(lang, "no_problems", grade="—"))
    else:
        lines.append(t(lang, "placement_skipped"))
    return "\n".join(lines), None
