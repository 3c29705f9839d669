"""Every new setting: its default, and one clear line (no traceback, no secret) when bad."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings, configure_logging

BIN = Path(sys.executable).parent


def _dars(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k.isupper() and k.startswith(("PATH", "HOME"))}
    clean["PATH"] = f"{BIN}{os.pathsep}{clean.get('PATH', '')}"
    return subprocess.run(
        [str(BIN / "dars"), *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(__file__).parent,  # no .env here
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LOG_FORMAT", "xml", "Input should be 'text' or 'json'"),
        ("METRICS_PORT", "70000", "less than or equal to 65535"),
        ("METRICS_LISTEN", "localhost", "not an IP address: 'localhost'"),
        ("WEBHOOK_LISTEN", "0.0.0.0:8080", "not an IP address"),
        ("WEBHOOK_HEADER_TIMEOUT_SECONDS", "0", "greater than 0"),
        ("WEBHOOK_BODY_TIMEOUT_SECONDS", "soon", "valid number"),
        ("FLOOD_RATE_PER_SECOND", "-1", "greater than or equal to 0"),
        ("FLOOD_BURST", "0", "greater than or equal to 1"),
        ("LOAD_BANK", "/no/such/bank", "no such file or directory: '/no/such/bank'"),
    ],
)
def test_a_bad_setting_is_one_clear_line(name: str, value: str, message: str) -> None:
    done = _dars({name: value, "TELEGRAM_BOT_TOKEN": "1:do-not-print-me"}, "version")
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"dars: bad setting {name}: ")
    assert message in line
    assert "do-not-print-me" not in done.stderr


def test_several_bad_settings_are_one_line_each() -> None:
    done = _dars({"FLOOD_BURST": "0", "METRICS_PORT": "x"}, "version")
    assert len(done.stderr.strip().splitlines()) == 2


def test_defaults() -> None:
    settings = Settings(_env_file=None)
    assert (settings.log_format, settings.metrics_listen, settings.metrics_port) == (
        "text",
        "127.0.0.1",
        9464,
    )
    assert (settings.flood_rate_per_second, settings.flood_burst) == (2.0, 10)
    assert settings.load_bank is None
    assert Settings(_env_file=None, load_bank="  ").load_bank is None


def _log_lines(settings: Settings, emit: object) -> list[str]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging(settings)
    (handler,) = [h for h in root.handlers if getattr(h, "dars", False)]
    stream = io.StringIO()
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    try:
        assert callable(emit)
        emit()
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    return stream.getvalue().splitlines()


def test_json_logs_are_one_object_a_line_and_secrets_are_redacted() -> None:
    token = "987654:AAH-very-secret-token"
    settings = Settings(
        _env_file=None, log_format="json", log_level="DEBUG", telegram_bot_token=token
    )

    def emit() -> None:
        log = logging.getLogger("bot.test")
        log.info("two\nlines and the token %s", token)
        try:
            raise ValueError(f"The token `{token}` was rejected")
        except ValueError:
            log.exception("failed")

    lines = _log_lines(settings, emit)
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "INFO" and first["logger"] == "bot.test"
    assert first["message"] == "two\nlines and the token [redacted]"
    assert "ValueError" in second["exception"]
    assert "very-secret" not in "\n".join(lines)


def test_at_debug_the_loggers_that_leak_stay_at_info() -> None:
    settings = Settings(_env_file=None, log_level="DEBUG")

    def emit() -> None:
        logging.getLogger("telegram.ext.ExtBot").debug("Calling Bot API endpoint with Rahim")
        logging.getLogger("telegram.ext.Application").debug("Processing update Rahim")
        logging.getLogger("sqlalchemy.engine.Engine").info("INSERT … ('Rahim',)")
        logging.getLogger("httpx").info("GET https://api.telegram.org/bot1:x/getMe")
        logging.getLogger("bot.anything").debug("our own debug line")

    lines = _log_lines(settings, emit)
    assert len(lines) == 1 and "our own debug line" in lines[0]
