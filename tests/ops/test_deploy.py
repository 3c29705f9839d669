"""The deployment files: the image's entrypoint run as a script (migrate, load, run; health,
metrics and logs of the real process), the Dockerfile, compose.yaml and the lock files."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from bot.config import Settings
from botapi_emulator import BotApiEmulator
from problems.bank import sample_bank_dir
from tests.bot.conftest import ChatUser

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
HEALTHCHECK = ROOT / "docker" / "healthcheck.py"
BIN = Path(sys.executable).parent
TOKEN = "123456:SECRET-bot-token-XYZ"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _small_bank(tmp_path: Path) -> Path:
    """Two topics of class 6: enough to practise, quick to load."""
    bank = tmp_path / "bank"
    bank.mkdir()
    for name in ("g6-01-place-value.yaml", "g6-02-primes.yaml"):
        shutil.copy(sample_bank_dir() / name, bank / name)
    return bank


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DARS_", "WEBHOOK_", "TELEGRAM_", "OPENAI_", "LOAD_BANK"))
    }
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'data' / 'dars.sqlite3'}",
        EVENT_LOOP="asyncio",
    )
    env.update(extra)
    return env


def _problem_count(tmp_path: Path) -> int:
    with contextlib.closing(sqlite3.connect(tmp_path / "data" / "dars.sqlite3")) as db:
        return int(db.execute("SELECT count(*) FROM problems").fetchone()[0])


def test_entrypoint_migrate_loads_the_bank_and_exits(tmp_path: Path) -> None:
    bank = _small_bank(tmp_path)
    done = subprocess.run(
        ["sh", str(ENTRYPOINT), "migrate"],
        env=_env(tmp_path, LOAD_BANK=str(bank)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "loaded" in done.stdout
    count = _problem_count(tmp_path)
    assert count > 10
    # Again: idempotent.
    again = subprocess.run(
        ["sh", str(ENTRYPOINT), "migrate"],
        env=_env(tmp_path, LOAD_BANK=str(bank)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert re.search(r"unchanged\s+" + str(count), again.stdout)
    assert _problem_count(tmp_path) == count


def test_entrypoint_runs_a_given_command_and_stops_on_a_bad_bank(tmp_path: Path) -> None:
    version = subprocess.run(
        ["sh", str(ENTRYPOINT), "dars", "version"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert version.returncode == 0 and version.stdout.startswith("dars ")
    bad = subprocess.run(
        ["sh", str(ENTRYPOINT)],
        env=_env(tmp_path, LOAD_BANK=str(tmp_path / "no-such-bank"), TELEGRAM_BOT_TOKEN=TOKEN),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode != 0
    assert bad.stderr.strip().splitlines() == [
        f"dars: bad setting LOAD_BANK: no such file or directory: '{tmp_path / 'no-such-bank'}'"
    ]


@contextlib.asynccontextmanager
async def _entrypoint(tmp_path: Path, env: dict[str, str]) -> AsyncIterator[Any]:
    process = await asyncio.create_subprocess_exec(
        "sh",
        str(ENTRYPOINT),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _wait_healthy(base: str, process: Any, within: float = 240.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with aiohttp.ClientSession() as http:
        while loop.time() < deadline:
            assert process.returncode is None, (await process.stderr.read()).decode()[-3000:]
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{base}/healthz") as r:
                    if r.status == 200:
                        return
            await asyncio.sleep(0.5)
    raise TimeoutError("the bot never became healthy")


def _healthcheck(port: int) -> int:
    env = dict(os.environ, METRICS_PORT=str(port))
    return subprocess.run([sys.executable, str(HEALTHCHECK)], env=env, check=False).returncode


async def test_the_image_entrypoint_runs_a_healthy_bot_whose_debug_logs_hold_no_personal_data(
    tmp_path: Path,
) -> None:
    """Migrate, load, run by long polling: /healthz and /metrics of the real process, a chat
    with a name, a phone number and an invite link, JSON logs at DEBUG, then SIGTERM."""
    port = _free_port()
    async with BotApiEmulator(token=TOKEN) as emu:
        env = _env(
            tmp_path,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=emu.base_url,
            LOAD_BANK=str(_small_bank(tmp_path)),
            METRICS_PORT=str(port),
            LOG_LEVEL="DEBUG",
            LOG_FORMAT="json",
        )
        async with _entrypoint(tmp_path, env) as process:
            base = f"http://127.0.0.1:{port}"
            await _wait_healthy(base, process)
            assert await asyncio.to_thread(_healthcheck, port) == 0

            user = ChatUser(emu, 7501)
            await user.send("/start")
            await user.tap("English")
            await user.tap("Class 6")
            await user.tap("Another name")
            assert (await user.send("Mitu Akter"))[0].startswith("All set, Mitu Akter!")
            invite = await user.send("/invite")
            assert "?start=p_" in invite[0]
            payload = invite[0].split("?start=")[1].split()[0]
            await user.send("my phone is 01711-000000")
            await user.tap("Practice")

            async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics") as r:
                assert r.status == 200
                scraped = await r.text()
            samples = {
                (s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(scraped)
                for s in family.samples
            }
            assert samples[("dars_updates_total", (("kind", "message"),))] >= 4
            assert samples[("dars_updates_total", (("kind", "callback_query"),))] >= 4
            assert samples[("dars_deliveries_pending", ())] == 0

            process.send_signal(signal.SIGTERM)
            stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, stderr.decode()[-3000:]
    assert await asyncio.to_thread(_healthcheck, port) == 1  # nothing listens any more

    lines = stderr.decode().splitlines()
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {"time", "level", "logger", "message"} <= set(records[0])
    assert any(r["level"] == "DEBUG" for r in records)  # DEBUG really was on
    logged = stderr.decode() + stdout.decode()
    for secret in ("Mitu", "Akter", "Rahim", "01711", "my phone", "?start=", payload, TOKEN):
        assert secret not in logged, f"{secret!r} is in the logs"
    assert TOKEN.split(":")[1] not in logged


def test_dockerfile_ships_the_bank_a_volume_a_healthcheck_and_the_lock() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "pip install --require-hashes -r requirements.lock" in text
    assert "COPY problems/bank /opt/dars/bank" in text
    assert "LOAD_BANK=/opt/dars/bank" in text
    assert 'VOLUME ["/data"]' in text
    assert "DATABASE_URL=sqlite+aiosqlite:////data/dars.sqlite3" in text
    assert re.search(r"HEALTHCHECK .*\n.*healthcheck\.py", text)
    assert f"METRICS_PORT={Settings(_env_file=None).metrics_port}" in text
    assert 'ENTRYPOINT ["dars-entrypoint"]' in text
    assert "COPY docker/entrypoint.sh /usr/local/bin/dars-entrypoint" in text
    assert os.access(ENTRYPOINT, os.X_OK)
    # Every path the image copies exists.
    for source in re.findall(r"^COPY (?!--from)(\S+)", text, flags=re.M):
        assert (ROOT / source).exists(), source


def _locked(path: Path) -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", path.read_text(), flags=re.M)
    return {name.lower().replace("_", "-"): version for name, version in pins}


def test_lock_files_pin_every_dependency_with_hashes_and_ci_installs_them() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, dev = _locked(ROOT / "requirements.lock"), _locked(ROOT / "requirements-dev.lock")
    for requirement in project["dependencies"]:
        name = re.split(r"[\[<>=;! ]", requirement)[0].lower().replace("_", "-")
        assert name in runtime, name
        assert runtime[name] == dev[name]
    for requirement in project["optional-dependencies"]["dev"]:
        name = re.split(r"[\[<>=;! ]", requirement)[0].lower().replace("_", "-")
        assert name in dev, name
    for lock in ("requirements.lock", "requirements-dev.lock"):
        blocks = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", (ROOT / lock).read_text())
        assert all("--hash=sha256:" in block for block in blocks if "==" in block)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install --quiet --require-hashes -r requirements-dev.lock" in ci
    # What the tests run with is what the lock says (so the image runs the tested versions).
    from importlib.metadata import version

    for name in ("python-telegram-bot", "sqlalchemy", "openai", "aiohttp", "prometheus-client"):
        assert version(name) == dev[name], name


COMPOSE = ROOT / "compose.yaml"


def test_compose_file_has_postgres_a_migrate_job_and_the_bot() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert {"postgres", "migrate", "bot", "proxy"} <= set(services)

    postgres = services["postgres"]
    assert any(v.startswith("pgdata:") for v in postgres["volumes"])
    assert "pgdata" in compose["volumes"]
    assert "pg_isready" in postgres["healthcheck"]["test"]

    migrate = services["migrate"]
    assert migrate["command"] == ["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert migrate["environment"]["LOAD_BANK"] == "${LOAD_BANK:-/opt/dars/bank}"

    bot = services["bot"]
    assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert bot["environment"]["LOAD_BANK"] == ""
    assert bot["environment"]["DARS_RUN_ARGS"] == "${DARS_RUN_ARGS:-}"
    assert bot["deploy"]["replicas"] == "${BOT_REPLICAS:-1}"
    assert "ports" not in bot  # replicas share no host port; the proxy reaches them
    assert bot["image"] == migrate["image"]
    for service in (bot, migrate):
        url = service["environment"]["DATABASE_URL"]
        assert url.startswith("postgresql+asyncpg://dars:${POSTGRES_PASSWORD:?")
        assert url.endswith("@postgres:5432/dars")
        Settings(_env_file=None, database_url=url)  # a URL Dars accepts
    # Every setting the compose file sets is one Dars knows.
    known = {name.upper() for name in Settings.model_fields}
    assert set(bot["environment"]) - {"DARS_RUN_ARGS"} <= known

    proxy = services["proxy"]
    assert proxy["profiles"] == ["webhook"]
    caddyfile = (ROOT / "docker" / "Caddyfile").read_text()
    assert "read_header 10s" in caddyfile and "name bot" in caddyfile
    assert "./docker/Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]


@pytest.mark.skipif(
    subprocess.run(["docker", "compose", "version"], capture_output=True, check=False).returncode
    != 0
    if shutil.which("docker")
    else True,
    reason="docker compose is not installed here (the structure test above still runs)",
)
def test_docker_compose_config_accepts_the_file() -> None:
    env = dict(os.environ, POSTGRES_PASSWORD="x")
    subprocess.run(["docker", "compose", "-f", str(COMPOSE), "config", "-q"], env=env, check=True)
