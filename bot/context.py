"""What every handler and job gets from PTB: a typed context instead of ``bot_data`` keys.

``build_application`` fills ``BotData`` in ``post_init``; callbacks read ``context.deps``
and ``context.sender`` (PTB's ``contexttypesbot.py`` example shows the pattern).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.services.deps import Deps

if TYPE_CHECKING:  # the jobs use this module's context: no import at run time
    from bot.jobs.sender import RateLimitedSender


class BotData:
    """Shared by the whole application (PTB's ``bot_data``)."""

    def __init__(self) -> None:
        self.deps: Deps | None = None
        self.sender: RateLimitedSender | None = None
        # Set when post_init created the engine itself (then post_shutdown disposes of it).
        self.engine: AsyncEngine | None = None


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """The context of every callback: the use cases' dependencies and the job sender."""

    @property
    def deps(self) -> Deps:
        return deps_of(self.application)

    @property
    def sender(self) -> RateLimitedSender:
        sender = self.bot_data.sender
        assert sender is not None, "the sender is made in post_init"
        return sender


CONTEXT_TYPES = ContextTypes(context=BotContext, bot_data=BotData)


def deps_of(app: Application[Any, Any, Any, Any, Any, Any]) -> Deps:
    """The dependencies of a started application."""
    deps = app.bot_data.deps
    assert deps is not None, "deps are made in post_init"
    return deps
