"""Signed, opaque tokens for links in mail: one-click unsubscribe, preferences, registering as
a person, answering a meeting's survey (one link per registration: `ref` names it), and an owner
answering for one item (`item_link_token`, below).

Each token is signed with its purpose as the salt, so a token made for one purpose is refused by
every other (an unsubscribe link cannot open preferences, a preferences link cannot prove who
registers). It carries the stakeholder's link_key (never the id), a keyed digest of the address
it was mailed to (so it dies when staff change the address, and reveals nothing to someone who
guesses addresses) and a timestamp checked against the purpose's lifetime setting. Rotating
link_key on erasure revokes every link ever sent.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from engage.models import Stakeholder
from engage.normalise import normalise_email

UNSUBSCRIBE = "unsubscribe"
PREFERENCES = "preferences"
REGISTER = "register"
SURVEY = "survey"
PURPOSES = (UNSUBSCRIBE, PREFERENCES, REGISTER, SURVEY)
# Links for someone with no account who answers for one item (a response owed, a plan update).
OWNER_REPLY = "owner-reply"
ITEM_PURPOSES = (OWNER_REPLY,)

_SALT = "engage.links."


class LinkInvalid(Exception):
    """Not a token for this purpose, tampered with, revoked, or for an address no longer on file."""


class LinkExpired(LinkInvalid):
    """A genuine token for the address on file, past its purpose's lifetime: a fresh one may be
    mailed to that address (engage.services.link_renew)."""


@dataclass(frozen=True)
class Link:
    stakeholder: object
    purpose: str
    consent_slug: str = ""  # unsubscribe: the consent purpose to withdraw ("" = everything)
    path: str = ""  # register, survey: the page the link opens
    ref: str = ""  # survey: the registration the link was mailed for


def lifetime(purpose: str) -> timedelta:
    days = {
        UNSUBSCRIBE: settings.ENGAGE_LINK_UNSUBSCRIBE_DAYS,
        PREFERENCES: settings.ENGAGE_LINK_PREFERENCES_DAYS,
        REGISTER: settings.ENGAGE_LINK_REGISTER_DAYS,
        SURVEY: settings.ENGAGE_LINK_SURVEY_DAYS,
        OWNER_REPLY: settings.ENGAGE_LINK_OWNER_REPLY_DAYS,
    }[purpose]
    return timedelta(days=days)


def _address_digest(address: str) -> str:
    return salted_hmac(
        _SALT + "address", normalise_email(address or ""), algorithm="sha256"
    ).hexdigest()[:20]


def link_token(
    *,
    stakeholder,
    purpose: str,
    sent_to: str = "",
    consent_slug: str = "",
    path: str = "",
    ref: str = "",
) -> str:
    """A token for `purpose`, valid for the address `sent_to` (default: the address on file)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    data = {"k": str(stakeholder.link_key), "a": _address_digest(sent_to or stakeholder.email)}
    if consent_slug:
        data["c"] = consent_slug
    if path:
        data["u"] = path
    if ref:
        data["r"] = ref
    return signing.dumps(data, salt=_SALT + purpose, compress=True)


def link_read(*, token: str, purpose: str) -> Link:
    """The link a token makes for `purpose`.

    Raises LinkExpired (with .link set) for a genuine token past its lifetime, so the page can
    offer a fresh one; LinkInvalid for anything else, including a token for another purpose or
    for an address the person no longer has.
    """
    salt = _SALT + purpose
    expired = False
    try:
        data = signing.loads(token, salt=salt, max_age=lifetime(purpose))
    except signing.SignatureExpired:
        expired = True
        data = signing.loads(token, salt=salt)  # the signature holds; only the age failed
    except signing.BadSignature as exc:
        raise LinkInvalid from exc
    if not isinstance(data, dict) or "k" not in data or "a" not in data:
        raise LinkInvalid
    stakeholder = Stakeholder.objects.filter(link_key=data["k"], anonymised_at__isnull=True).first()
    if stakeholder is None or not stakeholder.email:
        raise LinkInvalid
    if not constant_time_compare(data["a"], _address_digest(stakeholder.email)):
        raise LinkInvalid
    link = Link(
        stakeholder=stakeholder,
        purpose=purpose,
        consent_slug=data.get("c", ""),
        path=_safe_path(data.get("u", "")),
        ref=str(data.get("r", "")),
    )
    if expired:
        error = LinkExpired()
        error.link = link
        raise error
    return link


def _safe_path(path: str) -> str:
    # Signed by us, but a local path is all a link may ever lead to.
    return path if path.startswith("/") and not path.startswith("//") else ""


def link_path(link: Link, token: str) -> str:
    """The site path a token opens (unsubscribe and preferences pages, or the register page)."""
    if link.purpose in (REGISTER, SURVEY):
        return f"{link.path}?t={token}"
    name = "engage:unsubscribe" if link.purpose == UNSUBSCRIBE else "engage:preferences"
    return reverse(name, kwargs={"token": token})


def link_renew_allowed(*, stakeholder, ip_address: str | None) -> bool:
    """At most ENGAGE_LINK_RENEW_PER_HOUR fresh links per person and ten times that per client
    address an hour: enough for a lost email, useless for mail-bombing someone."""
    per_person = settings.ENGAGE_LINK_RENEW_PER_HOUR
    keys = [(f"engage:link-renew:k:{stakeholder.link_key}", per_person)]
    if ip_address:
        ip_digest = salted_hmac(_SALT + "ip", ip_address, algorithm="sha256").hexdigest()[:20]
        keys.append((f"engage:link-renew:ip:{ip_digest}", per_person * 10))
    allowed = True
    for key, limit in keys:
        cache.add(key, 0, timeout=3600)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=3600)
            count = 1
        allowed = allowed and count <= limit
    return allowed


# --- Item links: one item, one address, no account -------------------------------------------


def item_link_token(*, purpose: str, item: str, sent_to: str) -> str:
    """A token for `purpose` bound to one item (an opaque key the caller chooses, such as
    "response:12") and to the address it is mailed to. The caller checks, when it is used, that
    the address is still the one on file for the item."""
    if purpose not in ITEM_PURPOSES:
        raise ValueError(f"unknown item link purpose {purpose!r}")
    if not item or not sent_to:
        raise ValueError("an item link needs an item and an address")
    data = {"i": item, "a": _address_digest(sent_to)}
    return signing.dumps(data, salt=_SALT + purpose, compress=True)


def item_link_read(*, token: str, purpose: str, item: str, address: str) -> None:
    """Check a token for `purpose`, `item` and the address now on file for it.

    Raises LinkExpired for a genuine token for this item and address past its lifetime (the
    owner can be sent a fresh one); LinkInvalid for a forged or tampered token, a token of another
    purpose, for another item, or for an address no longer on file.
    """
    if purpose not in ITEM_PURPOSES:
        raise LinkInvalid
    salt = _SALT + purpose
    expired = False
    try:
        data = signing.loads(token, salt=salt, max_age=lifetime(purpose))
    except signing.SignatureExpired:
        expired = True
        data = signing.loads(token, salt=salt)
    except signing.BadSignature as exc:
        raise LinkInvalid from exc
    if not isinstance(data, dict) or not address:
        raise LinkInvalid
    if not constant_time_compare(str(data.get("i", "")), item):
        raise LinkInvalid
    if not constant_time_compare(str(data.get("a", "")), _address_digest(address)):
        raise LinkInvalid
    if expired:
        raise LinkExpired
