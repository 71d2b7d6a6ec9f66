"""Guest email codes: a six-digit code proves a guest can read mail at the address they give."""

import secrets

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from engage.mail.services import email_queue
from engage.normalise import normalise_email
from events.services.meeting_places import RegistrationRefused

_CODE_SALT = "events.registration.code"
MAX_CODES_PER_ADDRESS = 5


def _code_hash(email: str, code: str) -> str:
    return salted_hmac(_CODE_SALT, f"{email}:{code}", algorithm="sha256").hexdigest()


def registration_email_code_send(*, meeting, email: str) -> str:
    """Email a six-digit code that proves a guest can read mail at `email`.

    Returns a signed challenge to keep server-side (in the session) until the code is entered.
    Side effect: queues one transactional email through email_queue. Raises RegistrationRefused
    after MAX_CODES_PER_ADDRESS codes to one address within the code's lifetime.
    """

    normalised = normalise_email(email)
    # A handful of codes per address per window: enough for a slow inbox, useless for mail-bombing.
    key = f"events:code-sends:{_code_hash(normalised, 'sends')}"
    cache.add(key, 0, timeout=settings.ENGAGE_REGISTRATION_CODE_MINUTES * 60)
    try:
        sends = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        sends = 1
    if sends > MAX_CODES_PER_ADDRESS:
        raise RegistrationRefused(
            _(
                "We have already sent several codes to this address. Please use the latest one, "
                "or try again in %(minutes)d minutes."
            )
            % {"minutes": settings.ENGAGE_REGISTRATION_CODE_MINUTES},
            code="too_many_codes",
        )
    code = f"{secrets.randbelow(10**6):06d}"
    email_queue(
        to_email=email.strip(),
        template="events/registration_code",
        context={
            "code": code,
            "meeting_title": meeting.title,
            "minutes": settings.ENGAGE_REGISTRATION_CODE_MINUTES,
        },
    )
    return signing.dumps({"e": normalised, "h": _code_hash(normalised, code)}, salt=_CODE_SALT)


def registration_email_code_check(*, challenge: str, code: str) -> str:
    """The normalised email a correct, unexpired code proves; raises RegistrationRefused otherwise."""
    try:
        data = signing.loads(
            challenge, salt=_CODE_SALT, max_age=settings.ENGAGE_REGISTRATION_CODE_MINUTES * 60
        )
    except signing.SignatureExpired:
        raise RegistrationRefused(
            _("That code has expired. We can send you a new one."), code="code_expired"
        ) from None
    except signing.BadSignature:
        raise RegistrationRefused(_("Please ask for a new code."), code="code_invalid") from None
    entered = "".join(ch for ch in code if ch.isdigit())
    if not constant_time_compare(data["h"], _code_hash(data["e"], entered)):
        raise RegistrationRefused(
            _("That code is not right. Check the email we sent and try again."),
            code="code_wrong",
        )
    return data["e"]
