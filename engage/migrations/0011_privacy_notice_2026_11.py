"""The privacy notice every consent recorded so far cites: version 2026-11, its exact words."""

import datetime

from django.db import migrations

VERSION = "2026-11"

LAWFUL_BASIS = (
    "We hold the stakeholder list and run public review meetings as part of our public task: "
    "holding the police to account for London (UK GDPR Article 6(1)(e)). We email you about "
    "meetings and the action plan only with your consent (Article 6(1)(a)), which you can "
    "withdraw at any time. Equality monitoring answers and access needs can say something about "
    "your health, ethnicity or beliefs: we keep them only with your explicit consent (Article "
    "9(2)(a)), and report equality answers only as totals."
)

SECTIONS = [
    {
        "heading": "Who we are",
        "text": (
            "The community engagement team of the Mayor's Office for Policing and Crime runs "
            "Engage. We decide what happens to the details you give us here: we are the data "
            "controller. We will not share your details."
        ),
    },
    {
        "heading": "What we collect and why",
        "text": (
            "When you join the stakeholder list: your name, email address, area, the "
            "organisation or community you represent and the subjects you are interested in, "
            "so that we can invite you to meetings that matter to you.\n\n"
            "When you register for a meeting: the same details, any access needs you tell us "
            "about and your choices about breakouts, so that we can plan the meeting and keep "
            "you a place. We count which boroughs were represented, without names.\n\n"
            "We keep a record of every consent you give or withdraw: the words you saw, when, "
            "and which version of this notice was current, so that we can show it to you again."
        ),
    },
    {
        "heading": "How long we keep it",
        "text": (
            "Access needs are deleted 30 days after the meeting. Copies of the emails we send "
            "you are kept for 180 days and records of their delivery for 180 days. Records of "
            "what staff did with your details are kept for two years.\n\n"
            "If we have not heard from you for two years we email you to ask whether you still "
            "want to hear from us; if you do not answer within 30 days your consent lapses and "
            "we stop emailing you. If you have no consent and have not taken part for three "
            "years, we delete your details, keeping only counts."
        ),
    },
    {
        "heading": "Your rights",
        "text": (
            "You can ask for a copy of everything we hold about you, ask us to correct it or "
            "delete it, and object to our using it. You can change what we email you about, or "
            "unsubscribe, from the link in every email. Email the community engagement team to "
            "ask. If you are unhappy with how we have used your details you can complain to the "
            "Information Commissioner's Office (ico.org.uk)."
        ),
    },
]


def add_notice(apps, schema_editor):
    PrivacyNotice = apps.get_model("engage", "PrivacyNotice")
    if not PrivacyNotice.objects.filter(version=VERSION).exists():
        PrivacyNotice.objects.create(
            version=VERSION,
            title="How we use your information",
            published_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
            lawful_basis=LAWFUL_BASIS,
            sections=SECTIONS,
        )


class Migration(migrations.Migration):
    dependencies = [("engage", "0010_privacy_notice")]

    operations = [migrations.RunPython(add_notice, migrations.RunPython.noop)]
