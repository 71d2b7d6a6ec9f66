from allauth.account.forms import LoginForm as AllauthLoginForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AllauthLoginForm):
    """One sign-in form: staff give their password (then TOTP); everyone else leaves it blank for a code."""

    def _setup_password_field(self) -> None:
        field = self.fields["password"]
        field.required = False
        field.help_text = _(
            "Engagement team: enter your password. Everyone else: leave this blank and we will "
            "email you a sign-in code."
        )
