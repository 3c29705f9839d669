"""What parents and teachers see of their students, and which scheduled summaries are due.

Days are always the student's own local days (``practice_sessions.local_date``), so a child
in Dhaka who practises at 00:30 counts for the day they lived, not the UTC one. A "practised"
day is a completed session, the same rule the streak uses. Accuracy counts skips as answers
that were not right.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.clock import local_date
from bot.services.deps import Deps
from bot.services.progress import TopicProgress, levels_in_order
from bot.services.streaks import StreakState, displayed_current
from db import queries
from db.models import Student, Topic

REPORT_DAYS = 7
SUMMARY_HOUR = 19  # local time of the evening summaries
SUMMARY_WEEKDAY = 6  # Sunday (Monday is 0)
MIN_TOPIC_ANSWERS = 2


@dataclass(frozen=True, slots=True)
class ChildReport:
    """One child over their last seven local days, as their parent sees it."""

    student_id: int
    name: str
    streak_current: int
    streak_longest: int
    days: tuple[bool, ...]  # practised on each of the last 7 local days, oldest first
    solved: int
    answers: int
    hints: int
    weakest_topic: str | None = None
    # The weakest topic as the bank names it ({"en": …, "bn": …}); empty if not named.
    weakest_topic_names: dict[str, str] = field(default_factory=dict)
    weakest_accuracy: int | None = None
    # Every topic of the child's class in syllabus order, at its mastery level.
    topics: tuple[TopicProgress, ...] = ()

    @property
    def accuracy(self) -> int | None:
        """Right answers in percent, or None before the first answer."""
        return round(100 * self.solved / self.answers) if self.answers else None


@dataclass(frozen=True, slots=True)
class ParentReport:
    lang: str
    weekly: bool
    daily: bool
    children: tuple[ChildReport, ...]


@dataclass(frozen=True, slots=True)
class StudentWeek:
    """One line of a class summary: a student's streak and this ISO week's practice."""

    name: str
    streak_current: int
    days_practised: int
    solved: int
    # Every topic of the student's class in syllabus order, at its mastery level.
    topics: tuple[TopicProgress, ...] = ()


@dataclass(frozen=True, slots=True)
class ClassReport:
    class_id: int
    name: str
    students: tuple[StudentWeek, ...]


@dataclass(frozen=True, slots=True)
class TeacherReport:
    lang: str
    classes: tuple[ClassReport, ...]


def _window(student: Student, now: dt.datetime) -> tuple[dt.date, dt.date]:
    today = local_date(now, student.timezone)
    return today - dt.timedelta(days=REPORT_DAYS - 1), today


def _week(student: Student, now: dt.datetime) -> tuple[dt.date, dt.date]:
    today = local_date(now, student.timezone)
    monday = today - dt.timedelta(days=today.weekday())
    return monday, monday + dt.timedelta(days=6)


async def _streaks(
    s: AsyncSession, students: Sequence[Student], now: dt.datetime
) -> dict[int, tuple[int, int]]:
    rows = await queries.stats.streaks_of(s, student_ids=[st.id for st in students])
    result = {}
    for student in students:
        row = rows.get(student.id)
        if row is None:
            result[student.id] = (0, 0)
            continue
        state = StreakState(
            current=row.current,
            longest=row.longest,
            last_practice_date=row.last_practice_date,
            freezes_available=row.freezes_available,
        )
        today = local_date(now, student.timezone)
        result[student.id] = (displayed_current(state, today), row.longest)
    return result


async def child_reports(
    s: AsyncSession, students: Sequence[Student], now: dt.datetime
) -> list[ChildReport]:
    """Reports for these (already authorised) students over their last seven local days."""
    if not students:
        return []
    windows = {st.id: _window(st, now) for st in students}
    since = min(w[0] for w in windows.values())
    until = max(w[1] for w in windows.values())
    ids = [st.id for st in students]
    activity = await queries.stats.day_activity(s, student_ids=ids, since=since, until=until)
    answers = await queries.stats.topic_answers(s, student_ids=ids, since=since, until=until)
    streaks = await _streaks(s, students, now)
    all_topics = await queries.problems.topic_names(s)
    names = {
        (topic.grade, topic.slug): {"en": topic.name_en, "bn": topic.name_bn}
        for topic in all_topics
    }
    levels = await _levels(s, students, all_topics)

    practised: defaultdict[int, set[dt.date]] = defaultdict(set)
    hints: defaultdict[int, int] = defaultdict(int)
    for day in activity:
        first, last = windows[day.student_id]
        if first <= day.local_date <= last:
            hints[day.student_id] += day.hints
            if day.completed:
                practised[day.student_id].add(day.local_date)
    topics: defaultdict[int, defaultdict[str, list[int]]] = defaultdict(
        lambda: defaultdict(lambda: [0, 0])
    )
    for row in answers:
        first, last = windows[row.student_id]
        if first <= row.local_date <= last:
            tally = topics[row.student_id][row.topic]
            tally[0] += row.answers
            tally[1] += row.correct

    reports = []
    for student in students:
        first, _last = windows[student.id]
        tallies = topics[student.id]
        total = sum(t[0] for t in tallies.values())
        correct = sum(t[1] for t in tallies.values())
        weakest = _weakest(tallies)
        current, longest = streaks[student.id]
        reports.append(
            ChildReport(
                student_id=student.id,
                name=student.name,
                streak_current=current,
                streak_longest=longest,
                days=tuple(
                    first + dt.timedelta(days=i) in practised[student.id]
                    for i in range(REPORT_DAYS)
                ),
                solved=correct,
                answers=total,
                hints=hints[student.id],
                weakest_topic=weakest[0] if weakest else None,
                weakest_topic_names=(
                    names.get((student.grade or 0, weakest[0]), {}) if weakest else {}
                ),
                weakest_accuracy=weakest[1] if weakest else None,
                topics=levels[student.id],
            )
        )
    return reports


async def _levels(
    s: AsyncSession, students: Sequence[Student], topics: Sequence[Topic]
) -> dict[int, tuple[TopicProgress, ...]]:
    """Each student's class topics at their mastery levels (one query for all of them)."""
    rows = await queries.mastery.mastery_of(s, student_ids=[st.id for st in students])
    by_grade: defaultdict[int, list[Topic]] = defaultdict(list)
    for topic in topics:
        by_grade[topic.grade].append(topic)
    return {
        st.id: tuple(
            levels_in_order(
                by_grade[st.grade or 0],
                {
                    slug: row
                    for (grade, slug), row in rows.get(st.id, {}).items()
                    if grade == st.grade
                },
            )
        )
        for st in students
    }


def _weakest(tallies: dict[str, list[int]]) -> tuple[str, int] | None:
    """The topic with the lowest accuracy among those with enough answers, if not perfect."""
    scored = [
        (correct / answers, topic)
        for topic, (answers, correct) in tallies.items()
        if answers >= MIN_TOPIC_ANSWERS
    ]
    if not scored:
        return None
    ratio, topic = min(scored)
    return None if ratio >= 1 else (topic, round(100 * ratio))


async def parent_report(
    deps: Deps, *, telegram_id: int, asked: bool = False
) -> ParentReport | None:
    """The caller's own children's progress; None when the caller is not a parent.

    ``asked``: the parent wrote to us, so scheduled summaries may reach them again.
    """
    now = deps.clock()
    async with deps.db.begin() as s:
        guardian = await queries.families.get_guardian(s, telegram_id=telegram_id)
        if guardian is None:
            return None
        if asked and not guardian.reachable:
            guardian.reachable = True
        children = await queries.families.children_of(s, guardian_telegram_id=telegram_id)
        reports = await child_reports(s, children, now)
        return ParentReport(
            lang=guardian.language,
            weekly=guardian.weekly_summary,
            daily=guardian.daily_summary,
            children=tuple(reports),
        )


async def teacher_report(
    deps: Deps, *, telegram_id: int, class_id: int | None = None
) -> TeacherReport | None:
    """The caller's own classes (or one of them) this week; None when the caller is no teacher."""
    now = deps.clock()
    async with deps.db() as s:
        teacher = await queries.classes.get_teacher(s, telegram_id=telegram_id)
        if teacher is None:
            return None
        classes = await queries.classes.classes_of(s, teacher_telegram_id=telegram_id)
        if class_id is not None:
            classes = [c for c in classes if c.id == class_id]
        members = await queries.classes.members_of(s, class_ids=[c.id for c in classes])
        students = list({st.id: st for _, st in members}.values())
        weeks = {st.id: _week(st, now) for st in students}
        ids = list(weeks)
        since = min((w[0] for w in weeks.values()), default=now.date())
        until = max((w[1] for w in weeks.values()), default=now.date())
        activity = await queries.stats.day_activity(s, student_ids=ids, since=since, until=until)
        answers = await queries.stats.topic_answers(s, student_ids=ids, since=since, until=until)
        streaks = await _streaks(s, students, now)
        levels = await _levels(s, students, await queries.problems.topic_names(s))

    days: defaultdict[int, set[dt.date]] = defaultdict(set)
    for day in activity:
        first, last = weeks[day.student_id]
        if day.completed and first <= day.local_date <= last:
            days[day.student_id].add(day.local_date)
    solved: defaultdict[int, int] = defaultdict(int)
    for row in answers:
        first, last = weeks[row.student_id]
        if first <= row.local_date <= last:
            solved[row.student_id] += row.correct
    reports = []
    for school_class in classes:
        lines = tuple(
            StudentWeek(
                name=st.name,
                streak_current=streaks[st.id][0],
                days_practised=len(days[st.id]),
                solved=solved[st.id],
                topics=levels[st.id],
            )
            for cid, st in members
            if cid == school_class.id
        )
        reports.append(
            ClassReport(class_id=school_class.id, name=school_class.name, students=lines)
        )
    return TeacherReport(lang=teacher.language, classes=tuple(reports))


# ---------------------------------------------------------------- scheduled summaries


@dataclass(frozen=True, slots=True)
class DueSummary:
    """One scheduled summary to claim and send.

    ``chat_id`` is where it goes (and the delivery's recipient); ``owner_id`` is the Telegram
    id whose data it shows (the parent or the teacher); ``class_id`` limits a group post.
    """

    kind: str
    chat_id: int
    period: str
    owner_id: int
    class_id: int | None = None


def iso_week(day: dt.date) -> str:
    """The delivery period of a weekly summary, e.g. ``2026-W11``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _evening(now: dt.datetime, timezone: str) -> dt.datetime | None:
    """The local time at ``now`` if it is past the summary hour, else None."""
    local = now.astimezone(ZoneInfo(timezone))
    return local if local.hour >= SUMMARY_HOUR else None


async def due_summaries(deps: Deps, *, now: dt.datetime) -> list[DueSummary]:
    """Summaries whose time has come and that were not sent yet (claiming still decides).

    Weekly ones go out on Sunday from 19:00 local time, daily ones (parents who asked for
    them) every other evening from 19:00; a job that runs late that evening still sends them.
    """
    due: list[DueSummary] = []
    async with deps.db() as s:
        for guardian in await queries.deliveries.guardians_to_summarise(s):
            local = _evening(now, guardian.timezone)
            if local is None:
                continue
            if local.weekday() == SUMMARY_WEEKDAY and guardian.weekly_summary:
                due.append(
                    DueSummary(
                        "weekly_parent",
                        guardian.telegram_id,
                        iso_week(local.date()),
                        guardian.telegram_id,
                    )
                )
            elif guardian.daily_summary:
                due.append(
                    DueSummary(
                        "daily_parent",
                        guardian.telegram_id,
                        local.date().isoformat(),
                        guardian.telegram_id,
                    )
                )
        for teacher in await queries.deliveries.teachers_with_classes(s):
            local = _evening(now, teacher.timezone)
            if local is None or local.weekday() != SUMMARY_WEEKDAY:
                continue
            period = iso_week(local.date())
            if teacher.reachable:
                due.append(
                    DueSummary("weekly_class", teacher.telegram_id, period, teacher.telegram_id)
                )
            for school_class in await queries.classes.classes_of(
                s, teacher_telegram_id=teacher.telegram_id
            ):
                if school_class.group_chat_id is not None:
                    # One group may follow several classes: one post per class.
                    due.append(
                        DueSummary(
                            "weekly_group",
                            school_class.group_chat_id,
                            f"{period}:c{school_class.id}",
                            teacher.telegram_id,
                            school_class.id,
                        )
                    )
        # Skip what is already settled, so a job running every minute does not re-claim it.
        settled: set[tuple[str, str, int]] = set()
        for kind, period in {(d.kind, d.period) for d in due}:
            ids = [d.chat_id for d in due if (d.kind, d.period) == (kind, period)]
            done = await queries.deliveries.delivered(
                s, kind=kind, period=period, recipient_ids=ids
            )
            settled |= {(kind, period, chat_id) for chat_id in done}
    return [d for d in due if (d.kind, d.period, d.chat_id) not in settled]


async def mark_unreachable(deps: Deps, *, telegram_id: int, kind: str) -> None:
    """A parent or teacher blocked the bot: no more scheduled summaries until they write."""
    async with deps.db.begin() as s:
        person = (
            await queries.families.get_guardian(s, telegram_id=telegram_id)
            if kind.endswith("_parent")
            else await queries.classes.get_teacher(s, telegram_id=telegram_id)
        )
        if person is not None:
            person.reachable = False
