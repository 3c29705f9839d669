"""The language-model metrics: calls and cost by operation and status, budget refusals.
The model is the fake OpenAI-compatible server of tests/fakes (real HTTP, the real SDK)."""

from __future__ import annotations

from decimal import Decimal

from prometheus_client import REGISTRY

from bot.services.llm.prompts import HINT_GENERATION
from tests.fakes.openai_server import FakeReply
from tests.services.test_llm import (
    NUMERIC_KEY,
    TELEGRAM_ID,
    card,
    fake,
    hint_json,
    loaded_bank,
    make_tutor,
    student_id,
)

__all__ = ["fake", "loaded_bank", "make_tutor"]  # fixtures


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_model_calls_cost_and_refusals_are_counted(make_tutor, fake, deps, loaded_bank):
    problem = await card(deps, NUMERIC_KEY)
    sid = await student_id(deps, TELEGRAM_ID)
    ok = ("dars_model_calls_total", {"operation": HINT_GENERATION, "status": "ok"})
    cost = ("dars_model_cost_usd_total", {"operation": HINT_GENERATION})
    refused = ("dars_budget_refusals_total", {"budget": "student"})
    before = {name: _value(name, **labels) for name, labels in (ok, cost, refused)}

    fake.reply(
        FakeReply(hint_json("Think about 23 - 9."), prompt_tokens=1000, completion_tokens=50)
    )
    assert await make_tutor().generate_hint(card=problem, language="en", level=1, student_id=sid)
    # With a smaller cap the student's day is spent: refused, and the model is not called.
    capped = make_tutor(llm_daily_budget_per_student_usd=Decimal("0.0001"))
    assert await capped.generate_hint(card=problem, language="en", level=2, student_id=sid) is None
    assert fake.calls == 1

    def delta(metric: tuple[str, dict[str, str]]) -> float:
        return _value(metric[0], **metric[1]) - before[metric[0]]

    assert delta(ok) == 1
    # 1000 input tokens at $0.15/M and 50 output at $0.60/M.
    assert abs(delta(cost) - 0.00018) < 1e-9
    assert delta(refused) == 1
