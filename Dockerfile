# newsbot: one long-running process. Build: docker build -t newsbot .
# Base image pinned by tag and by the multi-arch index digest that docker-library/repo-info
# records for python:3.11.16-slim-bookworm (repos/python/remote/3.11.16-slim-bookworm.md):
# the tag can be rebuilt under us, the digest cannot. Not pulled here (no registry for images
# on our machines); to move on, take the new digest from the same record.
FROM python:3.11.16-slim-bookworm@sha256:c425d915a89a6dcd3183b1797ad9bd8878caff5a417f6371c8df93c8ea8b727f

RUN useradd --create-home --uid 10001 newsbot \
    && mkdir -p /data /articles \
    && chown newsbot:newsbot /data /articles

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

USER newsbot
ENV NEWSBOT_ARTICLES_DIR=/articles \
    NEWSBOT_DB=/data/newsbot.db \
    NEWSBOT_METRICS_HOST=0.0.0.0 \
    NEWSBOT_METRICS_PORT=9090 \
    PYTHONUNBUFFERED=1
VOLUME ["/articles", "/data"]
EXPOSE 9090
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9090/healthz', timeout=4)"
STOPSIGNAL SIGTERM
CMD ["newsbot", "run"]
