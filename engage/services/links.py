"""Mailing a fresh signed link to the address on file, for a link that has expired (the tokens
themselves are engage.links)."""

import logging

from engage.links import (
    PREFERENCES,
    PURPOSES,
    REGISTER,
    SURVEY,
    UNSUBSCRIBE,
    Link,
    LinkExpired,
    LinkInvalid,
    lifetime,
    link_path,
    link_read,
    link_renew_allowed,
    link_token,
)
from engage.mail.rendering import absolute_url
from engage.mail.services import email_queue

logger = logging.getLogger(__name__)


def link_renew(*, token: str, purpose: str, want: str = "", ip_address: str | None = None) -> bool:
    """Mail a fresh link to the address on file, for a genuine token of `purpose` (expired or
    not) that is still for that address.

    `want` is the purpose of the fresh link: the same as the token's by default; an unsubscribe
    or register token may also ask for a preferences link, which goes to the address on file and
    so proves nothing to whoever holds the old token. Returns whether an email was queued; the
    caller shows the same answer either way, so the page never tells whether a token or an
    address is known. Side effect: one transactional email through email_queue.
    """
    want = want or purpose
    if purpose not in PURPOSES or want not in (purpose, PREFERENCES):
        return False
    try:
        link = link_read(token=token, purpose=purpose)
    except LinkExpired as expired:
        link = expired.link
    except LinkInvalid:
        return False
    stakeholder = link.stakeholder
    if not link_renew_allowed(stakeholder=stakeholder, ip_address=ip_address):
        logger.info("link renewal refused: rate", extra={"stakeholder_id": stakeholder.pk})
        return False
    fresh = Link(
        stakeholder=stakeholder,
        purpose=want,
        consent_slug=link.consent_slug if want == UNSUBSCRIBE else "",
        path=link.path if want in (REGISTER, SURVEY) else "",
        ref=link.ref if want == SURVEY else "",
    )
    new_token = link_token(
        stakeholder=stakeholder,
        purpose=want,
        consent_slug=fresh.consent_slug,
        path=fresh.path,
        ref=fresh.ref,
    )
    email_queue(
        to_email=stakeholder.email,
        template="engage/link_renewed",
        stakeholder=stakeholder,
        context={
            "first_name": stakeholder.first_name,
            "purpose": want,
            "link_url": absolute_url(link_path(fresh, new_token)),
            "days": lifetime(want).days,
        },
    )
    logger.info("link renewed", extra={"stakeholder_id": stakeholder.pk, "link_purpose": want})
    return True
