"""The model's work runs at low priority on the one event loop (bot.priority): students'
quick updates first, the model's steps one per turn of the loop, and never starved."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bot.priority import StepGate, Stepped


class LoopTurns:
    """Counts the event loop's turns: a callback that schedules itself for the next one."""

    def __init__(self) -> None:
        self.count = 0
        self._stopped = False
        asyncio.get_running_loop().call_soon(self._tick)

    def _tick(self) -> None:
        if not self._stopped:
            self.count += 1
            asyncio.get_running_loop().call_soon(self._tick)

    def stop(self) -> None:
        self._stopped = True


async def _low(gate: StepGate, coroutine: object) -> object:
    stepped = Stepped(coroutine, gate)  # type: ignore[arg-type]
    stepped.low = True
    return await stepped


async def test_the_model_s_steps_wait_while_a_student_s_update_is_in_progress() -> None:
    gate = StepGate(patience=5.0)
    events: list[str] = []
    answer_done = asyncio.Event()

    async def verdict() -> None:
        for n in range(3):
            events.append(f"verdict step {n}")
            await asyncio.sleep(0)

    gate.high_started()  # a student's answer is being graded

    async def answer() -> None:
        for n in range(3):
            events.append(f"answer step {n}")
            await asyncio.sleep(0.001)
        gate.high_finished()
        answer_done.set()

    graded = asyncio.create_task(answer())
    await asyncio.sleep(0)
    model = asyncio.create_task(_low(gate, verdict()))
    await asyncio.gather(graded, model)
    # The verdict's first step had started; its others waited for the answer to finish.
    assert events.index("answer step 2") < events.index("verdict step 1")


async def test_the_model_s_steps_go_one_per_turn_of_the_loop() -> None:
    """A burst of verdicts back from the model cannot run back to back: whatever else
    became ready (a student's update) runs between any two of their steps."""
    gate = StepGate(patience=5.0)
    turns = LoopTurns()
    seen: list[int] = []

    async def verdict() -> None:
        for _ in range(5):
            seen.append(turns.count)
            await asyncio.sleep(0)

    await asyncio.gather(*(_low(gate, verdict()) for _ in range(10)))
    turns.stop()
    assert len(seen) == 50
    assert len(set(seen)) == 50, "two low-priority steps ran in one turn of the loop"

    # Without the gate the same steps share turns: the check above can fail.
    seen.clear()
    turns = LoopTurns()
    await asyncio.gather(*(verdict() for _ in range(10)))
    turns.stop()
    assert len(set(seen)) < len(seen)


async def test_under_constant_load_the_model_s_work_still_goes_on() -> None:
    gate = StepGate(patience=0.02)
    gate.high_started()  # an update that never finishes
    loop = asyncio.get_running_loop()

    async def verdict() -> str:
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return "verdict"

    began = loop.time()
    assert await _low(gate, verdict()) == "verdict"
    waited = loop.time() - began
    # Three steps (the first and the two after each sleep), each waiting its patience.
    assert 0.02 * 2 <= waited < 1.0


async def test_values_and_errors_pass_through_unchanged() -> None:
    gate = StepGate(patience=0.01)

    async def fails() -> None:
        await asyncio.sleep(0)
        raise LookupError("no such problem")

    async def catches() -> str:
        try:
            await asyncio.sleep(0.001)
            raise ValueError("bad")
        except ValueError:
            await asyncio.sleep(0)
            return "handled"

    with pytest.raises(LookupError, match="no such problem"):
        await _low(gate, fails())
    assert await _low(gate, catches()) == "handled"
    # The gate is free again: a fresh low step goes at once.
    assert await _low(gate, asyncio.sleep(0, result=7)) == 7


@pytest.mark.parametrize("when", ["queued", "given the turn"])
async def test_a_cancelled_update_hears_it_and_passes_its_turn_on(when: str) -> None:
    gate = StepGate(patience=5.0)
    cleaned_up = asyncio.Event()
    counter = itertools.count()

    async def cancelled_verdict() -> None:
        try:
            while True:
                next(counter)
                await asyncio.sleep(0)
        finally:
            cleaned_up.set()

    stepped = Stepped(cancelled_verdict(), gate)

    async def update() -> None:
        await stepped

    doomed = asyncio.create_task(update())
    await asyncio.sleep(0)  # it has started ...
    stepped.low = True  # ... and now waits for the model
    gate.high_started()  # a student's update holds its next step back
    await asyncio.sleep(0.01)
    if when == "given the turn":
        gate.high_finished()  # the turn is handed to it ...
        doomed.cancel()  # ... and it is cancelled before it could use it
    else:
        doomed.cancel()
        gate.high_finished()
    with pytest.raises(asyncio.CancelledError):
        await doomed
    assert cleaned_up.is_set()
    # Nobody holds the turn: the next verdict goes.
    async with asyncio.timeout(1):
        assert await _low(gate, asyncio.sleep(0, result="next")) == "next"
