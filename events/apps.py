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
