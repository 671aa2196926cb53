#!/bin/sh
# The image's entrypoint: `newsbot "$@"` with the container's defaults for the health and
# metrics endpoint. A value that is unset OR blank takes the default, because
# `docker run --env-file .env` (and compose's env_file) turns a `NAME=` line copied from
# .env.example into an empty variable that would otherwise switch the endpoint off and leave
# the HEALTHCHECK failing for ever. A value that is set wins.
set -eu
NEWSBOT_METRICS_PORT="${NEWSBOT_METRICS_PORT:-9090}"
# Published ports reach the container's own interface, not its loopback.
NEWSBOT_METRICS_HOST="${NEWSBOT_METRICS_HOST:-0.0.0.0}"
export NEWSBOT_METRICS_PORT NEWSBOT_METRICS_HOST
exec newsbot "$@"
