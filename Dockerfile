# Engage: one image for every process (web, worker, mail worker, beat); compose picks the command.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ENGAGE_VAR_DIR=/app/var \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app
# Pango and HarfBuzz for WeasyPrint (the published reports as tagged PDF), and the font the
# documents' stylesheet names, so a PDF built in the image looks as it does in the tests.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
       fonts-liberation \
    && rm -rf /var/lib/apt/lists/*
# Runtime dependencies only (no test or lint tools), hash-checked, pinned as in requirements.lock.
COPY requirements.runtime.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.runtime.lock

COPY . .
# Static files are collected at build time and served by whitenoise; messages compiled likewise.
RUN SECRET_KEY=build-only ALLOWED_HOSTS=build python manage.py collectstatic --noinput -v 0 \
    && useradd --create-home --uid 1000 engage \
    && mkdir -p /app/var && chown -R engage /app/var

USER engage
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"]
