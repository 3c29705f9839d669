# Dars: a two-stage image. Dependencies get their own layer, so a code change rebuilds
# only the last layers; the runtime image has no compiler and runs as a non-root user.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# 1. Dependencies only (changes rarely).
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt
# 2. The application itself.
COPY README.md alembic.ini ./
COPY bot ./bot
COPY db ./db
COPY problems ./problems
COPY migrations ./migrations
RUN pip install --no-deps .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 dars
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1
USER dars
WORKDIR /home/dars
# DARS_RUN_ARGS="--webhook" switches from long polling to the webhook server.
ENV DARS_RUN_ARGS=""
EXPOSE 8080
CMD ["sh", "-c", "dars db upgrade && exec dars run $DARS_RUN_ARGS"]
