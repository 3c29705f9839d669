#!/bin/sh
# The Docker image's entrypoint: migrate, load a problem bank when asked, then run the bot.
#
#   LOAD_BANK=/opt/dars/bank   bank file(s) or directory to load first (the image's default is
#                              the shipped bank; empty: load nothing). Loading is idempotent;
#                              the shipped bank takes about a minute to check when unchanged.
#   DARS_RUN_ARGS=--webhook    arguments of `dars run` (default: long polling)
#
# With arguments, runs them instead (`docker run IMAGE dars stats`); the first argument
# `migrate` only migrates and loads (the compose file's one-shot service).
set -eu

if [ "$#" -gt 0 ] && [ "$1" != "migrate" ]; then
  exec "$@"
fi

dars db upgrade
if [ -n "${LOAD_BANK:-}" ]; then
  dars problems load "$LOAD_BANK"
fi
if [ "${1:-}" = "migrate" ]; then
  exit 0
fi
# shellcheck disable=SC2086  # DARS_RUN_ARGS is a list of words
exec dars run ${DARS_RUN_ARGS:-}
