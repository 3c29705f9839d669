"""Onboarding and settings: language, class, name and reminder time, kept in the database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.services.clock import local_date
from bot.services.deps import Deps
from bot.services.names import NameProblem, check_name, clean_name
from bot.services.reminder_time import read_reminder
from bot.services.streaks import StreakState, displayed_current
from db import queries
from db.models import Student

DEFAULT_REMINDER = dt.time(18, 0)


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    grade: int | None
    language: str
    reminder_time: dt.time | None
    awaiting: str | None
    streak_current: int = 0
    streak_longest: int = 0

    @property
    def onboarded(self) -> bool:
        return self.grade is not None


async def _profile(deps: Deps, student: Student, *, with_streak: bool = False) -> Profile:
    current = longest = 0
    if with_streak:
        async with deps.db() as s:
            row = await queries.practice.get_streak(s, student_id=student.id)
        if row is not None:
            state = StreakState(
                current=row.current,
                longest=row.longest,
                last_practice_date=row.last_practice_date,
                freezes_available=row.freezes_available,
            )
            current = displayed_current(state, local_date(deps.clock(), student.timezone))
            longest = row.longest
    return Profile(
        name=student.name,
        grade=student.grade,
        language=student.language,
        reminder_time=student.reminder_time,
        awaiting=student.awaiting,
        streak_current=current,
        streak_longest=longest,
    )


async def start(
    deps: Deps, *, telegram_id: int, first_name: str | None, language_code: str | None
) -> tuple[Profile, bool]:
    """Find or create the student; a new one starts by choosing a language."""
    async with deps.db.begin() as s:
        student = await queries.students.get_student(s, telegram_id=telegram_id)
        created = student is None
        if student is None:
            student = await queries.students.create_student_once(
                s,
                telegram_id=telegram_id,
                name=clean_name(first_name or "") or "Student",
                language="bn" if (language_code or "").startswith("bn") else "en",
                timezone=deps.settings.default_timezone,
                reminder_time=DEFAULT_REMINDER,
                reachable=True,
                awaiting="language",
                created_at=deps.clock(),
                updated_at=deps.clock(),
            )
        elif not student.reachable:
            student.reachable = True  # they wrote to us again: reminders may resume
    return await _profile(deps, student, with_streak=not created), created


async def get_profile(deps: Deps, *, telegram_id: int) -> Profile | None:
    """The student's settings and streak, or None for someone who never pressed Start."""
    async with deps.db() as s:
        student = await queries.students.get_student(s, telegram_id=telegram_id)
    return None if student is None else await _profile(deps, student, with_streak=True)


async def set_language(deps: Deps, *, telegram_id: int, language: str) -> Profile | None:
    """Switch the language; during onboarding, go on to choosing a class."""
    if language not in ("en", "bn"):
        return None
    async with deps.db.begin() as s:
        student = await queries.students.get_student(s, telegram_id=telegram_id)
        if student is None:
            return None
        student.language = language
        student.awaiting = "grade" if student.grade is None else None
    return await _profile(deps, student)


async def set_grade(deps: Deps, *, telegram_id: int, grade: int) -> tuple[Profile, bool] | None:
    """Set the class; returns the profile and whether this finished choosing for a new student."""
    if grade not in (6, 7, 8):
        return None
    async with deps.db.begin() as s:
        student = await queries.students.get_student(s, telegram_id=telegram_id)
        if student is None:
            return None
        first_time = student.grade is None
        student.grade = grade
        student.awaiting = None
    return await _profile(deps, student), first_time


async def await_input(deps: Deps, *, telegram_id: int, what: str) -> Profile | None:
    """Remember that the student's next text is a name or a reminder time, not an answer."""
    async with deps.db.begin() as s:
        student = await queries.students.get_student(s, telegram_id=telegram_id)
        if student is None:
            return None
        student.awaiting = what
    return await _profile(deps, student)


def parse_reminder(raw: str) -> dt.time | bool | None:
    """``18:30`` / ``১৮:৩০`` / ``সন্ধ্যা ৬:৩০`` → a time; ``off`` / ``বন্ধ`` → None; anything
    else (an ambiguous ``6:30`` too) → False. See ``reminder_time`` for the whole reading."""
    read = read_reminder(raw)
    if read.kind == "off":
        return None
    return read.time if read.kind == "time" else False


@dataclass(frozen=True, slots=True)
class InputOutcome:
    # "name_saved", "bad_name", "reminder_saved", "bad_reminder", "reminder_ambiguous",
    # "other_digits", "none"
    kind: str
    profile: Profile | None
    # Why a name was refused (bad_name only): too long or empty, a link, odd letters.
    name_problem: NameProblem | None = None
    # reminder_ambiguous: the morning reading of a 12-hour time said without am or pm.
    reminder: dt.time | None = None


async def receive_input(deps: Deps, *, telegram_id: int, text: str) -> InputOutcome:
    """Take the text the student was asked for (a name or a reminder time)."""
    async with deps.db.begin() as s:
        student = await queries.students.get_student(s, telegram_id=telegram_id)
        if student is None or student.awaiting not in ("name", "reminder"):
            return InputOutcome("none", None)
        if student.awaiting == "name":
            checked = check_name(text)
            if checked.name is None:
                return InputOutcome(
                    "bad_name", await _profile(deps, student), name_problem=checked.problem
                )
            student.name = checked.name
            student.awaiting = None
            kind = "name_saved"
        else:
            read = read_reminder(text)
            if read.kind in ("bad", "other_digits", "ambiguous"):
                # Still waiting for the time: ambiguous asks "evening or morning?" with buttons.
                kind = {"bad": "bad_reminder", "other_digits": "other_digits"}.get(
                    read.kind, "reminder_ambiguous"
                )
                return InputOutcome(kind, await _profile(deps, student), reminder=read.time)
            student.reminder_time = read.time
            student.awaiting = None
            kind = "reminder_saved"
    return InputOutcome(kind, await _profile(deps, student))


async def choose_reminder(deps: Deps, *, telegram_id: int, time: dt.time) -> Profile | None:
    """The student picked the morning or the evening reading of the time they sent."""
    async with deps.db.begin() as s:
        student = await queries.students.get_student(s, telegram_id=telegram_id)
        if student is None:
            return None
        student.reminder_time = time
        if student.awaiting == "reminder":
            student.awaiting = None
    return await _profile(deps, student)
