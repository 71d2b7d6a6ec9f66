"""Authentication backends that load a signed-in user's access facts with the user row.

Every staff page needs the same facts: the user, their permissions (Django asks twice: the
user's own and their groups'), their role names (for the menus and the MFA rule) and whether
they have an authenticator (the MFA middleware). Loaded one by one that was six queries before
a page did any work; here it is one query per request, read fresh each time, so a role taken
away or an authenticator removed counts at the very next request.
"""

from allauth.account.auth_backends import AuthenticationBackend as _AllauthBackend
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as _ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import router
from django.db.models import Exists, OuterRef, Q, StringAgg, Subquery, Value
from django.db.models.functions import Concat

# Neither a group name typed in the admin nor an "app.codename" holds a line break.
_SEPARATOR = "\n"


def _joined(queryset, expression):
    """A scalar subquery: `expression` over the rows of `queryset`, joined by _SEPARATOR."""
    return Subquery(
        queryset.order_by()
        .annotate(_one=Value(1))
        .values("_one")
        .annotate(_joined=StringAgg(expression, Value(_SEPARATOR)))
        .values("_joined")[:1]
    )


def _split(text: str | None) -> set[str]:
    return set(text.split(_SEPARATOR)) if text else set()


def _access_facts_queryset():
    permission = Concat("content_type__app_label", Value("."), "codename")
    return get_user_model()._default_manager.annotate(
        _access_groups=_joined(Group.objects.filter(user=OuterRef("pk")), "name"),
        _access_user_perms=_joined(Permission.objects.filter(user=OuterRef("pk")), permission),
        _access_group_perms=_joined(
            Permission.objects.filter(Q(group__user=OuterRef("pk"))), permission
        ),
        _access_has_totp=Exists(
            Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)
        ),
    )


# Compiling that query cost more than running it, on every request; the SQL is the same each
# time but for the user id, so it is compiled once per database and the id put in its place.
_PLACEHOLDER_ID = -982_451_653
_compiled: dict[str, tuple[str, tuple, int]] = {}


def user_with_access_facts(user_id):
    """The user, with permissions, group names and TOTP state set on it, in one query; or None."""
    user_model = get_user_model()
    alias = router.db_for_read(user_model)
    if alias not in _compiled:
        query = _access_facts_queryset().filter(pk=_PLACEHOLDER_ID)[:1].query
        sql, params = query.get_compiler(using=alias).as_sql()
        _compiled[alias] = (sql, tuple(params), list(params).index(_PLACEHOLDER_ID))
    sql, params, at = _compiled[alias]
    params = (*params[:at], user_model._meta.pk.to_python(user_id), *params[at + 1 :])
    user = next(iter(user_model._default_manager.raw(sql, params, using=alias)), None)
    if user is None:
        return None
    user.access_group_names = _split(user._access_groups)
    user.access_has_totp = bool(user._access_has_totp)
    if not user.is_superuser:
        # The same caches ModelBackend fills on first use (a superuser holds every permission,
        # which ModelBackend works out itself).
        user._user_perm_cache = _split(user._access_user_perms)
        user._group_perm_cache = _split(user._access_group_perms)
        user._perm_cache = user._user_perm_cache | user._group_perm_cache
    return user


class _AccessFactsMixin:
    def get_user(self, user_id):
        user = user_with_access_facts(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(_AccessFactsMixin, _ModelBackend):
    """Django's backend (staff passwords, force_login in tests), loading access facts at once."""


class AuthenticationBackend(_AccessFactsMixin, _AllauthBackend):
    """allauth's backend (sign-in by email), loading access facts at once."""
