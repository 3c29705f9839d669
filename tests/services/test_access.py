"""Parents and teachers only ever reach their own students, whatever ids they send."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.services import classes, families, summaries
from bot.services.deps import Deps
from db.models import ClassMember, GuardianLink
from tests.services.test_families import link_parent, make_student

PARENTS, CHILDREN = 20, 30
CHILD_TID, PARENT_TID = 7_000_000, 7_100_000


def child_name(i: int) -> str:
    # Distinct and never a substring of another ("Kid1" would hide inside "Kid10").
    return f"Kid{i:02d}Q"


async def _families(deps: Deps) -> tuple[dict[int, set[int]], dict[int, str]]:
    """30 children, each linked to parent (i % 20): parents 0–9 have two, 10–19 one."""
    own: dict[int, set[int]] = {p: set() for p in range(PARENTS)}
    names: dict[int, str] = {}
    for i in range(CHILDREN):
        student_id = await make_student(deps, CHILD_TID + i, child_name(i))
        names[student_id] = child_name(i)
        await link_parent(deps, CHILD_TID + i, PARENT_TID + i % PARENTS)
        own[i % PARENTS].add(student_id)
    return own, names


async def test_parents_see_and_unlink_only_their_own_children(deps: Deps, loaded_bank) -> None:
    own, names = await _families(deps)
    for parent in range(PARENTS):
        tid = PARENT_TID + parent
        report = await summaries.parent_report(deps, telegram_id=tid)
        assert report is not None
        assert {c.student_id for c in report.children} == own[parent]
        assert {c.name for c in report.children} == {names[i] for i in own[parent]}
        menu = await families.unlink_menu(deps, telegram_id=tid, language_code=None)
        assert {child_id for child_id, _ in menu.children} == own[parent]
        role = await families.role_of(deps, telegram_id=tid, language_code=None)
        assert set(role.children) == {names[i] for i in own[parent]}
        # Forged callback data: every other family's child, and ids that do not exist.
        for other in [*(set(names) - own[parent]), 0, -1, 10**12]:
            forged = await families.unlink(deps, telegram_id=tid, choice=other, language_code=None)
            assert (forged.kind, forged.name) == ("not_linked", None)
    async with deps.db() as s:
        assert await s.scalar(select(func.count()).select_from(GuardianLink)) == CHILDREN
    # A child cannot unlink someone else's parents: only their own links are touched.
    own_only = await families.unlink(deps, telegram_id=CHILD_TID, choice="all", language_code=None)
    assert own_only.kind == "parents"
    async with deps.db() as s:
        assert await s.scalar(select(func.count()).select_from(GuardianLink)) == CHILDREN - 1
    # Strangers see nothing at all.
    assert await summaries.parent_report(deps, telegram_id=CHILD_TID + 5) is None
    nobody = await families.unlink(deps, telegram_id=1, choice=1, language_code=None)
    assert nobody.kind == "not_linked"


async def test_teachers_reach_only_their_own_classes(deps: Deps, loaded_bank) -> None:
    teacher_a, teacher_b = 7_200_001, 7_200_002
    for teacher in (teacher_a, teacher_b):
        await classes.add_teacher(deps, telegram_id=teacher, actor_telegram_id=1, via="test")
    link_a = await classes.create_class(deps, telegram_id=teacher_a, name="Class A")
    link_b = await classes.create_class(deps, telegram_id=teacher_b, name="Class B")
    for i in range(6):
        await make_student(deps, CHILD_TID + i, child_name(i))
        link = link_a if i < 3 else link_b
        joined = await classes.open_class_link(
            deps, telegram_id=CHILD_TID + i, token=link.payload[2:], language_code=None, join=True
        )
        assert joined.kind == "joined"
    report_a = await summaries.teacher_report(deps, telegram_id=teacher_a)
    assert report_a is not None
    (class_a,) = report_a.classes
    assert {s.name for s in class_a.students} == {child_name(i) for i in range(3)}
    report_b = await summaries.teacher_report(deps, telegram_id=teacher_b)
    assert report_b is not None
    class_b_id = report_b.classes[0].class_id

    # Teacher A with teacher B's class id, or name: nothing.
    forged = await summaries.teacher_report(deps, telegram_id=teacher_a, class_id=class_b_id)
    assert forged is not None and forged.classes == ()
    link = await classes.new_class_link(deps, telegram_id=teacher_a, class_id=class_b_id)
    assert link.kind == "not_found" and link.payload == ""
    choice = await classes.choose_group_class(
        deps, telegram_id=teacher_a, chat_id=-1001, name="Class B"
    )
    assert choice.kind == "not_found"
    # Students and parents are not teachers.
    assert await summaries.teacher_report(deps, telegram_id=CHILD_TID) is None
    not_teacher = await classes.new_class_link(deps, telegram_id=CHILD_TID, class_id=class_b_id)
    assert not_teacher.kind == "not_teacher"
    # A forged Join token joins nothing.
    forged_join = await classes.open_class_link(
        deps, telegram_id=CHILD_TID, token="A" * 32, language_code=None, join=True
    )
    assert forged_join.kind == "invalid"
    async with deps.db() as s:
        assert await s.scalar(select(func.count()).select_from(ClassMember)) == 6
