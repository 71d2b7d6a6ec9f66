"""The questions the team has asked at past meetings, as templates to pick from."""

from django.db import migrations

SEEDED = [
    ("If the Met were to stop doing something in your local area what should it be?", ["capture"]),
    ("If the Met were to start doing something in your local area what should it be?", ["capture"]),
    ("If the Met were to continue doing one thing in your local area, what would it be?", ["capture"]),
    ("How could communities help support the Met's Use of Force work?", ["capture"]),
    (
        "How can communities help ensure that people who are stopped by the police understand "
        "what might happen and avoid conflict?",
        ["capture"],
    ),
    (
        "If you could have changed one thing about this session, what would it be?",
        ["session_feedback", "survey"],
    ),
]


def seed(apps, schema_editor):
    QuestionTemplate = apps.get_model("feedback", "QuestionTemplate")
    for text, sources in SEEDED:
        QuestionTemplate.objects.get_or_create(
            text=text, seeded=True, defaults={"answer_sources": sources}
        )


def unseed(apps, schema_editor):
    apps.get_model("feedback", "QuestionTemplate").objects.filter(
        seeded=True, text__in=[text for text, _ in SEEDED]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("feedback", "0002_capture_questions_themes")]

    operations = [migrations.RunPython(seed, unseed)]
