# newsbot: one long-running process. Build: docker build -t newsbot .
# Base image pinned by tag and by the multi-arch index digest that docker-library/repo-info
# records for python:3.11.16-slim-bookworm (repos/python/remote/3.11.16-slim-bookworm.md):
# the tag can be rebuilt under us, the digest cannot. Not pulled here (no registry for images
# on our machines); to move on, take the new digest from the same record.
FROM python:3.11.16-slim-bookworm@sha256:c425d915a89a6dcd3183b1797ad9bd8878caff5a417f6371c8df93c8ea8b727f

RUN useradd --create-home --uid 10001 newsbot \
    && mkdir -p /data/articles \
    && chown -R newsbot:newsbot /data

WORKDIR /app
# Dependencies first, every file checked against its hash (requirements.lock, made with
# `uv pip compile pyproject.toml --generate-hashes`), then newsbot itself without resolving
# anything again. No build isolation: setuptools comes from the pinned base image, not from
# an unhashed download.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
RUN pip install --no-cache-dir --no-deps --no-build-isolation . && rm -rf /root/.cache build
COPY deploy/docker-entrypoint.sh /usr/local/bin/newsbot-entrypoint

USER newsbot
# The database, its lock and the articles mount live under /data, the working directory, so
# the relative defaults (./newsbot.db, ./articles) land there even when an env file copied
# from .env.example sets them, blank or relative: no path depends on an ENV line that such a
# file could override. The metrics port and address get their image defaults from the
# entrypoint, which treats a blank value as unset (docker --env-file turns `NAME=` into an
# empty string that would beat any ENV here).
WORKDIR /data
ENV PYTHONUNBUFFERED=1
VOLUME ["/data"]
EXPOSE 9090
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % (os.environ.get('NEWSBOT_METRICS_PORT') or '9090'), timeout=4)"]
# SIGTERM lets sends in flight finish within NEWSBOT_STOP_TIMEOUT (10 s): give the container
# more than that before SIGKILL (docker run --stop-timeout 30; compose stop_grace_period).
STOPSIGNAL SIGTERM
ENTRYPOINT ["newsbot-entrypoint"]
CMD ["run"]
