"""Settings shared by every environment; everything that differs comes from the environment."""

from operator import attrgetter
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("ENGAGE_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

SECRET_KEY = env.str("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Absolute links in mail (preferences, unsubscribe, registration) are built from this.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Database --------------------------------------------------------------------------------
_DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'engage.sqlite3'}"


def _database_from_url(url: str) -> dict:
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql", "psql"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgres:// or sqlite:/// (got scheme {scheme!r})"
        )
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:  # django-environ raises several kinds for a malformed URL
        raise ImproperlyConfigured(f"DATABASE_URL cannot be parsed: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        config["OPTIONS"] = {
            # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of
            # failing with "database is locked" halfway through a transaction.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    else:
        config.setdefault("OPTIONS", {})
        config["OPTIONS"].setdefault("connect_timeout", 5)
        config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": _database_from_url(env.str("DATABASE_URL", default=_DEFAULT_DATABASE_URL))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Applications ----------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "anymail",
    "engage",
    "events",
    "feedback",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "engage.middleware.StaffMFARequiredMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "engage.context_processors.roles",
            ],
        },
    },
]

# --- Accounts (django-allauth) ---------------------------------------------------------------
AUTH_USER_MODEL = "engage.User"
# Django's and allauth's backends, loading the user's permissions, roles and authenticator state
# with the user row (engage/auth.py).
AUTHENTICATION_BACKENDS = [
    "engage.auth.ModelBackend",
    "engage.auth.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "engage:dashboard"
ACCOUNT_ADAPTER = "engage.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
# Shown to the person themself ("Signed in as ..."); User.__str__ stays an id for the logs.
ACCOUNT_USER_DISPLAY = attrgetter("email")
ACCOUNT_FORMS = {
    "login": "engage.forms_auth.LoginForm",
    "request_login_code": "engage.forms_auth.RequestLoginCodeForm",
    "confirm_login_code": "engage.forms_auth.ConfirmLoginCodeForm",
    "reauthenticate": "engage.forms_auth.ReauthenticateForm",
}
MFA_FORMS = {
    "authenticate": "engage.forms_auth.AuthenticateForm",
    "reauthenticate": "engage.forms_auth.MfaReauthenticateForm",
}
# Representatives never need a password: sign-up and sign-in both work with an emailed code.
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "request_login_code": "20/m/ip,3/m/key",
    "reset_password": "20/m/ip,5/m/key",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Engage] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Engage"

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Cache -----------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 3, "SOCKET_TIMEOUT": 3},
        }
    }
    # Sessions are read on nearly every request; with a shared cache they come from Redis and are
    # written through to the database, which holds the truth. Their cache ignores Redis errors, so
    # an outage falls back to the database instead of failing every page; the default cache does
    # not (a rate limit must not open up because Redis is away).
    CACHES["sessions"] = {
        **CACHES["default"],
        "OPTIONS": {**CACHES["default"]["OPTIONS"], "IGNORE_EXCEPTIONS": True},
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    SESSION_CACHE_ALIAS = "sessions"
else:
    # A per-process cache would serve one process's stale copy of a session another changed.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Mail ------------------------------------------------------------------------------------
# One outbound path: every engagement mail is an engage.OutboundEmail row sent by a Celery task
# through Django's mail API; the backend below is only the last hop.
EMAIL_OUTBOX_DIR = VAR_DIR / "outbox"


def _mailer_from_env() -> dict:
    """EMAIL_BACKEND (an anymail ESP) wins; else EMAIL_URL (SMTP); else the local outbox folder."""
    backend = env.str("EMAIL_BACKEND", default="")
    if backend:
        return {"BACKEND": backend}
    url = env.str("EMAIL_URL", default="")
    if not url:
        return {"BACKEND": "engage.mail.backends.OutboxBackend"}
    if not url.startswith(("smtp://", "smtps://", "smtp+tls://", "smtp+ssl://")):
        raise ImproperlyConfigured("EMAIL_URL must be an smtp:// URL, e.g. smtp://127.0.0.1:1025")
    config = environ.Env.email_url_config(url)
    options = {
        "host": config.get("EMAIL_HOST", "localhost"),
        "port": config.get("EMAIL_PORT", 25),
        "username": config.get("EMAIL_HOST_USER") or None,
        "password": config.get("EMAIL_HOST_PASSWORD") or None,
        "use_tls": bool(config.get("EMAIL_USE_TLS")),
        "use_ssl": bool(config.get("EMAIL_USE_SSL")),
        "timeout": 30,
    }
    return {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}


MAILERS = {"default": _mailer_from_env()}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Engage <engage@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ENGAGE_ORGANISER_EMAIL = env.str("ENGAGE_ORGANISER_EMAIL", default="engage@localhost")
# The engagement team's shared inbox: the daily digest of overdue responses and plan updates.
ENGAGE_TEAM_EMAIL = env.str("ENGAGE_TEAM_EMAIL", default=ENGAGE_ORGANISER_EMAIL)
# Owners are reminded this many days before a response or plan update is due (and once after).
FEEDBACK_REMIND_BEFORE_DAYS = env.int("FEEDBACK_REMIND_BEFORE_DAYS", default=3)
ENGAGE_ORGANISER_NAME = env.str("ENGAGE_ORGANISER_NAME", default="Community Engagement Team")
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in env.ENVIRON.items()
    if key.startswith("ANYMAIL_")
}
# Throttle for engagement mail sends, in messages per second across all mail workers.
ENGAGE_MAIL_RATE_PER_SECOND = env.float("ENGAGE_MAIL_RATE_PER_SECOND", default=50.0)
# Emails per send task, claimed in one transaction (one ESP call takes at most 50 of them).
ENGAGE_MAIL_BATCH_SIZE = env.int("ENGAGE_MAIL_BATCH_SIZE", default=500)
# ESP calls one send task makes at once (threads waiting on the network, not on the CPU).
ENGAGE_MAIL_SEND_THREADS = env.int("ENGAGE_MAIL_SEND_THREADS", default=4)
# Rows per ESP call (SES takes up to 50). A send task claims one round of calls at a time, so
# a worker killed mid-send repeats at most ENGAGE_MAIL_SEND_THREADS x this per process.
ENGAGE_MAIL_ESP_CALL_SIZE = env.int("ENGAGE_MAIL_ESP_CALL_SIZE", default=10)
# Recipients per INSERT when many emails are queued at once (emails_queue_bulk): the SQL for
# 100,000 rows in one statement held hundreds of megabytes.
ENGAGE_MAIL_BULK_STATEMENT_ROWS = env.int("ENGAGE_MAIL_BULK_STATEMENT_ROWS", default=10_000)
# Invitation campaigns create invitations and emails this many stakeholders per transaction.
ENGAGE_CAMPAIGN_CHUNK_SIZE = env.int("ENGAGE_CAMPAIGN_CHUNK_SIZE", default=2000)
# Transient ESP errors (429, 5xx, network) are retried with exponential backoff and jitter.
ENGAGE_MAIL_MAX_ATTEMPTS = env.int("ENGAGE_MAIL_MAX_ATTEMPTS", default=6)
ENGAGE_MAIL_RETRY_BASE_SECONDS = env.float("ENGAGE_MAIL_RETRY_BASE_SECONDS", default=10.0)
ENGAGE_MAIL_RETRY_MAX_SECONDS = env.float("ENGAGE_MAIL_RETRY_MAX_SECONDS", default=3600.0)
# A row left in "sending" this long had its worker die during the hand-over (engage.mail.sending):
# the reconcile sweep then settles it on evidence or sends it again. Each ESP call's outcome is
# recorded as it returns, so only the calls in flight at a kill wait this long.
ENGAGE_MAIL_STALE_CLAIM_MINUTES = env.float("ENGAGE_MAIL_STALE_CLAIM_MINUTES", default=5.0)
# Amazon SES API URL override (a local stand-in ESP); empty means the real regional endpoint.
ENGAGE_MAIL_ESP_ENDPOINT_URL = env.str("ENGAGE_MAIL_ESP_ENDPOINT_URL", default="")
# Merge-data batches rendered by the ESP (SES SendBulkEmail); off renders every message here.
ENGAGE_MAIL_ESP_BATCH = env.bool("ENGAGE_MAIL_ESP_BATCH", default=True)

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery"
    for _sub in ("queue", "processed", "control"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        # kombu's default is ./control, beside whatever directory the worker started in.
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith("redis"):
    # How long an unacknowledged task (its worker died) waits before another worker gets it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
    }
# Unset broker: tasks run in-process, which keeps `manage.py` usable with nothing else running.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# A request that queues a task after commit waits at most about 2 s for a broker that is away;
# the mail it owed is marked in its row and sent by the reconcile sweep (engage.mail.services).
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Workers log through LOGGING below (JSON in production, addresses redacted), not Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_DEFAULT_QUEUE = "default"
# Mail has a queue of its own so a large campaign never delays reminders or imports.
CELERY_TASK_ROUTES = {"engage.mail.*": {"queue": "mail"}, "events.mail.*": {"queue": "mail"}}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {}
# A worker that runs this proves the whole chain (beat, broker, worker, database); see /healthz.
CELERY_BEAT_SCHEDULE["engage.heartbeat"] = {
    "task": "engage.heartbeat",
    "schedule": 60.0,
    "options": {"expires": 55},  # a backlog of stale heartbeats would only mislead
}
# Registration (events): expired waiting-list offers pass on, and free places are offered.
CELERY_BEAT_SCHEDULE["events.expire_offers"] = {"task": "events.expire_offers", "schedule": 300.0}
# Registration emails are owed in the registration's row; a sender woken after commit queues them,
# and this sweep sends any whose wake-up was lost (a broker down at that moment).
CELERY_BEAT_SCHEDULE["events.registration_notices_send"] = {
    "task": "events.registration_notices_send",
    "schedule": 60.0,
    "options": {"expires": 55},
}
# Access requirements are wiped a set number of days after each meeting.
CELERY_BEAT_SCHEDULE["events.wipe_access_requirements"] = {
    "task": "events.wipe_access_requirements",
    "schedule": 3600.0,
}

# Mail rows whose worker died mid-send, or whose task was lost, are settled (engage.mail.reconcile).
CELERY_BEAT_SCHEDULE["engage.mail.reconcile"] = {
    "task": "engage.mail.reconcile",
    "schedule": 60.0,
    "options": {"expires": 55},
}
# Stakeholder rights (engage): unconfirmed sign-ups go after ENGAGE_UNCONFIRMED_SIGNUP_DAYS, and
# people with no consent and no activity for ENGAGE_RETENTION_DAYS are anonymised; both daily.
CELERY_BEAT_SCHEDULE["engage.signups_purge"] = {
    "task": "engage.signups_purge",
    "schedule": crontab(hour=2, minute=10),
}
CELERY_BEAT_SCHEDULE["engage.import_jobs_tidy"] = {
    "task": "engage.import_jobs_tidy",
    "schedule": 120.0,
}
# Owners reminded before and after due dates, then one digest of what is overdue to the team.
CELERY_BEAT_SCHEDULE["feedback.owed_reminders"] = {
    "task": "feedback.owed_reminders",
    "schedule": crontab(hour=7, minute=30),
}
CELERY_BEAT_SCHEDULE["feedback.owner_contacts_retention"] = {
    "task": "feedback.owner_contacts_retention",
    "schedule": crontab(hour=2, minute=50),
}
CELERY_BEAT_SCHEDULE["engage.retention_run"] = {
    "task": "engage.retention_run",
    "schedule": crontab(hour=2, minute=40),
}
# Invitations and notifications (events): each job is idempotent (a marker on the row, set under
# a lock), so a run that overlaps the last one or repeats it sends nothing twice.
# Stored email contents, email events and audit rows past their periods, and consent renewal
# and lapse (engage.retention); daily, after the people retention run.
CELERY_BEAT_SCHEDULE["engage.retention_records"] = {
    "task": "engage.retention_records",
    "schedule": crontab(hour=3, minute=10),
}
CELERY_BEAT_SCHEDULE["engage.consent_renewals"] = {
    "task": "engage.consent_renewals",
    "schedule": crontab(hour=3, minute=40),
}
CELERY_BEAT_SCHEDULE["events.start_due_campaigns"] = {
    "task": "events.start_due_campaigns",
    "schedule": 60.0,
    "options": {"expires": 55},
}
CELERY_BEAT_SCHEDULE["events.send_reminders"] = {"task": "events.send_reminders", "schedule": 600.0}
CELERY_BEAT_SCHEDULE["events.notify_prereading"] = {
    "task": "events.notify_prereading",
    "schedule": 600.0,
}
CELERY_BEAT_SCHEDULE["events.send_joining_instructions"] = {
    "task": "events.send_joining_instructions",
    "schedule": 600.0,
}
CELERY_BEAT_SCHEDULE["feedback.send_surveys"] = {
    "task": "feedback.send_surveys",
    "schedule": 1800.0,
}
# A meeting change's notices are fanned out by a task after commit; this finds a lost one.
CELERY_BEAT_SCHEDULE["events.meeting_changes_fan_out_due"] = {
    "task": "events.meeting_changes_fan_out_due",
    "schedule": 60.0,
    "options": {"expires": 55},
}
# The meeting record (feedback): a published summary report, and newly published responses, are
# announced to the people who held a place, once (notified_at on the row, set under a lock).
CELERY_BEAT_SCHEDULE["feedback.points_personal_data_sweep"] = {
    "task": "feedback.points_personal_data_sweep",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["feedback.notify_report_published"] = {
    "task": "feedback.notify_report_published",
    "schedule": 600.0,
}
CELERY_BEAT_SCHEDULE["feedback.notify_responses_published"] = {
    "task": "feedback.notify_responses_published",
    "schedule": 600.0,
}
CELERY_BEAT_SCHEDULE["feedback.notify_rounds_published"] = {
    "task": "feedback.notify_rounds_published",
    "schedule": 600.0,
}
# Raw survey answers and equality answers past their retention period are deleted, daily.
CELERY_BEAT_SCHEDULE["feedback.survey_retention"] = {
    "task": "feedback.survey_retention",
    "schedule": 24 * 3600.0,
}

# --- Engage policy ---------------------------------------------------------------------------
ENGAGE_UNCONFIRMED_SIGNUP_DAYS = env.int("ENGAGE_UNCONFIRMED_SIGNUP_DAYS", default=7)
ENGAGE_RETENTION_DAYS = env.int("ENGAGE_RETENTION_DAYS", default=3 * 365)
# Retention of what mail leaves behind and of the audit log (engage.retention, beat daily): the
# subject, bodies and merge values of sent emails; ESP events; audit rows. The privacy notice
# states these periods: a change here needs a new notice version.
ENGAGE_RETENTION_EMAIL_CONTENT_DAYS = env.int("ENGAGE_RETENTION_EMAIL_CONTENT_DAYS", default=180)
ENGAGE_RETENTION_EMAIL_EVENT_DAYS = env.int("ENGAGE_RETENTION_EMAIL_EVENT_DAYS", default=180)
ENGAGE_RETENTION_AUDIT_DAYS = env.int("ENGAGE_RETENTION_AUDIT_DAYS", default=2 * 365)
# A consent with no activity from its person for this long is asked to be renewed (an email
# with a preferences link); unanswered after ENGAGE_CONSENT_RENEWAL_GRACE_DAYS it lapses.
ENGAGE_CONSENT_RENEW_AFTER_DAYS = env.int("ENGAGE_CONSENT_RENEW_AFTER_DAYS", default=2 * 365)
ENGAGE_CONSENT_RENEWAL_GRACE_DAYS = env.int("ENGAGE_CONSENT_RENEWAL_GRACE_DAYS", default=30)
ENGAGE_IMPORT_MAX_BYTES = env.int("ENGAGE_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
# Imports are refused before any work beyond these (see README, "Importing people").
ENGAGE_IMPORT_MAX_ROWS = env.int("ENGAGE_IMPORT_MAX_ROWS", default=200_000)
ENGAGE_IMPORT_MAX_COLUMNS = env.int("ENGAGE_IMPORT_MAX_COLUMNS", default=200)
ENGAGE_IMPORT_MAX_XLSX_EXPANDED_BYTES = env.int(
    "ENGAGE_IMPORT_MAX_XLSX_EXPANDED_BYTES", default=250 * 1024 * 1024
)
# An import job's uploaded file and dry-run report (personal data) are deleted after this.
ENGAGE_IMPORT_KEEP_HOURS = env.int("ENGAGE_IMPORT_KEEP_HOURS", default=24)
# The one small-number threshold: a count of people below it is published as "fewer than N", in the
# representation reports, the survey's results and the summary report's attendance alike.
ENGAGE_SMALL_NUMBER_THRESHOLD = env.int("ENGAGE_SMALL_NUMBER_THRESHOLD", default=10)
ENGAGE_WAITLIST_OFFER_HOURS = env.int("ENGAGE_WAITLIST_OFFER_HOURS", default=48)
ENGAGE_PRIVACY_NOTICE_VERSION = env.str("ENGAGE_PRIVACY_NOTICE_VERSION", default="2026-11")
# Pre-reading uploads (events): largest file accepted, and the kinds accepted (checked by content).
ENGAGE_DOCUMENT_MAX_BYTES = env.int("ENGAGE_DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)
# Registration: how long an emailed verification code for a guest stays valid.
ENGAGE_REGISTRATION_CODE_MINUTES = env.int("ENGAGE_REGISTRATION_CODE_MINUTES", default=15)
# Signed links in mail (engage.links): how long each kind works. Mailbox providers expect an
# unsubscribe link to keep working long after the mail; a preferences link or a link to register
# as a person proves who you are, so it is short-lived. An expired link offers a fresh one, mailed
# to the address on file, at most ENGAGE_LINK_RENEW_PER_HOUR times an hour per person.
ENGAGE_LINK_UNSUBSCRIBE_DAYS = env.int("ENGAGE_LINK_UNSUBSCRIBE_DAYS", default=400)
ENGAGE_LINK_PREFERENCES_DAYS = env.int("ENGAGE_LINK_PREFERENCES_DAYS", default=30)
ENGAGE_LINK_REGISTER_DAYS = env.int("ENGAGE_LINK_REGISTER_DAYS", default=30)
# An owner's link to answer for one item: long enough to cover a granted extension.
ENGAGE_LINK_OWNER_REPLY_DAYS = env.int("ENGAGE_LINK_OWNER_REPLY_DAYS", default=45)
ENGAGE_LINK_RENEW_PER_HOUR = env.int("ENGAGE_LINK_RENEW_PER_HOUR", default=3)
# A survey link outlives the survey's default close (FEEDBACK_SURVEY_OPEN_DAYS), so the close
# time, which staff may move, is what normally ends it.
ENGAGE_LINK_SURVEY_DAYS = env.int("ENGAGE_LINK_SURVEY_DAYS", default=90)

# Attendees' feedback. The survey and session feedback close this many days after the meeting
# ends unless staff set a close time; raw answers (survey and session feedback) and equality
# answers are deleted this many days after the meeting ends; equality counts under the threshold
# are shown as "fewer than N".
FEEDBACK_SURVEY_OPEN_DAYS = env.int("FEEDBACK_SURVEY_OPEN_DAYS", default=28)
FEEDBACK_SURVEY_RETENTION_DAYS = env.int("FEEDBACK_SURVEY_RETENTION_DAYS", default=365)
FEEDBACK_EQUALITY_RETENTION_DAYS = env.int("FEEDBACK_EQUALITY_RETENTION_DAYS", default=180)

# --- Security defaults (hardened further in production) ---------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy on every response (django.middleware.csp): scripts only from our own
# static files, never inline; styles from our files or a <style nonce="{{ csp_nonce }}"> block
# (the critical CSS inlined for first paint). No 'unsafe-inline' anywhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- Logging ---------------------------------------------------------------------------------
# Log lines carry ids only, never names or addresses; engage.logging redacts any address that
# slips through (a URL in a framework message, an exception's text).
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "filters": {"redact_emails": {"()": "engage.logging.RedactEmailsFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_emails"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "celery": {"level": "INFO"},
        # WeasyPrint logs each layout step at INFO: one line per step of every PDF built.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# The summary report's draft (feedback.documents.report): counts of people or areas below this are
# shown as "fewer than N"; a theme raised under this many questions is recurring; how many points a
# theme (and the untagged points of a question) shows before "…and N more".
FEEDBACK_REPORT_RECURRING_MIN_QUESTIONS = 2
FEEDBACK_REPORT_POINTS_PER_THEME = 3
FEEDBACK_REPORT_UNTAGGED_PER_QUESTION = 10
