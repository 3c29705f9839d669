"""Run the bot against Telegram (or a self-hosted Bot API server) by long polling."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update

from bot.app import build_application
from bot.config import Settings
from db import migrate
from db.engine import create_engine

logger = logging.getLogger(__name__)


async def check_schema(url: str) -> str | None:
    """None when the database is at the newest migration, else a message for the operator."""
    engine = create_engine(url)
    try:
        current = await migrate.current_revision(engine)
    finally:
        await engine.dispose()
    head = migrate.head_revision()
    if current != head:
        return (
            f"The database is at migration {current or 'none (empty)'}, but this version of "
            f"Dars needs {head}. Run `dars db upgrade` first."
        )
    return None


def run_polling(settings: Settings) -> int:
    """Check the schema, then poll until interrupted."""
    if settings.telegram_bot_token is None:
        logger.error("TELEGRAM_BOT_TOKEN is not set; use `dars console` to try Dars locally")
        return 2
    problem = asyncio.run(check_schema(settings.database_url))
    if problem:
        logger.error("%s", problem)
        return 2
    app = build_application(settings)
    app.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0
