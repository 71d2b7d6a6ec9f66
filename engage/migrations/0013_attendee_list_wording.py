"""The attendee-list consent says who sees the list: it is shown on the meeting's page, after the
meeting, to the people who held a place (events.selectors.meeting_attendee_list). Records keep
the words each person saw; new ones cite these."""

from django.db import migrations

WORDING = (
    "Show my name and organisation on the list of who came, which people who held a place at "
    "the meeting can see on its page after the meetings I attend."
)
DESCRIPTION = "Name and organisation on the meeting page's list of who came, seen by attendees."


def reword(apps, schema_editor):
    apps.get_model("engage", "ConsentPurpose").objects.filter(slug="attendee-list").update(
        wording=WORDING, description=DESCRIPTION, name="Appearing on the list of who came"
    )


class Migration(migrations.Migration):
    dependencies = [("engage", "0012_retention_and_consent_lapse")]

    operations = [migrations.RunPython(reword, migrations.RunPython.noop)]
