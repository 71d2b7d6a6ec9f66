from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Feedback adds its sections to events' meeting pages; events never imports feedback.
        from engage.rights import register_subject_data
        from feedback import sections
        from feedback.rights import PROVIDER

        sections.register()
        # Owners' contacts are personal data; engage's registry reaches them without importing us.
        register_subject_data(PROVIDER)
