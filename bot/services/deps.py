"""What every use case needs, built once by the application: database, settings, clock, caches."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.services.cards import ProblemCache
from bot.services.clock import Clock, system_clock
from bot.services.llm import LanguageModel


@dataclass
class Deps:
    db: async_sessionmaker[AsyncSession]
    settings: Settings
    clock: Clock = system_clock
    problems: ProblemCache = field(default_factory=ProblemCache)
    # The language model, or None when it is switched off (no OPENAI_API_KEY).
    llm: LanguageModel | None = None

    @property
    def engine(self) -> AsyncEngine:
        """The engine ``db`` makes its sessions on (for Core connections)."""
        return self.db.kw["bind"]
