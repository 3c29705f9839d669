"""Settings: the only place Dars reads the environment (and an optional ``.env`` file)."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("dars-data") / "dars.sqlite3"


class ModelPrice(BaseModel):
    """US dollars per one million tokens."""

    input: Decimal
    cached_input: Decimal
    output: Decimal


# List prices per 1M tokens; override with MODEL_PRICES (JSON) when they change.
DEFAULT_MODEL_PRICES: dict[str, ModelPrice] = {
    "gpt-4o-mini": ModelPrice(
        input=Decimal("0.15"), cached_input=Decimal("0.075"), output=Decimal("0.60")
    ),
    "gpt-4.1-mini": ModelPrice(
        input=Decimal("0.40"), cached_input=Decimal("0.10"), output=Decimal("1.60")
    ),
    "gpt-5-mini": ModelPrice(
        input=Decimal("0.25"), cached_input=Decimal("0.025"), output=Decimal("2.00")
    ),
}


class Settings(BaseSettings):
    """Every setting of Dars; each is documented in README.md."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", hide_input_in_errors=True
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    database_url: str = Field(
        default_factory=lambda: f"sqlite+aiosqlite:///{DEFAULT_SQLITE_PATH}",
    )
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_timeout_seconds: float = 20.0
    model_prices: dict[str, ModelPrice] = Field(default_factory=lambda: dict(DEFAULT_MODEL_PRICES))
    llm_daily_budget_per_student_usd: Decimal = Decimal("0.05")
    llm_daily_budget_global_usd: Decimal = Decimal("5.00")
    operator_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    default_timezone: str = "Asia/Dhaka"
    log_level: str = "INFO"
    problems_per_session: int = Field(default=5, ge=1, le=20)
    attempts_per_problem: int = Field(default=2, ge=1, le=5)
    milestones: Annotated[tuple[int, ...], NoDecode] = (3, 7, 14, 30, 50, 100)
    concurrent_updates: int = Field(default=32, ge=1, le=512)
    # The event loop of `dars run`: uvloop (libuv) where installed, else asyncio's own.
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"
    # Scheduled sending (reminders, weekly summaries).
    send_rate_per_second: float = Field(default=25.0, gt=0, le=30)
    reminder_check_interval_seconds: int = Field(default=60, ge=5, le=3600)
    # Parents and teachers.
    invite_ttl_hours: int = Field(default=24, ge=1, le=24 * 14)
    invite_failures_per_hour: int = Field(default=5, ge=1, le=100)
    # Webhook mode (`dars run --webhook`).
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8080, ge=1, le=65535)

    @field_validator("operator_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(
                int(part) for part in value.replace(";", ",").split(",") if part.strip()
            )
        return value

    @field_validator("milestones", mode="before")
    @classmethod
    def _split_milestones(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(sorted(int(part) for part in value.split(",") if part.strip()))
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if not isinstance(logging.getLevelName(value.upper()), int):
            raise ValueError(f"unknown log level {value!r}")
        return value.upper()

    @property
    def llm_enabled(self) -> bool:
        """Whether the language model may be called at all."""
        return self.openai_api_key is not None and bool(self.openai_api_key.get_secret_value())


def configure_logging(settings: Settings) -> None:
    """Set up plain logging; keep httpx quiet because it logs URLs that contain the bot token."""
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("httpx", "httpcore", "httpx2", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
