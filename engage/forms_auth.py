"""allauth's sign-in forms in the product's words: representatives and facilitators get a code
by email, staff give a password and then their authenticator's code."""

from allauth.account.forms import ConfirmLoginCodeForm as AllauthConfirmLoginCodeForm
from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import ReauthenticateForm as AllauthReauthenticateForm
from allauth.account.forms import RequestLoginCodeForm as AllauthRequestLoginCodeForm
from allauth.mfa.base.forms import AuthenticateForm as AllauthAuthenticateForm
from allauth.mfa.base.forms import ReauthenticateForm as AllauthMfaReauthenticateForm
from django.utils.translation import gettext_lazy as _

from engage.forms_base import ErrorMessagesMixin


def _email_field(form) -> None:
    field = form.fields.get("login") or form.fields.get("email")
    if field is not None:
        field.label = _("Email address")
        field.widget.attrs.pop("placeholder", None)
        field.widget.attrs.update({"autocomplete": "email", "inputmode": "email"})


def _code_field(form, *, label, help_text) -> None:
    field = form.fields["code"]
    field.label = label
    field.help_text = help_text
    field.widget.attrs.pop("placeholder", None)
    field.widget.attrs.update({"inputmode": "numeric", "autocomplete": "one-time-code"})


class LoginForm(ErrorMessagesMixin, AllauthLoginForm):
    """One sign-in form: staff give their password (then TOTP); everyone else leaves it blank for a code."""

    to_the_person = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _email_field(self)
        if "remember" in self.fields:
            self.fields["remember"].label = _("Keep me signed in on this device")

    def _setup_password_field(self) -> None:
        field = self.fields["password"]
        field.required = False
        field.label = _("Password (engagement team only)")
        field.widget.attrs.pop("placeholder", None)
        field.help_text = _(
            "Representatives and facilitators: leave this empty and we will email you a sign-in "
            "code."
        )


class RequestLoginCodeForm(ErrorMessagesMixin, AllauthRequestLoginCodeForm):
    to_the_person = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _email_field(self)


class ConfirmLoginCodeForm(ErrorMessagesMixin, AllauthConfirmLoginCodeForm):
    to_the_person = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _code_field(
            self,
            label=_("Sign-in code"),
            help_text=_("The code in the email we have just sent you."),
        )


class ReauthenticateForm(ErrorMessagesMixin, AllauthReauthenticateForm):
    to_the_person = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].label = _("Your password")


class AuthenticateForm(ErrorMessagesMixin, AllauthAuthenticateForm):
    to_the_person = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _code_field(
            self,
            label=_("Code from your authenticator app"),
            help_text=_("Six digits, or one of your recovery codes."),
        )


class MfaReauthenticateForm(ErrorMessagesMixin, AllauthMfaReauthenticateForm):
    to_the_person = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _code_field(
            self,
            label=_("Code from your authenticator app"),
            help_text=_("Six digits, or one of your recovery codes."),
        )
