"""Settings: the only place Dars reads the environment (and an optional ``.env`` file)."""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def default_data_dir() -> Path:
    """Where the embedded SQLite database lives by default: the per-user data directory
    ($XDG_DATA_HOME/dars, else ~/.local/share/dars), the same whatever folder a command runs
    from (a relative default made a new, empty database in every folder)."""
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "dars"


def default_database_url() -> str:
    """The embedded SQLite database in ``default_data_dir()``."""
    return f"sqlite+aiosqlite:///{default_data_dir() / 'dars.sqlite3'}"


def describe_database(url: str) -> str:
    """The database URL for people: the password masked (an SQLite file by its full path)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return "(an unreadable DATABASE_URL)"
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return f"SQLite file {Path(str(parsed.database)).resolve()}"
    return parsed.render_as_string(hide_password=True)


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
    database_url: str = Field(default_factory=default_database_url)
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
    # `text` for people, `json` (one object a line) for log collectors.
    log_format: Literal["text", "json"] = "text"
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
    # Loopback by default: a TLS reverse proxy in front is the public side (docs/operations.md).
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    # A connection must finish its request headers this soon after it opens (or after its
    # previous request), and send its body this soon after the headers: slow clients cannot
    # hold the server's sockets.
    webhook_header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    webhook_body_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # Health (/healthz) and Prometheus metrics (/metrics), in polling and webhook mode alike;
    # METRICS_PORT=0 turns the server off.
    metrics_listen: str = "127.0.0.1"
    metrics_port: int = Field(default=9464, ge=0, le=65535)
    # Per-user flood control: each user may send FLOOD_BURST updates at once and
    # FLOOD_RATE_PER_SECOND on average; more are dropped before any handler runs (0: off).
    flood_rate_per_second: float = Field(default=2.0, ge=0, le=1000)
    flood_burst: int = Field(default=10, ge=1, le=1000)
    # A bank directory or file loaded by the Docker entrypoint before the bot starts.
    load_bank: str | None = None

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        rule = "must be sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER:PASSWORD@HOST/DB"
        try:
            driver = make_url(value).drivername
        except ArgumentError:
            raise ValueError(rule) from None
        if driver not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
            raise ValueError(f"{rule} (got the driver {driver!r})")
        return value

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

    @field_validator("webhook_listen", "metrics_listen")
    @classmethod
    def _ip_address(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError as exc:
            raise ValueError(f"not an IP address: {value!r} (e.g. 127.0.0.1 or 0.0.0.0)") from exc
        return value

    @field_validator("load_bank")
    @classmethod
    def _existing_bank(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not Path(value).exists():
            raise ValueError(f"no such file or directory: {value!r}")
        return value

    @property
    def llm_enabled(self) -> bool:
        """Whether the language model may be called at all."""
        return self.openai_api_key is not None and bool(self.openai_api_key.get_secret_value())


def load_settings() -> Settings:
    """Settings from the environment; a bad value exits with one clear line per setting."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = []
        for error in exc.errors(include_url=False, include_input=False):
            name = "_".join(str(part) for part in error["loc"][:1]).upper() or "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"dars: bad setting {name}: {message}")
        raise SystemExit("\n".join(lines)) from None


# Loggers that write what people typed, their names and the bot's replies (which may hold a
# live invite link) at DEBUG: PTB's Bot ("Calling Bot API endpoint … with parameters") and
# Application ("Processing update …"). They stay at INFO or above whatever LOG_LEVEL says
# (SECURITY-REVIEW.md, finding 1).
CHATTY_LOGGERS = ("telegram", "aiohttp.access", "aiohttp.server")
# At WARNING always: httpx logs URLs that contain the bot token at INFO; SQLAlchemy and
# aiosqlite log statements with their parameters (names, answers) at INFO/DEBUG.
QUIET_LOGGERS = (
    "httpx",
    "httpcore",
    "httpx2",
    "httpcore2",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "alembic.runtime.plugins",
)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message (and the exception, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


JsonFormatter.converter = time.gmtime


class RedactingFormatter(logging.Formatter):
    """Another formatter's lines with the secrets replaced: PTB itself puts the bot token in
    some exception messages (``InvalidToken: The token `…` was rejected``)."""

    def __init__(self, inner: logging.Formatter, secrets: list[str]) -> None:
        super().__init__()
        self.inner = inner
        self.secrets = [secret for secret in secrets if len(secret) >= 8]

    def format(self, record: logging.LogRecord) -> str:
        line = self.inner.format(record)
        for secret in self.secrets:
            if secret in line:
                line = line.replace(secret, "[redacted]")
        return line


def configure_logging(settings: Settings) -> None:
    """Set up logging (text or JSON); keep the loggers that would leak personal data quiet."""
    handler = logging.StreamHandler(sys.stderr)
    inner = (
        JsonFormatter()
        if settings.log_format == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    secrets = [
        secret.get_secret_value()
        for secret in (
            settings.telegram_bot_token,
            settings.openai_api_key,
            settings.webhook_secret,
        )
        if secret is not None
    ]
    if settings.telegram_bot_token is not None:  # its secret half alone, as in URLs
        secrets.append(settings.telegram_bot_token.get_secret_value().partition(":")[2])
    handler.setFormatter(RedactingFormatter(inner, secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "dars", False):
            root.removeHandler(old)
    handler.dars = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for noisy in QUIET_LOGGERS:
        logger = logging.getLogger(noisy)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)
    info_or_above = max(logging.INFO, logging.getLevelName(settings.log_level))
    for chatty in CHATTY_LOGGERS:
        logger = logging.getLogger(chatty)
        if logger.level < info_or_above:
            logger.setLevel(info_or_above)
