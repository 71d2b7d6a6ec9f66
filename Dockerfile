FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ENGAGE_VAR_DIR=/app/var

WORKDIR /app
COPY requirements.lock pyproject.toml ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock

COPY . .
RUN SECRET_KEY=build-only DJANGO_SETTINGS_MODULE=config.settings.local python manage.py collectstatic --noinput -v 0 \
    && useradd --create-home --uid 1000 engage \
    && mkdir -p /app/var && chown -R engage /app/var

USER engage
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
