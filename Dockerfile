# newsbot: one long-running process. Build: docker build -t newsbot .
FROM python:3.11-slim

RUN useradd --create-home --uid 10001 newsbot \
    && mkdir -p /data /articles \
    && chown newsbot:newsbot /data /articles

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
RUN pip install --no-cache-dir . && rm -rf /root/.cache

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
