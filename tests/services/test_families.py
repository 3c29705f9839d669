"""Parents, invites, summaries, scheduled-summary selection and data deletion, on both engines."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from decimal import Decimal

from sqlalchemy import func, select

from bot.services import classes, families, practice, privacy, students, summaries
from bot.services.deps import Deps
from bot.services.llm.budget import user_key
from db import queries
from db.models import (
    ClassMember,
    Guardian,
    GuardianLink,
    InviteAttempt,
    InviteCode,
    LlmSpend,
    LlmUserSpend,
    PracticeSession,
    Problem,
    Response,
    Streak,
    Student,
)
from tests.conftest import FakeClock
from tests.helpers import next_update_id, right_answer, wrong_answer

STUDENT, PARENT, OTHER = 6100001, 6200001, 6200002


async def make_student(
    deps: Deps, telegram_id: int, name: str = "Rafi", *, language: str = "en", grade: int = 6
) -> int:
    """An onboarded student called ``name``; returns their id."""
    await students.start(deps, telegram_id=telegram_id, first_name=name, language_code=None)
    await students.set_language(deps, telegram_id=telegram_id, language=language)
    await students.set_grade(deps, telegram_id=telegram_id, grade=grade)
    async with deps.db() as s:
        student = await s.scalar(select(Student).where(Student.telegram_id == telegram_id))
        assert student is not None
        return student.id


async def link_parent(
    deps: Deps, student_tid: int, parent_tid: int, *, language_code: str = "en"
) -> None:
    invite = await families.create_parent_invite(deps, telegram_id=student_tid)
    assert invite is not None
    outcome = await families.redeem_parent_invite(
        deps, telegram_id=parent_tid, token=invite.payload[2:], language_code=language_code
    )
    assert outcome.kind == "linked", outcome


async def finish_session(
    deps: Deps, telegram_id: int, *, right: bool = True, hints_on_first: int = 0
) -> None:
    """Play today's session to the end, all right or all wrong."""
    outcome = await practice.start_practice(deps, telegram_id=telegram_id)
    assert outcome.problem is not None
    view = outcome.problem
    for level in range(1, hints_on_first + 1):
        await practice.request_hint(
            deps,
            telegram_id=telegram_id,
            session_id=view.session_id,
            position=view.position,
            level=level,
        )
    card = view.card
    while True:
        answer = right_answer(card) if right else wrong_answer(card)
        result = await practice.submit_answer(
            deps, telegram_id=telegram_id, answer=answer, update_id=next_update_id()
        )
        if result.summary is not None:
            return
        if result.next_problem is not None:
            card = result.next_problem.card


async def _count(deps: Deps, model: type, *where) -> int:
    async with deps.db() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_invite_is_one_time_and_stored_only_as_a_hash(deps: Deps, loaded_bank) -> None:
    await make_student(deps, STUDENT, "Rafi", language="en")
    invite = await families.create_parent_invite(deps, telegram_id=STUDENT)
    assert invite is not None
    assert re.fullmatch(r"p_[A-Za-z0-9_-]{32}", invite.payload) and len(invite.payload) <= 64
    token = invite.payload[2:]
    async with deps.db() as s:
        row = await s.scalar(select(InviteCode))
    assert row is not None
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(vars(row))
    assert row.expires_at == deps.clock() + dt.timedelta(hours=24)

    linked = await families.redeem_parent_invite(
        deps, telegram_id=PARENT, token=token, language_code="bn-BD"
    )
    assert (linked.kind, linked.lang, linked.child_name) == ("linked", "bn", "Rafi")
    assert (linked.child_telegram_id, linked.child_lang) == (STUDENT, "en")
    async with deps.db() as s:
        guardian = await s.scalar(select(Guardian))
    assert guardian is not None
    assert (guardian.telegram_id, guardian.language, guardian.timezone) == (
        PARENT,
        "bn",
        "Asia/Dhaka",
    )
    again = await families.redeem_parent_invite(
        deps, telegram_id=PARENT, token=token, language_code="bn"
    )
    assert again.kind == "already_linked"
    stranger = await families.redeem_parent_invite(
        deps, telegram_id=OTHER, token=token, language_code="en"
    )
    assert stranger.kind == "used"
    assert await _count(deps, GuardianLink) == 1
    # Only the failed attempt is recorded: the guessing limit counts nothing else.
    assert await _count(deps, InviteAttempt) == 1


async def test_expired_own_and_unknown_links(deps: Deps, loaded_bank) -> None:
    clock: FakeClock = deps.clock  # type: ignore[assignment]
    await make_student(deps, STUDENT)
    invite = await families.create_parent_invite(deps, telegram_id=STUDENT)
    assert invite is not None
    token = invite.payload[2:]
    own = await families.redeem_parent_invite(
        deps, telegram_id=STUDENT, token=token, language_code="en"
    )
    assert own.kind == "own_link"
    unknown = await families.redeem_parent_invite(
        deps, telegram_id=PARENT, token="x" * 32, language_code="en"
    )
    assert unknown.kind == "invalid"
    malformed = await families.redeem_parent_invite(
        deps, telegram_id=PARENT, token="<script>", language_code="en"
    )
    assert malformed.kind == "invalid"
    clock.advance(hours=25)
    expired = await families.redeem_parent_invite(
        deps, telegram_id=PARENT, token=token, language_code="en"
    )
    assert expired.kind == "expired"
    assert await _count(deps, GuardianLink) == 0
    assert await families.create_parent_invite(deps, telegram_id=OTHER) is None  # not a student


async def test_guessing_is_refused_after_five_failures_an_hour(deps: Deps, loaded_bank) -> None:
    clock: FakeClock = deps.clock  # type: ignore[assignment]
    await make_student(deps, STUDENT)
    invite = await families.create_parent_invite(deps, telegram_id=STUDENT)
    assert invite is not None
    for i in range(5):
        wrong = await families.redeem_parent_invite(
            deps, telegram_id=PARENT, token=f"guess{i:027d}", language_code="en"
        )
        assert wrong.kind == "invalid"
        clock.advance(minutes=1)
    refused = await families.redeem_parent_invite(
        deps, telegram_id=PARENT, token=invite.payload[2:], language_code="en"
    )
    assert refused.kind == "throttled"
    # The refused attempt itself is not recorded: nobody can add rows without limit.
    assert await _count(deps, InviteAttempt, InviteAttempt.succeeded.is_(False)) == 5
    # Someone else is not affected; and an hour after the guesses the parent may try again.
    clock.advance(minutes=60)
    linked = await families.redeem_parent_invite(
        deps, telegram_id=PARENT, token=invite.payload[2:], language_code="en"
    )
    assert linked.kind == "linked"


async def test_unlink_from_both_sides(deps: Deps, loaded_bank) -> None:
    first = await make_student(deps, STUDENT, "Rafi")
    second = await make_student(deps, STUDENT + 1, "Nila")
    await link_parent(deps, STUDENT, PARENT)
    await link_parent(deps, STUDENT + 1, PARENT)
    await link_parent(deps, STUDENT + 1, OTHER)

    menu = await families.unlink_menu(deps, telegram_id=PARENT, language_code=None)
    assert (menu.parents, menu.children) == (0, ((second, "Nila"), (first, "Rafi")))

    async def unlink(telegram_id: int, choice: int | str | None) -> tuple[str, str | None]:
        outcome = await families.unlink(
            deps, telegram_id=telegram_id, choice=choice, language_code=None
        )
        return outcome.kind, outcome.name

    assert await unlink(OTHER, first) == ("not_linked", None)
    assert await unlink(PARENT, first) == ("child", "Rafi")
    assert await unlink(PARENT, first) == ("not_linked", None)
    assert await unlink(PARENT, None) == ("not_linked", None)

    student_menu = await families.unlink_menu(deps, telegram_id=STUDENT + 1, language_code=None)
    assert (student_menu.parents, student_menu.children) == (2, ())
    assert await unlink(STUDENT + 1, "all") == ("parents", None)
    assert await _count(deps, GuardianLink) == 0
    assert await unlink(STUDENT + 1, "all") == ("nothing", None)


async def test_parent_report_counts_the_childs_last_seven_local_days(
    deps: Deps, loaded_bank
) -> None:
    clock: FakeClock = deps.clock  # type: ignore[assignment]
    await make_student(deps, STUDENT, "Rafi", language="en")
    await link_parent(deps, STUDENT, PARENT, language_code="bn")
    clock.set_local("2026-03-08T23:50")  # Sunday, late evening in Dhaka
    await finish_session(deps, STUDENT, right=False)
    clock.set_local("2026-03-10T00:20")  # Tuesday, just after midnight (still Monday in UTC)
    await finish_session(deps, STUDENT, right=True, hints_on_first=2)

    report = await summaries.parent_report(deps, telegram_id=PARENT)
    assert report is not None and report.lang == "bn"
    (child,) = report.children
    assert child.name == "Rafi"
    assert child.days == (False, False, False, False, True, False, True)
    assert (child.solved, child.answers, child.hints) == (5, 15, 2)
    assert child.accuracy == 33
    assert (child.streak_current, child.streak_longest) == (1, 1)
    async with deps.db() as s:
        rows = (await s.execute(select(Problem.topic, Response.is_correct).join(Response))).all()
    tally: dict[str, list[int]] = {}
    for topic, is_correct in rows:
        tally.setdefault(topic, []).append(int(is_correct))
    worst = min(sum(v) / len(v) for v in tally.values() if len(v) >= 2)
    assert child.weakest_topic is not None
    assert sum(tally[child.weakest_topic]) / len(tally[child.weakest_topic]) == worst
    assert child.weakest_accuracy == round(100 * worst)
    assert await summaries.parent_report(deps, telegram_id=OTHER) is None


async def test_due_summaries_follow_the_parents_sunday_evening(deps: Deps, loaded_bank) -> None:
    clock: FakeClock = deps.clock  # type: ignore[assignment]
    await make_student(deps, STUDENT)
    await link_parent(deps, STUDENT, PARENT)
    await link_parent(deps, STUDENT, OTHER)
    await families.change_parent_setting(deps, telegram_id=OTHER, setting="daily")

    clock.set_local("2026-03-14T20:00")  # Saturday evening: only the daily one
    due = await summaries.due_summaries(deps, now=clock())
    assert [(d.kind, d.chat_id, d.period) for d in due] == [("daily_parent", OTHER, "2026-03-14")]
    clock.set_local("2026-03-15T18:59")  # Sunday, before 19:00
    assert await summaries.due_summaries(deps, now=clock()) == []
    clock.set_local("2026-03-15T19:00")
    due = await summaries.due_summaries(deps, now=clock())
    assert {(d.kind, d.chat_id, d.period) for d in due} == {
        ("weekly_parent", PARENT, "2026-W11"),
        ("weekly_parent", OTHER, "2026-W11"),
    }
    await families.change_parent_setting(deps, telegram_id=PARENT, setting="weekly")
    due = await summaries.due_summaries(deps, now=clock())
    assert [d.chat_id for d in due] == [OTHER]


async def test_teacher_class_and_group_summaries_are_due_on_sunday(
    deps: Deps, loaded_bank
) -> None:
    clock: FakeClock = deps.clock  # type: ignore[assignment]
    teacher = 6300001
    await classes.add_teacher(deps, telegram_id=teacher, actor_telegram_id=1, via="test")
    link = await classes.create_class(deps, telegram_id=teacher, name="7B")
    await make_student(deps, STUDENT, "Rafi")
    joined = await classes.open_class_link(
        deps, telegram_id=STUDENT, token=link.payload[2:], language_code=None, join=True
    )
    assert joined.kind == "joined"
    choice = await classes.choose_group_class(
        deps, telegram_id=teacher, chat_id=-100777, name=None
    )
    assert choice.kind == "ok"
    clock.set_local("2026-03-15T19:30")
    due = await summaries.due_summaries(deps, now=clock())
    assert {(d.kind, d.chat_id, d.owner_id) for d in due} == {
        ("weekly_class", teacher, teacher),
        ("weekly_group", -100777, teacher),
    }


async def test_delete_my_data_keeps_anonymous_answers(deps: Deps, loaded_bank) -> None:
    teacher = 6300001
    await classes.add_teacher(deps, telegram_id=teacher, actor_telegram_id=1, via="test")
    link = await classes.create_class(deps, telegram_id=teacher, name="7B")
    await make_student(deps, STUDENT, "Rafi")
    await classes.open_class_link(
        deps, telegram_id=STUDENT, token=link.payload[2:], language_code=None, join=True
    )
    await link_parent(deps, STUDENT, PARENT)
    await finish_session(deps, STUDENT)
    answers = await _count(deps, Response)
    assert answers == 5
    async with deps.db.begin() as s:  # and the model was paid for one of their answers
        student = await queries.students.get_student(s, telegram_id=STUDENT)
        assert student is not None
        await queries.spend.reserve_llm_call(
            s,
            day=dt.date(2026, 3, 10),
            cost=Decimal("0.001"),
            global_cap=Decimal(1),
            student_cap=Decimal(1),
            operation="answer_evaluation",
            model="m",
            student_id=student.id,
            problem_id=None,
            created_at=dt.datetime(2026, 3, 10, 6, tzinfo=dt.UTC),
            user_key=user_key(deps.settings, STUDENT),
        )
    assert await _count(deps, LlmSpend) == await _count(deps, LlmUserSpend) == 1

    held = await privacy.holdings(deps, telegram_id=STUDENT, language_code=None)
    assert (held.student, held.guardian) == (True, False)
    done = await privacy.delete_my_data(deps, telegram_id=STUDENT, language_code=None)
    assert (done.student, done.lang) == (True, "en")
    assert await _count(deps, Student) == 0
    assert await _count(deps, Response) == answers
    assert await _count(deps, Response, Response.student_id.is_(None)) == answers
    assert await _count(deps, PracticeSession, PracticeSession.student_id.is_(None)) == 1
    for model in (Streak, GuardianLink, ClassMember):
        assert await _count(deps, model) == 0, model
    assert await _count(deps, InviteCode, InviteCode.kind == "parent") == 0
    # The day's totals stay, theirs too (under a keyed hash, not their id): starting again
    # does not give a fresh budget.
    assert await _count(deps, LlmSpend) == await _count(deps, LlmSpend, LlmSpend.scope == 0) == 1
    assert await _count(deps, LlmUserSpend) == 1
    # A later /start starts fresh.
    profile, created = await students.start(
        deps, telegram_id=STUDENT, first_name="Rafi", language_code=None
    )
    assert created and not profile.onboarded

    gone = await privacy.delete_my_data(deps, telegram_id=PARENT, language_code="bn")
    assert (gone.student, gone.guardian) == (False, True)
    assert await _count(deps, Guardian) == 0
    nothing = await privacy.delete_my_data(deps, telegram_id=OTHER, language_code="bn")
    assert not nothing.anything and nothing.lang == "bn"
