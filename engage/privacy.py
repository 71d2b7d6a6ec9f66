"""The privacy notice: which version is current, older versions, and a check that every version
a consent cites is kept.

The current version is ENGAGE_PRIVACY_NOTICE_VERSION, the same value every new consent record
cites, so the notice a person is shown and the one their consent names cannot drift apart.
"""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError

from engage.models import ConsentRecord, PrivacyNotice


def privacy_notice_current() -> PrivacyNotice | None:
    """The notice new consents cite (ENGAGE_PRIVACY_NOTICE_VERSION), or None if it is missing."""
    return PrivacyNotice.objects.filter(version=settings.ENGAGE_PRIVACY_NOTICE_VERSION).first()


def privacy_notice_get(version: str) -> PrivacyNotice | None:
    return PrivacyNotice.objects.filter(version=version).first()


def privacy_notices_older() -> list[PrivacyNotice]:
    """Every kept version but the current one, newest first."""
    return list(
        PrivacyNotice.objects.exclude(version=settings.ENGAGE_PRIVACY_NOTICE_VERSION).only(
            "version", "title", "published_at"
        )
    )


def privacy_versions_missing() -> list[str]:
    """Versions cited by consent records (or by the setting) with no kept notice."""
    cited = set(
        ConsentRecord.objects.exclude(privacy_notice_version="")
        .values_list("privacy_notice_version", flat=True)
        .distinct()
    )
    cited.add(settings.ENGAGE_PRIVACY_NOTICE_VERSION)
    kept = set(PrivacyNotice.objects.filter(version__in=cited).values_list("version", flat=True))
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
