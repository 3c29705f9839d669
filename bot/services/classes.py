"""Teachers and classes: registering teachers, creating classes, join links, group posts.

A class join link is shared with a whole class (in a class group or on the board), so unlike
a parent link it is used by many students: it stays valid for ``CLASS_LINK_DAYS`` days and is
never marked used. Joining still needs the student's own tap on a consent button, and the
button carries the token again, so it is checked again when tapped (callback data can be
forged; a class id alone would let anyone join any class).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import families
from bot.services.deps import Deps
from bot.services.names import clean_name
from db import queries
from db.models import SchoolClass

logger = logging.getLogger(__name__)

CLASS_LINK_DAYS = 7
CLI_ACTOR = 0  # audit_log actor for commands run with `dars` on the server


async def add_teacher(deps: Deps, *, telegram_id: int, actor_telegram_id: int, via: str) -> bool:
    """Register a teacher (operators only); False when they already were one. Audited."""
    now = deps.clock()
    async with deps.db.begin() as s:
        created = await queries.classes.create_teacher_once(
            s,
            telegram_id=telegram_id,
            language="en",
            timezone=deps.settings.default_timezone,
            reachable=True,
            created_at=now,
            updated_at=now,
        )
        await queries.stats.add_audit(
            s,
            actor_telegram_id=actor_telegram_id,
            action="add_teacher",
            detail={"teacher_telegram_id": telegram_id, "created": created, "via": via},
            now=now,
        )
    return created


@dataclass(frozen=True, slots=True)
class TeacherSummary:
    """One teacher as operators see them: no student names, only counts."""

    telegram_id: int
    language: str
    classes: int
    students: int
    added_at: dt.datetime


async def list_teachers(deps: Deps) -> list[TeacherSummary]:
    """Every teacher with how many classes and students they have, oldest first."""
    async with deps.db() as s:
        rows = await queries.classes.teacher_overview(s)
    return [
        TeacherSummary(t.telegram_id, t.language, classes, students, t.created_at)
        for t, classes, students in rows
    ]


@dataclass(frozen=True, slots=True)
class TeacherRemoval:
    """What removing a teacher did. ``has_classes``: nothing, because they still have classes
    and removal was not forced."""

    kind: Literal["removed", "not_teacher", "has_classes"]
    classes: int = 0
    students: int = 0


async def remove_teacher(
    deps: Deps, *, telegram_id: int, force: bool, actor_telegram_id: int, via: str
) -> TeacherRemoval:
    """Remove a teacher (operators only). A teacher with classes is kept unless ``force``:
    then their classes, memberships and join links go with them; the students themselves,
    their progress and their parents stay. Audited, refusals included."""
    now = deps.clock()
    async with deps.db.begin() as s:
        found = await queries.classes.teacher_overview(s, telegram_id=telegram_id)
        if not found:
            result = TeacherRemoval(kind="not_teacher")
        else:
            _, classes, students = found[0]
            if classes and not force:
                result = TeacherRemoval("has_classes", classes, students)
            else:
                await queries.classes.delete_teacher(s, telegram_id=telegram_id)
                result = TeacherRemoval("removed", classes, students)
        await queries.stats.add_audit(
            s,
            actor_telegram_id=actor_telegram_id,
            action="remove_teacher",
            detail={
                "teacher_telegram_id": telegram_id,
                "result": result.kind,
                "classes": result.classes,
                "force": force,
                "via": via,
            },
            now=now,
        )
    return result


async def teacher_language(
    deps: Deps, *, telegram_id: int, language_code: str | None
) -> str | None:
    """A teacher's language, or None for non-teachers: the one they chose with the button
    under /class, else their Telegram client's."""
    async with deps.db.begin() as s:
        teacher = await queries.classes.get_teacher(s, telegram_id=telegram_id)
        if teacher is None:
            return None
        if language_code and not teacher.language_chosen:
            teacher.language = families.language_from_client(language_code)
        teacher.reachable = True
        return teacher.language


async def switch_teacher_language(deps: Deps, *, telegram_id: int) -> str | None:
    """Switch a teacher to their other language, for good; None for non-teachers."""
    async with deps.db.begin() as s:
        teacher = await queries.classes.get_teacher(s, telegram_id=telegram_id)
        if teacher is None:
            return None
        teacher.language = "en" if teacher.language == "bn" else "bn"
        teacher.language_chosen = True
        return teacher.language


@dataclass(frozen=True, slots=True)
class ClassLink:
    """A class and the link that lets students join it."""

    kind: Literal["created", "bad_name", "not_teacher", "not_found"]
    lang: str
    name: str = ""
    payload: str = ""
    expires_at: dt.datetime | None = None


async def _new_link(deps: Deps, s: AsyncSession, school_class: SchoolClass) -> ClassLink:
    now = deps.clock()
    token = families.new_token()
    expires = now + dt.timedelta(days=CLASS_LINK_DAYS)
    await queries.families.insert_invite(
        s,
        token_hash=families.hash_token(token),
        kind="class",
        class_id=school_class.id,
        created_at=now,
        expires_at=expires,
    )
    return ClassLink(
        kind="created",
        lang="en",
        name=school_class.name,
        payload=families.CLASS_PREFIX + token,
        expires_at=expires,
    )


async def create_class(deps: Deps, *, telegram_id: int, name: str) -> ClassLink:
    """A teacher creates a class and gets its join link."""
    async with deps.db.begin() as s:
        teacher = await queries.classes.get_teacher(s, telegram_id=telegram_id)
        if teacher is None:
            return ClassLink(kind="not_teacher", lang="en")
        lang = teacher.language
        clean = clean_name(name)
        if clean is None:
            return ClassLink(kind="bad_name", lang=lang)
        school_class = SchoolClass(teacher_id=teacher.id, name=clean, created_at=deps.clock())
        s.add(school_class)
        await s.flush()
        link = await _new_link(deps, s, school_class)
    return ClassLink(link.kind, lang, link.name, link.payload, link.expires_at)


async def new_class_link(deps: Deps, *, telegram_id: int, class_id: int) -> ClassLink:
    """A fresh join link for one of the caller's own classes."""
    async with deps.db.begin() as s:
        teacher = await queries.classes.get_teacher(s, telegram_id=telegram_id)
        if teacher is None:
            return ClassLink(kind="not_teacher", lang="en")
        school_class = await queries.classes.get_own_class(
            s, teacher_telegram_id=telegram_id, class_id=class_id
        )
        if school_class is None:
            return ClassLink(kind="not_found", lang=teacher.language)
        link = await _new_link(deps, s, school_class)
    return ClassLink(link.kind, teacher.language, link.name, link.payload, link.expires_at)


ClassInviteKind = Literal[
    "ok", "joined", "already_member", "not_student", "invalid", "expired", "throttled"
]


@dataclass(frozen=True, slots=True)
class ClassInvite:
    """What a student who opened a class link (or tapped Join) is told."""

    kind: ClassInviteKind
    lang: str
    class_name: str = ""
    token: str = ""


async def open_class_link(
    deps: Deps, *, telegram_id: int, token: str, language_code: str | None, join: bool
) -> ClassInvite:
    """Check a class link for a student; with ``join`` (their consent tap), put them in it."""
    now = deps.clock()
    async with deps.db.begin() as s:
        lang = await families.caller_language(
            s, telegram_id=telegram_id, language_code=language_code
        )
        student = await queries.students.get_student(s, telegram_id=telegram_id)
        if student is None or student.grade is None:
            return ClassInvite(kind="not_student", lang=lang)
        if await families.too_many_failures(deps, s, telegram_id=telegram_id, now=now):
            return ClassInvite(kind="throttled", lang=lang)  # and nothing more is recorded
        invite = (
            await queries.families.get_invite(
                s, token_hash=families.hash_token(token), kind="class"
            )
            if families.valid_token(token)
            else None
        )
        school_class = (
            await queries.classes.get_class(s, class_id=invite.class_id)
            if invite is not None and invite.class_id is not None
            else None
        )
        ok = school_class is not None and invite is not None and invite.expires_at > now
        if not ok:
            await queries.families.record_invite_attempt(
                s, telegram_id=telegram_id, succeeded=False, now=now
            )
        if invite is None or school_class is None:
            return ClassInvite(kind="invalid", lang=lang)
        if not ok:
            return ClassInvite(kind="expired", lang=lang)
        name = school_class.name
        if join:
            added = await queries.classes.add_member_once(
                s, class_id=school_class.id, student_id=student.id, now=now
            )
            return ClassInvite(
                kind="joined" if added else "already_member", lang=lang, class_name=name
            )
        members = await queries.classes.members_of(s, class_ids=[school_class.id])
        if any(member.id == student.id for _, member in members):
            return ClassInvite(kind="already_member", lang=lang, class_name=name)
        return ClassInvite(kind="ok", lang=lang, class_name=name, token=token)


@dataclass(frozen=True, slots=True)
class GroupChoice:
    """Which of the caller's classes a /postsummary in a group is about."""

    kind: Literal["ok", "not_teacher", "no_classes", "choose", "not_found"]
    lang: str
    class_id: int | None = None
    names: tuple[str, ...] = ()


async def choose_group_class(
    deps: Deps, *, telegram_id: int, chat_id: int, name: str | None
) -> GroupChoice:
    """Pick the caller's class for this group chat (by name, or their only one) and remember
    the group so the weekly summary is posted there too."""
    async with deps.db.begin() as s:
        teacher = await queries.classes.get_teacher(s, telegram_id=telegram_id)
        if teacher is None:
            return GroupChoice(kind="not_teacher", lang="en")
        lang = teacher.language
        classes = await queries.classes.classes_of(s, teacher_telegram_id=telegram_id)
        names = tuple(c.name for c in classes)
        if not classes:
            return GroupChoice(kind="no_classes", lang=lang)
        if name:
            wanted = " ".join(name.split()).casefold()
            matches = [c for c in classes if c.name.casefold() == wanted]
            if not matches:
                return GroupChoice(kind="not_found", lang=lang, names=names)
            chosen = matches[-1]
        elif len(classes) == 1:
            chosen = classes[0]
        else:
            return GroupChoice(kind="choose", lang=lang, names=names)
        chosen.group_chat_id = chat_id
        return GroupChoice(kind="ok", lang=lang, class_id=chosen.id)


async def forget_group(deps: Deps, *, chat_id: int) -> None:
    """The bot can no longer post in this group (removed or blocked): stop trying."""
    async with deps.db.begin() as s:
        for school_class in await queries.classes.classes_in_group(s, chat_id=chat_id):
            school_class.group_chat_id = None


async def move_group(deps: Deps, *, old_chat_id: int, new_chat_id: int) -> int:
    """A group became a supergroup (a new chat id): its classes post there from now on.

    Safe to call more than once (Telegram announces the move in both chats). Returns how
    many classes moved."""
    async with deps.db.begin() as s:
        moved = await queries.classes.classes_in_group(s, chat_id=old_chat_id)
        for school_class in moved:
            school_class.group_chat_id = new_chat_id
    if moved:
        logger.info("%d class(es) followed their group to a supergroup", len(moved))
    return len(moved)
