from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Feedback adds its sections to events' meeting pages; events never imports feedback.
        from feedback import sections

        sections.register()
