"""Parents: one-time invite links from a student, linking, unlinking and parent settings.

Invite tokens come from ``secrets.token_urlsafe`` (192 bits) and only their SHA-256 is
stored, so a database leak gives no usable links. Guessing is bounded per Telegram user:
after ``invite_failures_per_hour`` failed attempts within an hour, every further attempt is
refused without looking at the token, and nothing more is recorded. Only failed attempts
are recorded (the limit counts nothing else). A student has at most
``OPEN_LINKS_PER_OWNER`` working links at once; the daily clean-up (``prune``) forgets
expired links and attempts older than the hour the limit looks back on. The same helpers
serve class links (services.classes).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.deps import Deps
from db import queries
from db.models import Student

PARENT_PREFIX = "p_"
CLASS_PREFIX = "c_"
# token_urlsafe(24) gives 32 characters; a deep-link payload may be at most 64 of [A-Za-z0-9_-].
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,62}")
_FAILURE_WINDOW = dt.timedelta(hours=1)
# Links of one student (or class) that work at once; a new one replaces the oldest. Enough
# for two parents and a spare, and no one can add rows without limit by asking again.
OPEN_LINKS_PER_OWNER = 3

LinkKind = Literal[
    "linked", "already_linked", "used", "expired", "invalid", "throttled", "own_link"
]


def new_token() -> str:
    """A fresh unguessable token (192 random bits, URL-safe)."""
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    """What is stored for a token: its SHA-256 in hex."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def valid_token(token: str) -> bool:
    """Whether ``token`` could be one of ours at all (length and alphabet)."""
    return _TOKEN.fullmatch(token) is not None


def language_from_client(language_code: str | None) -> str:
    """Bengali for a Bengali Telegram client, else English."""
    return "bn" if (language_code or "").startswith("bn") else "en"


async def caller_language(s: AsyncSession, *, telegram_id: int, language_code: str | None) -> str:
    """The language Dars already uses with this person (student, parent, teacher), else a guess."""
    student = await queries.students.get_student(s, telegram_id=telegram_id)
    if student is not None:
        return student.language
    guardian = await queries.families.get_guardian(s, telegram_id=telegram_id)
    if guardian is not None:
        return guardian.language
    teacher = await queries.classes.get_teacher(s, telegram_id=telegram_id)
    if teacher is not None:
        return teacher.language
    return language_from_client(language_code)


async def too_many_failures(
    deps: Deps, s: AsyncSession, *, telegram_id: int, now: dt.datetime
) -> bool:
    """Whether this person used up their failed link attempts for the last hour."""
    failures = await queries.families.count_failed_attempts(
        s, telegram_id=telegram_id, since=now - _FAILURE_WINDOW
    )
    return failures >= deps.settings.invite_failures_per_hour


@dataclass(frozen=True, slots=True)
class Invite:
    """A link to hand out: the deep-link payload and when it stops working."""

    payload: str
    expires_at: dt.datetime
    lang: str


async def create_parent_invite(deps: Deps, *, telegram_id: int) -> Invite | None:
    """A one-time link for a student's parent; None for someone not set up as a student."""
    now = deps.clock()
    token = new_token()
    async with deps.db.begin() as s:
        student = await queries.students.get_student(s, telegram_id=telegram_id)
        if student is None or student.grade is None:
            return None
        expires = now + dt.timedelta(hours=deps.settings.invite_ttl_hours)
        await queries.families.make_room_for_invite(
            s, kind="parent", student_id=student.id, keep=OPEN_LINKS_PER_OWNER, now=now
        )
        await queries.families.insert_invite(
            s,
            token_hash=hash_token(token),
            kind="parent",
            student_id=student.id,
            created_at=now,
            expires_at=expires,
        )
        lang = student.language
    return Invite(payload=PARENT_PREFIX + token, expires_at=expires, lang=lang)


@dataclass(frozen=True, slots=True)
class LinkOutcome:
    """What happened when someone opened a parent link; child fields only when linked."""

    kind: LinkKind
    lang: str
    child_name: str | None = None
    child_telegram_id: int | None = None
    child_lang: str = "en"
    # A new parent who is not a student: ask which language they want (Telegram's client
    # language is nearly always English in Bangladesh, so it cannot decide alone).
    ask_language: bool = False


async def redeem_parent_invite(
    deps: Deps, *, telegram_id: int, token: str, language_code: str | None
) -> LinkOutcome:
    """Link the person who opened a parent link to the student who made it (once per link)."""
    now = deps.clock()
    async with deps.db.begin() as s:
        lang = await caller_language(s, telegram_id=telegram_id, language_code=language_code)
        if await too_many_failures(deps, s, telegram_id=telegram_id, now=now):
            # Recording this too would let one person add rows without limit.
            return LinkOutcome(kind="throttled", lang=lang)
        outcome = await _redeem(deps, s, telegram_id, token, language_code, now, lang)
        if outcome.kind not in ("linked", "already_linked", "own_link"):
            await queries.families.record_invite_attempt(
                s, telegram_id=telegram_id, succeeded=False, now=now
            )
    return outcome


@dataclass(frozen=True, slots=True)
class Pruned:
    """What the daily clean-up removed."""

    invites: int
    attempts: int
    spend: int


async def prune(deps: Deps) -> Pruned:
    """Forget what no longer counts: expired links, link attempts older than the guessing
    limit's hour, and each person's model spending of days before today (UTC)."""
    now = deps.clock()
    async with deps.db.begin() as s:
        invites = await queries.families.delete_expired_invites(s, now=now)
        attempts = await queries.families.delete_attempts_before(s, before=now - _FAILURE_WINDOW)
        spend = await queries.spend.delete_spend_before(s, day=now.astimezone(dt.UTC).date())
    return Pruned(invites=invites, attempts=attempts, spend=spend)


async def _redeem(
    deps: Deps,
    s: AsyncSession,
    telegram_id: int,
    token: str,
    language_code: str | None,
    now: dt.datetime,
    lang: str,
) -> LinkOutcome:
    token_hash = hash_token(token) if valid_token(token) else None
    invite = (
        await queries.families.get_invite(s, token_hash=token_hash, kind="parent")
        if token_hash
        else None
    )
    student = await s.get(Student, invite.student_id) if invite and invite.student_id else None
    if invite is None or token_hash is None or student is None:
        return LinkOutcome(kind="invalid", lang=lang)
    if student.telegram_id == telegram_id:
        # A student testing their own link must not use it up.
        return LinkOutcome(kind="own_link", lang=lang)
    student_id = await queries.families.use_parent_invite(s, token_hash=token_hash, now=now)
    known = await queries.families.get_guardian(s, telegram_id=telegram_id) is not None
    if student_id is None:
        guardian = await queries.families.get_guardian(s, telegram_id=telegram_id)
        linked = await queries.families.children_of(s, guardian_telegram_id=telegram_id)
        if guardian is not None and student.id in {child.id for child in linked}:
            return LinkOutcome(kind="already_linked", lang=lang, child_name=student.name)
        # Used by someone else (maybe a moment ago, by a concurrent request) or expired.
        expired = invite.used_at is None and invite.expires_at <= now
        return LinkOutcome(kind="expired" if expired else "used", lang=lang)
    # A student who becomes a parent keeps their language (``lang`` is theirs).
    is_student = await queries.students.get_student(s, telegram_id=telegram_id) is not None
    guardian = await queries.families.create_guardian_once(
        s,
        telegram_id=telegram_id,
        language=lang,
        timezone=deps.settings.default_timezone,
        weekly_summary=True,
        daily_summary=False,
        reachable=True,
        created_at=now,
        updated_at=now,
    )
    if not guardian.reachable:
        guardian.reachable = True  # they wrote to us again
    await queries.families.link_guardian_once(
        s, guardian_id=guardian.id, student_id=student.id, now=now
    )
    return LinkOutcome(
        kind="linked",
        lang=guardian.language,
        child_name=student.name,
        child_telegram_id=student.telegram_id,
        child_lang=student.language,
        ask_language=not known and not is_student,
    )


async def language_of(deps: Deps, *, telegram_id: int, language_code: str | None) -> str:
    """The language this person chose in Dars (as a student, parent or teacher), else a
    guess from their Telegram client."""
    async with deps.db() as s:
        return await caller_language(s, telegram_id=telegram_id, language_code=language_code)


async def choose_language(deps: Deps, *, telegram_id: int, language: str) -> Role | None:
    """A parent or teacher picked their language (for every role they have); their role
    afterwards, or None for someone who is neither."""
    if language not in ("en", "bn"):
        return None
    async with deps.db.begin() as s:
        guardian = await queries.families.get_guardian(s, telegram_id=telegram_id)
        teacher = await queries.classes.get_teacher(s, telegram_id=telegram_id)
        if guardian is None and teacher is None:
            return None
        if guardian is not None:
            guardian.language = language
        if teacher is not None:
            teacher.language = language
            teacher.language_chosen = True
    return await role_of(deps, telegram_id=telegram_id, language_code=None)


async def needs_language(deps: Deps, *, telegram_id: int) -> bool:
    """A teacher (not a student) who has not chosen a language yet: ask before anything."""
    async with deps.db() as s:
        teacher = await queries.classes.get_teacher(s, telegram_id=telegram_id)
        if teacher is None or teacher.language_chosen:
            return False
        return await queries.students.get_student(s, telegram_id=telegram_id) is None


@dataclass(frozen=True, slots=True)
class UnlinkMenu:
    """What the caller could unlink: their parents (as a student), their children (as a parent)."""

    lang: str
    parents: int
    children: tuple[tuple[int, str], ...]


async def unlink_menu(deps: Deps, *, telegram_id: int, language_code: str | None) -> UnlinkMenu:
    """The links the caller has on either side."""
    async with deps.db() as s:
        lang = await caller_language(s, telegram_id=telegram_id, language_code=language_code)
        parents = await queries.families.guardians_of(s, student_telegram_id=telegram_id)
        children = await queries.families.children_of(s, guardian_telegram_id=telegram_id)
    return UnlinkMenu(
        lang=lang, parents=len(parents), children=tuple((c.id, c.name) for c in children)
    )


@dataclass(frozen=True, slots=True)
class UnlinkOutcome:
    kind: Literal["parents", "child", "nothing", "not_linked"]
    lang: str
    name: str | None = None


async def unlink(
    deps: Deps, *, telegram_id: int, choice: int | str | None, language_code: str | None
) -> UnlinkOutcome:
    """``"all"``: a student removes their parents; a student id: a parent stops following that
    child. Only the caller's own links are touched; any other id unlinks nobody."""
    async with deps.db.begin() as s:
        lang = await caller_language(s, telegram_id=telegram_id, language_code=language_code)
        if choice == "all":
            removed = await queries.families.delete_links_of_student(
                s, student_telegram_id=telegram_id
            )
            return UnlinkOutcome(kind="parents" if removed else "nothing", lang=lang)
        if not isinstance(choice, int):
            return UnlinkOutcome(kind="not_linked", lang=lang)
        # The name is read through the caller's own links: a forged id names nobody.
        own = await queries.families.children_of(s, guardian_telegram_id=telegram_id)
        child = next((c for c in own if c.id == choice), None)
        if child is None or not await queries.families.delete_guardian_link(
            s, guardian_telegram_id=telegram_id, student_id=child.id
        ):
            return UnlinkOutcome(kind="not_linked", lang=lang)
        return UnlinkOutcome(kind="child", lang=lang, name=child.name)


@dataclass(frozen=True, slots=True)
class ParentSettings:
    lang: str
    weekly: bool
    daily: bool


async def change_parent_setting(
    deps: Deps, *, telegram_id: int, setting: str
) -> ParentSettings | None:
    """Toggle the weekly or daily summary, or switch language; None for someone not a parent."""
    async with deps.db.begin() as s:
        guardian = await queries.families.get_guardian(s, telegram_id=telegram_id)
        if guardian is None:
            return None
        if setting == "weekly":
            guardian.weekly_summary = not guardian.weekly_summary
        elif setting == "daily":
            guardian.daily_summary = not guardian.daily_summary
        elif setting == "lang":
            guardian.language = "en" if guardian.language == "bn" else "bn"
        guardian.updated_at = deps.clock()
        return ParentSettings(
            lang=guardian.language, weekly=guardian.weekly_summary, daily=guardian.daily_summary
        )


@dataclass(frozen=True, slots=True)
class Role:
    """Who someone is to Dars, for greeting people who are not (yet) students."""

    lang: str
    student: bool
    guardian: bool
    teacher: bool
    children: tuple[str, ...] = ()


async def role_of(deps: Deps, *, telegram_id: int, language_code: str | None) -> Role:
    """Whether this person is a student, a parent (and of whom) and/or a teacher."""
    async with deps.db() as s:
        student = await queries.students.get_student(s, telegram_id=telegram_id)
        if student is not None:  # the common case (every student's /start): one query
            return Role(lang=student.language, student=True, guardian=False, teacher=False)
        lang = await caller_language(s, telegram_id=telegram_id, language_code=language_code)
        guardian = await queries.families.get_guardian(s, telegram_id=telegram_id)
        teacher = await queries.classes.get_teacher(s, telegram_id=telegram_id)
        children = (
            await queries.families.children_of(s, guardian_telegram_id=telegram_id)
            if guardian
            else []
        )
    return Role(
        lang=lang,
        student=False,
        guardian=guardian is not None,
        teacher=teacher is not None,
        children=tuple(c.name for c in children),
    )
