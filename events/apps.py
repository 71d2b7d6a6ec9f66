from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Subject access and erasure reach events' rows through engage's registry, so engage
        # never imports events.
        from engage.rights import register_subject_data
        from events.rights import PROVIDER

        register_subject_data(PROVIDER)
        # The account page lists the person's registrations, the same way.
        from engage.account import register_account_section
        from events.account import registrations_section

        register_account_section(name="registrations", provider=registrations_section, order=10)
