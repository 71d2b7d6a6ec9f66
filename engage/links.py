"""Signed, opaque tokens for links in mail: preferences, one-click unsubscribe, personal registration.

A token carries the stakeholder's link_key (never the id or the address), so rotating link_key on
erasure revokes every link ever sent.
"""

from django.core import signing

_SALT = "engage.links"


def stakeholder_token(stakeholder, *, purpose_slug: str = "") -> str:
    """A token naming `stakeholder` (and optionally a consent purpose, for unsubscribe links)."""
    return signing.dumps(
        {"k": str(stakeholder.link_key), "p": purpose_slug}, salt=_SALT, compress=True
    )


def stakeholder_from_token(token: str):
    """The (stakeholder, purpose_slug) a token names; raises signing.BadSignature or DoesNotExist."""
    from engage.models import Stakeholder

    data = signing.loads(token, salt=_SALT)
    return Stakeholder.objects.get(link_key=data["k"], anonymised_at__isnull=True), data.get(
        "p", ""
    )
