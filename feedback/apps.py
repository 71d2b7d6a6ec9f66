from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Feedback adds its sections to events' meeting pages; events never imports feedback.
        from engage.rights import register_subject_data
        from feedback import sections
        from feedback.rights import PROVIDERS

        sections.register()
        # Identified survey responses and owners' contacts join subject access and erasure
        # through engage's registry, which never imports feedback.
        for provider in PROVIDERS:
            register_subject_data(provider)
