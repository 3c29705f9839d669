# Dars: a two-stage image. Dependencies get their own layer, installed from the lock file with
# hashes (the same versions `.ci/run` tests); a code change rebuilds only the last layers. The
# runtime image has no compiler and runs as a non-root user.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# 1. Dependencies only (changes rarely): exact versions and hashes.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
# 2. The application itself.
COPY pyproject.toml README.md alembic.ini ./
COPY bot ./bot
COPY db ./db
COPY problems ./problems
COPY migrations ./migrations
COPY botapi_emulator ./botapi_emulator
RUN pip install --no-deps .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 dars \
    && mkdir -p /data && chown dars:dars /data
COPY --from=build /opt/venv /opt/venv
# The shipped bank at a documented path: LOAD_BANK (below) loads it on start.
COPY problems/bank /opt/dars/bank
COPY docker/entrypoint.sh /usr/local/bin/dars-entrypoint
COPY docker/healthcheck.py /opt/dars/healthcheck.py
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/dars.sqlite3 \
    LOAD_BANK=/opt/dars/bank \
    DARS_RUN_ARGS="" \
    METRICS_PORT=9464
USER dars
WORKDIR /home/dars
# The embedded SQLite database (the default DATABASE_URL); unused with PostgreSQL.
VOLUME ["/data"]
# Webhook server (WEBHOOK_PORT, behind a TLS reverse proxy) and health/metrics (METRICS_PORT).
EXPOSE 8080 9464
# /healthz of the health and metrics server, which runs in polling and webhook mode alike.
# The start period covers migrating and checking the shipped bank (about a minute).
HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "/opt/dars/healthcheck.py"]
ENTRYPOINT ["dars-entrypoint"]
