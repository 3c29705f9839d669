"""The operations server: ``GET /healthz`` and ``GET /metrics`` (Prometheus), in polling and
webhook mode alike, on METRICS_LISTEN:METRICS_PORT (127.0.0.1:9464 by default).

It runs inside the bot's own event loop, started after the Application's ``post_init`` and
stopped before its ``post_shutdown``, so a health check answers only while the bot really
runs. ``/healthz`` is 200 while the Application runs and the database answers, else 503 (the
Docker HEALTHCHECK and load balancers use it). ``/metrics`` reads the two database gauges
(two small SELECTs) only when scraped; everything else is counted in memory as it happens.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import AsyncIterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from telegram.ext import Application

from bot.config import Settings
from bot.context import BotData
from bot.services import stats
from bot.serving import metrics

logger = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"


def build_ops_app(app: Application) -> web.Application:
    """The aiohttp application serving /healthz and /metrics for ``app``."""

    async def on_health(_request: web.Request) -> web.Response:
        data: BotData = app.bot_data
        if not app.running or data.deps is None:
            return web.json_response({"status": "not running"}, status=503)
        if await stats.database_ok(data.deps):
            return web.json_response({"status": "ok"})
        return web.json_response({"status": "database unavailable"}, status=503)

    async def on_metrics(_request: web.Request) -> web.Response:
        data: BotData = app.bot_data
        if data.deps is not None:
            await metrics.refresh_database_gauges(data.deps.db, now=data.deps.clock())
        return web.Response(
            body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    web_app = web.Application(client_max_size=1024)
    web_app.router.add_get(HEALTH_PATH, on_health)
    web_app.router.add_get(METRICS_PATH, on_metrics)
    return web_app


@contextlib.asynccontextmanager
async def ops_server(
    app: Application, *, host: str, port: int, header_timeout: float = 10.0
) -> AsyncIterator[int]:
    """Serve /healthz and /metrics until the block ends; yields the port it listens on."""
    runner = web.AppRunner(
        build_ops_app(app), access_log=None, shutdown_timeout=2.0, keepalive_timeout=header_timeout
    )
    await runner.setup()
    try:
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        bound = int(sock.getsockname()[1])
        await web.SockSite(runner, sock).start()
        logger.info("health and metrics on http://%s:%d%s", host, bound, METRICS_PATH)
        yield bound
    finally:
        await runner.cleanup()


def with_ops_server(app: Application, settings: Settings) -> Application:
    """Have ``app`` serve /healthz and /metrics while it runs (unless METRICS_PORT is 0)."""
    if settings.metrics_port == 0:
        return app
    post_init, post_shutdown = app.post_init, app.post_shutdown
    stack = contextlib.AsyncExitStack()

    async def start(app: Application) -> None:
        if post_init is not None:
            await post_init(app)
        await stack.enter_async_context(
            ops_server(
                app,
                host=settings.metrics_listen,
                port=settings.metrics_port,
                header_timeout=settings.webhook_header_timeout_seconds,
            )
        )

    async def stop(app: Application) -> None:
        await stack.aclose()
        if post_shutdown is not None:
            await post_shutdown(app)

    app.post_init = start
    app.post_shutdown = stop
    return app
