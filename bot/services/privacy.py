"""Deleting a person's data on request (/delete_my_data), for students, parents and teachers.

Deleting the student row does most of it: practice sessions, responses and cost records keep
their rows with ``student_id`` set to NULL (anonymous statistics), while the streak, guardian
links, class memberships, invites and deliveries go with it (foreign keys, migration 0003).
What the student typed as answers is blanked first (``responses.student_answer``): a written
answer can name the child. Cost records hold numbers only, never prompt text.
Two things are kept on purpose, neither naming anyone: invite attempts (they expire from use
after an hour and are pruned daily; deleting them would reset the limit on guessing links),
and the day's model spending under a keyed hash of the Telegram id (``llm_user_spend``;
deleting it would reset the per-student budget), pruned once the day is over.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services import families
from bot.services.deps import Deps
from db import queries


@dataclass(frozen=True, slots=True)
class Holdings:
    """What Dars keeps about someone, and the language to talk to them in."""

    lang: str
    student: bool
    guardian: bool
    teacher: bool = False

    @property
    def anything(self) -> bool:
        return self.student or self.guardian or self.teacher


async def holdings(deps: Deps, *, telegram_id: int, language_code: str | None) -> Holdings:
    """Whether the caller is a student and/or a parent, before asking them to confirm."""
    async with deps.db() as s:
        lang = await families.caller_language(
            s, telegram_id=telegram_id, language_code=language_code
        )
        student = await queries.students.get_student(s, telegram_id=telegram_id)
        guardian = await queries.families.get_guardian(s, telegram_id=telegram_id)
        teacher = await queries.classes.get_teacher(s, telegram_id=telegram_id)
    return Holdings(
        lang=lang,
        student=student is not None,
        guardian=guardian is not None,
        teacher=teacher is not None,
    )


async def delete_my_data(deps: Deps, *, telegram_id: int, language_code: str | None) -> Holdings:
    """Remove the caller's student and parent data; returns what there was to remove."""
    async with deps.db.begin() as s:
        lang = await families.caller_language(
            s, telegram_id=telegram_id, language_code=language_code
        )
        student = await queries.students.delete_student(s, telegram_id=telegram_id)
        guardian = await queries.families.delete_guardian(s, telegram_id=telegram_id)
        # A teacher's classes (and their memberships and links) go with the teacher row.
        teacher = await queries.classes.delete_teacher(s, telegram_id=telegram_id)
        # Summaries sent to a parent are keyed by their Telegram id, not by a student row.
        await queries.deliveries.delete_deliveries_to(s, recipient_id=telegram_id)
    return Holdings(lang=lang, student=student, guardian=guardian, teacher=teacher)
