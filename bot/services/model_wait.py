"""What happens while an update waits seconds for the language model.

A service wraps each model call in ``async with waiting_for_model():``. Two hooks, set per
update in context variables, decide what that does:

* ``bot/app.py`` (``PerUserUpdateProcessor``) sets ``park``: the update gives its processing
  slot to other students while it waits, and takes a model slot afterwards;
* ``bot/serving/webhook.py`` sets ``started``: Telegram's webhook request is answered as the
  wait begins, instead of seconds later.

Unset (tests of services, jobs), waiting does nothing special.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar

Park = Callable[[], AbstractAsyncContextManager[None]]

_park: ContextVar[Park | None] = ContextVar("model_wait_park", default=None)
_started: ContextVar[Callable[[], None] | None] = ContextVar("model_wait_started", default=None)


@contextlib.contextmanager
def parking(park: Park) -> Iterator[None]:
    """For the update processor: how the current update steps aside while it waits."""
    token = _park.set(park)
    try:
        yield
    finally:
        _park.reset(token)


@contextlib.contextmanager
def on_wait_started(started: Callable[[], None]) -> Iterator[None]:
    """For the webhook server: what to call when the current update starts waiting."""
    token = _started.set(started)
    try:
        yield
    finally:
        _started.reset(token)


@contextlib.asynccontextmanager
async def waiting_for_model() -> AsyncIterator[None]:
    """Around a language-model call: let other students' updates run meanwhile."""
    started = _started.get()
    if started is not None:
        started()
    park = _park.get()
    if park is None:
        yield
        return
    async with park():
        yield
