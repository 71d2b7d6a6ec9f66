import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from engage.enums import Role
from engage.roles import roles_ensure, user_set_role
from tests.factories import UserFactory
from tests.worker import worker  # noqa: F401  (the real Celery worker fixture)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_OUTBOX_DIR = tmp_path / "outbox"


@pytest.fixture(autouse=True)
def _empty_cache():
    # The test cache is per process (locmem): without this, what one test cached (the list's
    # filter options, its count) would be served to the next test's different database.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def roles(db):
    roles_ensure()


def _user_with_role(role: str, *, totp: bool) -> object:
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    user_set_role(user=user, role=role)
    if totp:
        TOTP.activate(user, generate_totp_secret())
    return user


@pytest.fixture
def representative(roles):
    return _user_with_role(Role.REPRESENTATIVE, totp=False)


@pytest.fixture
def facilitator(roles):
    return _user_with_role(Role.FACILITATOR, totp=False)


@pytest.fixture
def engagement_team(roles):
    return _user_with_role(Role.ENGAGEMENT_TEAM, totp=True)


@pytest.fixture
def administrator(roles):
    return _user_with_role(Role.ADMINISTRATOR, totp=True)


@pytest.fixture
def role_users(representative, facilitator, engagement_team, administrator):
    """Every role, keyed by name, plus an anonymous visitor (None)."""
    return {
        "anonymous": None,
        "representative": representative,
        "facilitator": facilitator,
        "engagement_team": engagement_team,
        "administrator": administrator,
    }


@pytest.fixture
def consent_purposes(db):
    """The five seeded purposes, by slug. Transactional tests flush the migration's rows, so
    this puts them back when they are gone."""
    import importlib

    from django.apps import apps

    from engage.models import ConsentPurpose

    importlib.import_module("engage.migrations.0004_seed_consent_purposes").seed(apps, None)
    return {p.slug: p for p in ConsentPurpose.objects.all()}


@pytest.fixture
def privacy_notice(db):
    """The privacy notice version 2026-11 from its data migration (put back after a flush)."""
    import importlib

    from django.apps import apps

    from engage.models import PrivacyNotice

    importlib.import_module("engage.migrations.0011_privacy_notice_2026_11").add_notice(apps, None)
    return PrivacyNotice.objects.get(version="2026-11")


def pytest_collection_modifyitems(items):
    # Under pytest-xdist (`-n 2 --dist loadgroup`, as .ci/run uses) tests with a real Celery worker
    # run in one process, one at a time: they share one Redis database, which each one flushes.
    for item in items:
        if item.get_closest_marker("worker"):
            item.add_marker(pytest.mark.xdist_group("celery-worker"))
