# Production image: gunicorn + whitenoise for the web, the same image runs the Celery worker and beat.
# docker-compose.yml shows how the three processes, PostgreSQL and Redis fit together.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=helpdesk.settings

WORKDIR /app

# DejaVu: the statement PDFs' font (without it they fall back to Helvetica, which has no ą, ę, ł…).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, from the same lock as `make run` (exact versions, every file's hash checked),
# so code changes reuse this layer. The lock is compiled on Python 3.11, this image's.
COPY requirements/runtime.txt requirements/
RUN pip install --require-hashes -r requirements/runtime.txt

RUN groupadd --system --gid 10001 helpdesk \
    && useradd --system --uid 10001 --gid helpdesk --home-dir /app --no-create-home helpdesk

COPY --chown=helpdesk:helpdesk . .
RUN mkdir -p /app/var/media /app/staticfiles && chown -R helpdesk:helpdesk /app/var /app/staticfiles

USER helpdesk
EXPOSE 8000

# docker-compose.yml's one-shot `release` service migrates and collects static files first.
CMD ["gunicorn", "helpdesk.wsgi", "--config", "helpdesk/gunicorn.conf.py"]
