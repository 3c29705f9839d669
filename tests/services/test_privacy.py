"""/delete_my_data for a teacher: the account and its classes go, students stay."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.services import classes, privacy
from db.models import ClassMember, SchoolClass, Student, Teacher
from tests.helpers import onboard


async def test_a_teacher_can_delete_their_data(deps, loaded_bank) -> None:
    await classes.add_teacher(deps, telegram_id=700, actor_telegram_id=1, via="cli")
    link = await classes.create_class(deps, telegram_id=700, name="7A")
    assert link.kind == "created"
    await onboard(deps, 701)
    before = await privacy.holdings(deps, telegram_id=700, language_code="en")
    assert before.teacher and not before.student and before.anything
    done = await privacy.delete_my_data(deps, telegram_id=700, language_code="en")
    assert done.teacher
    async with deps.db() as s:
        assert await s.scalar(select(func.count()).select_from(Teacher)) == 0
        assert await s.scalar(select(func.count()).select_from(SchoolClass)) == 0
        assert await s.scalar(select(func.count()).select_from(ClassMember)) == 0
        assert await s.scalar(select(func.count()).select_from(Student)) == 1
    after = await privacy.holdings(deps, telegram_id=700, language_code="en")
    assert not after.anything
