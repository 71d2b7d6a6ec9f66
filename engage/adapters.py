import datetime
import time

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core import context as allauth_context
from allauth.mfa.models import Authenticator
from django.contrib.sites.shortcuts import get_current_site

from engage.mail.services import email_queue_rendered


class AccountAdapter(DefaultAccountAdapter):
    """Project policy for accounts; account mail joins the one outbound path (see engage.mail)."""

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render allauth's templates as allauth does, then queue the mail as an OutboundEmail.

        Account mail (sign-in codes, address verification) is transactional: it has no consent
        purpose and is sent even to a suppressed address, because the person asked for it just
        now and could not sign in without it (see engage.mail.sending). Side effects: one
        OutboundEmail row, its send task queued on commit.
        """
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        text, html = message.body, ""
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                html = content
        if message.content_subtype == "html":
            text, html = "", message.body
        email_queue_rendered(
            to_email=email,
            template=template_prefix,
            subject=message.subject,
            text=text,
            html=html,
        )

    def is_open_for_signup(self, request) -> bool:
        """Nobody makes their own account: stakeholders join the list through its double opt-in
        (/join/), which records their consent, and staff accounts are made by an administrator.
        allauth then answers /accounts/signup/ with its "sign up closed" page."""
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """Staff who must set up their first authenticator right after signing in are not asked
        for their password again to do so (nor to see the recovery codes that follow); every
        later MFA change asks, as allauth does."""
        request = self.request
        if (
            app == "allauth.mfa"
            and request is not None
            and request.user.is_authenticated
            and _first_authenticator_in_this_sign_in(request, within_seconds=300)
        ):
            return False
        return super().is_reauthentication_required(app=app, **kwargs)


def _first_authenticator_in_this_sign_in(request, *, within_seconds: int) -> bool:
    records = get_authentication_records(request, request.user)
    if not records or time.time() - records[-1]["at"] >= within_seconds:
        return False
    signed_in_at = datetime.datetime.fromtimestamp(records[-1]["at"], tz=datetime.UTC)
    # Only authenticators added since this sign-in: an older one means MFA was set up before.
    return not Authenticator.objects.filter(user=request.user, created_at__lt=signed_in_at).exists()
