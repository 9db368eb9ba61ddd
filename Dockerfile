# Switchboard in a slim image, run as a user of its own. Build: docker build -t switchboard .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOST=0.0.0.0 \
    PORT=8080

WORKDIR /app
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin switchboard

# The dependencies first, so that a code change does not reinstall them.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY adapters ./adapters
COPY stores ./stores
# The project itself with its Telegram and uvloop extras; its dependencies' ranges are in pyproject.toml.
# hadolint ignore=DL3013
RUN pip install '.[telegram,uvloop]'

COPY bot.py switchboard.yaml ./
COPY flows ./flows
COPY docker ./docker
COPY tests/__init__.py ./tests/__init__.py
COPY tests/emulators ./tests/emulators

USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8080')}/healthz\", timeout=2)"]
CMD ["python", "bot.py", "serve"]
