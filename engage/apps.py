from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate


def _ensure_roles(sender, **kwargs) -> None:
    # Permissions only exist after migrate has created them, so roles are synced here, like
    # Django's own permission creation, rather than in a data migration.
    from engage.roles import roles_ensure

    roles_ensure()


def _link_stakeholder(sender, request, user, **kwargs) -> None:
    # On every sign-in, so a representative's account finds their registrations and consents
    # from their first visit, by the address they have just proved.
    from engage.services import stakeholder_link_user

    stakeholder_link_user(user=user)


class EngageConfig(AppConfig):
    name = "engage"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_ensure_roles, sender=self, dispatch_uid="engage_roles_ensure")
        user_logged_in.connect(_link_stakeholder, dispatch_uid="engage_link_stakeholder")
        # Importing these connects anymail's tracking signal (ESP webhooks) to engage.mail's one
        # service, and registers engage's own subject-data provider (other apps register theirs
        # in their ready()).
        import config.checks  # noqa: F401  (registers the deploy checks)
        import engage.importers.jobs  # noqa: F401  (import files in subject access and erasure)
        import engage.mail.webhooks  # noqa: F401
        import engage.privacy  # noqa: F401  (registers the privacy-notice version check)
        import engage.rights  # noqa: F401
