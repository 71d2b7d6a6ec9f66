"""The privacy notice: which version is current, older versions, and a check that every version
a consent cites is kept.

The current version is the latest one published (staff publish a new version from
/staff/privacy/); every new consent record cites it (`privacy_notice_version_current`), so the
notice a person is shown and the one their consent names cannot drift apart. Until a notice has
been published at all, ENGAGE_PRIVACY_NOTICE_VERSION names the version consents cite.
"""

from django.conf import settings
from django.core.cache import cache
from django.core.checks import Error, Tags, register
from django.db import DatabaseError
from django.utils import timezone

from engage.models import ConsentRecord, PrivacyNotice

# Every consent written asks which version is current: from the cache, cleared on publishing.
CURRENT_CACHE_KEY = "engage:privacy-notice-current"


def _published():
    return PrivacyNotice.objects.filter(
        published_at__isnull=False, published_at__lte=timezone.now()
    ).order_by("-published_at", "-id")


def privacy_notice_current() -> PrivacyNotice | None:
    """The latest published notice, the one new consents cite, or None if none is published."""
    return _published().first()


def privacy_notice_version_current() -> str:
    """The version new consents cite: the latest published, else ENGAGE_PRIVACY_NOTICE_VERSION."""
    version = cache.get(CURRENT_CACHE_KEY)
    if version is None:
        version = (
            _published().values_list("version", flat=True).first()
            or settings.ENGAGE_PRIVACY_NOTICE_VERSION
        )
        cache.set(CURRENT_CACHE_KEY, version, timeout=300)
    return version


def privacy_notice_get(version: str) -> PrivacyNotice | None:
    """A published version by its name (a draft is not shown to the public)."""
    return PrivacyNotice.objects.filter(version=version, published_at__isnull=False).first()


def privacy_notices_older() -> list[PrivacyNotice]:
    """Every published version but the current one, newest first."""
    current = privacy_notice_current()
    return list(
        _published()
        .exclude(pk=current.pk if current else None)
        .only("version", "title", "published_at")
    )


def privacy_notices_all() -> list[PrivacyNotice]:
    """Every version, drafts first, then the published ones newest first (the staff list)."""
    drafts = PrivacyNotice.objects.filter(published_at__isnull=True).order_by("-id")
    return [*drafts, *PrivacyNotice.objects.filter(published_at__isnull=False)]


def privacy_versions_missing() -> list[str]:
    """Versions cited by consent records (or by the setting) with no published notice."""
    cited = set(
        ConsentRecord.objects.exclude(privacy_notice_version="")
        .values_list("privacy_notice_version", flat=True)
        .distinct()
    )
    cited.add(settings.ENGAGE_PRIVACY_NOTICE_VERSION)
    kept = set(
        PrivacyNotice.objects.filter(version__in=cited, published_at__isnull=False).values_list(
            "version", flat=True
        )
    )
    return sorted(cited - kept)


@register(Tags.database)
def check_privacy_notice_versions(app_configs, databases=None, **kwargs) -> list[Error]:
    """A consent that cites a notice we cannot show is no evidence of what the person was told.

    Tagged `database` (it reads tables): `manage.py check --database default` and migrate run it.
    """
    if not databases:
        return []
    try:
        missing = privacy_versions_missing()
    except DatabaseError:  # tables not made yet: migrate will create them and the notice
        return []
    if not missing:
        return []
    return [
        Error(
            f"Privacy notice version(s) {', '.join(missing)} are cited but not kept.",
            hint="Add a PrivacyNotice row with the exact text of each version (a data migration), "
            "or set ENGAGE_PRIVACY_NOTICE_VERSION to a kept version.",
            id="engage.E002",
        )
    ]
