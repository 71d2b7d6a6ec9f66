"""Seed the five consent purposes the join form and the preferences page show, and the interests
people can pick when they join. Wording here is what the ledger stores when someone agrees."""

from django.db import migrations

PURPOSES = [
    {
        "slug": "meeting-invitations",
        "name": "Meeting invitations and updates",
        "description": "Invitations to the quarterly public review meetings and news about them.",
        "wording": "Email me invitations to public review meetings and updates about them.",
        "is_sensitive": False,
    },
    {
        "slug": "action-plan-news",
        "name": "Action plan news",
        "description": "Progress updates on the action plan and the written responses to feedback.",
        "wording": (
            "Email me news about progress on the action plan, including the quarterly progress "
            "updates and the written responses to community feedback."
        ),
        "is_sensitive": False,
    },
    {
        "slug": "equality-monitoring",
        "name": "Equality monitoring data",
        "description": "Age band, ethnicity and similar details, reported only in aggregate.",
        "wording": (
            "Keep the equality monitoring details I choose to give (such as my age band and "
            "ethnicity) so the team can check that every community is represented. They are only "
            "ever reported as totals, never with my name."
        ),
        "is_sensitive": True,
    },
    {
        "slug": "access-needs",
        "name": "Access needs for events",
        "description": "What someone needs to take part; seen by the engagement team only.",
        "wording": (
            "Keep the access needs I tell you about so that the events I register for can meet "
            "them. Only the engagement team sees them, and they are deleted after each event."
        ),
        "is_sensitive": True,
    },
    {
        "slug": "attendee-list",
        "name": "Appearing on a published attendee list",
        "description": "Name and organisation on the list of attendees published after a meeting.",
        "wording": (
            "Include my name and organisation on the list of attendees published after the "
            "meetings I attend."
        ),
        "is_sensitive": False,
    },
]

INTERESTS = [
    "Stop and search",
    "Use of force",
    "Young people and schools",
    "Trust and confidence in policing",
    "Violence against women and girls",
]


def seed(apps, schema_editor):
    ConsentPurpose = apps.get_model("engage", "ConsentPurpose")
    Tag = apps.get_model("engage", "Tag")
    for order, purpose in enumerate(PURPOSES, start=1):
        ConsentPurpose.objects.get_or_create(
            slug=purpose["slug"],
            defaults={**purpose, "ordering": order, "lawful_basis": "consent", "active": True},
        )
    for name in INTERESTS:
        Tag.objects.get_or_create(name=name, defaults={"kind": "interest"})


class Migration(migrations.Migration):
    dependencies = [("engage", "0003_stakeholder_search_indexes")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
