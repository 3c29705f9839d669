"""Two priorities on one event loop: students' quick updates first, the model's work after.

asyncio runs whatever is ready in arrival order, so when a burst of language-model answers
comes back together, each verdict's parsing, writes and reply run back to back while a
rule-graded answer that arrived meanwhile waits behind all of them (bench/RESULTS.md). A
student who has waited seconds for the model does not notice a few milliseconds more; a
student whose answer is graded in milliseconds does.

``Stepped`` awaits an update's coroutine itself, one step (the code between two awaits) at a
time. Until it is marked ``low`` it adds nothing. Once low (the update has started waiting
for the model), every further step first takes its turn at the ``StepGate``: low steps go
one per turn of the event loop, so whatever else became ready runs between any two of them,
and not at all while a high-priority update is in progress, unless a step has waited
``patience`` seconds (so under constant load the model's work still goes on).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Generator
from typing import Any


class _Turn:
    __slots__ = ("due", "future")

    def __init__(self, future: asyncio.Future[None]) -> None:
        self.future = future
        self.due = False  # waited its patience out: goes even while high work is in progress


class StepGate:
    """Decides when a low-priority step may run (see the module's docstring)."""

    def __init__(self, *, patience: float) -> None:
        self._patience = patience
        self._high = 0  # high-priority updates in progress
        self._queue: deque[_Turn] = deque()
        self._busy = False  # a low step has the current turn of the loop

    def high_started(self) -> None:
        self._high += 1

    def high_finished(self) -> None:
        self._high -= 1
        self._next()

    def take_turn(self) -> Generator[Any, None, None]:
        """Wait (a generator, for ``Stepped``) until this low step may run."""
        if not self._busy and not self._high and not self._queue:
            self._busy = True
            return
        loop = asyncio.get_running_loop()
        turn = _Turn(loop.create_future())
        timer = loop.call_later(self._patience, self._due, turn)
        self._queue.append(turn)
        try:
            yield from turn.future.__await__()
        except BaseException:
            # Cancelled while waiting, or given the turn and cancelled before it could use
            # it: either way the next in line goes.
            if turn.future.done() and not turn.future.cancelled():
                self._busy = False
            else:
                turn.future.cancel()  # _next drops it from the queue
            self._next()
            raise
        finally:
            timer.cancel()

    def end_turn(self) -> None:
        """The low step that had the turn is done; the next goes on the loop's next turn,
        so that whatever became ready meanwhile runs first."""
        asyncio.get_running_loop().call_soon(self._free)

    def _free(self) -> None:
        self._busy = False
        self._next()

    def _due(self, turn: _Turn) -> None:
        turn.due = True
        self._next()

    def _next(self) -> None:
        while self._queue and self._queue[0].future.done():
            self._queue.popleft()  # cancelled; its task has not heard it yet
        if self._busy or not self._queue:
            return
        head = self._queue[0]
        if self._high and not head.due:
            return
        self._queue.popleft()
        self._busy = True
        head.future.set_result(None)


class Stepped:
    """Await ``awaitable`` step by step; once ``low`` is set, each step waits for its turn."""

    __slots__ = ("_awaitable", "_gate", "low")

    def __init__(self, awaitable: Awaitable[Any], gate: StepGate) -> None:
        self._awaitable = awaitable
        self._gate = gate
        self.low = False

    def __await__(self) -> Generator[Any, None, Any]:
        steps = self._awaitable.__await__()
        gate = self._gate
        value: Any = None
        error: BaseException | None = None
        while True:
            took = False
            if self.low:
                try:
                    yield from gate.take_turn()
                except BaseException as exc:  # cancelled while waiting: the update hears it
                    error = exc
                else:
                    took = True
            try:
                step = steps.send(value) if error is None else steps.throw(error)
            except StopIteration as stop:
                return stop.value
            finally:
                if took:
                    gate.end_turn()
            value, error = None, None
            try:
                value = yield step
            except BaseException as exc:
                error = exc
