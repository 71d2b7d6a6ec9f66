from allauth.mfa.models import Authenticator
from django.shortcuts import redirect
from django.urls import reverse

from engage.roles import user_requires_mfa


class StaffMFARequiredMiddleware:
    """Staff who have not set up an authenticator can do nothing but set one up (or sign out)."""

    _ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz", "/media/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self._ALLOWED_PREFIXES)
            and user_requires_mfa(user)
            and not _has_totp(user)
        ):
            return redirect(f"{reverse('mfa_activate_totp')}?next={request.get_full_path()}")
        return self.get_response(request)


def _has_totp(user) -> bool:
    loaded = getattr(user, "access_has_totp", None)  # set by engage.auth with the user row
    if loaded is not None:
        return loaded

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
