"""An outside report's recommendations imported as responses owed, through the one file reader."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from feedback.enums import ResponseSource, ResponseStatus
from feedback.models import Response
from feedback.services.recommendations import recommendations_import
from tests.factories import MeetingFactory

pytestmark = pytest.mark.django_db

LIST = (
    "Number,Recommendation,Response\n"
    "1,Commit to anti-racism practice and show how it is embodied in the work.,"
    "The Mayor declared City Hall an anti-racist organisation in 2020.\n"
    "2,Commission an independent community-led body to oversee progress.,\n"
)


def test_dry_run_then_import_the_list():
    meeting = MeetingFactory()

    dry = recommendations_import(
        meeting_id=meeting.pk, data=LIST.encode(), file_name="r.csv", dry_run=True, actor=None
    )
    assert dry.ok and dry.created == 2 and not Response.objects.exists()
    done = recommendations_import(
        meeting_id=meeting.pk, data=LIST.encode(), file_name="r.csv", dry_run=False, actor=None
    )

    rows = list(Response.objects.filter(meeting=meeting).order_by("order"))
    assert done.ok
    assert [(r.reference, r.status, r.source) for r in rows] == [
        ("Recommendation 1", ResponseStatus.RESPONDED, ResponseSource.RECOMMENDATION),
        ("Recommendation 2", ResponseStatus.OPEN, ResponseSource.RECOMMENDATION),
    ]
    again = recommendations_import(
        meeting_id=meeting.pk, data=LIST.encode(), file_name="r.csv", dry_run=False, actor=None
    )
    assert "Recommendation 1 is on this meeting already" in dict(again.errors)[2]
    assert Response.objects.filter(meeting=meeting).count() == 2


def test_bad_rows_change_nothing_through_the_page(client, engagement_team):
    meeting = MeetingFactory()
    client.force_login(engagement_team)
    bad = "Number,Recommendation,Response\n1,First,\n1,Again,\n,No number,\n"

    page = client.post(
        reverse("feedback:staff_recommendations_import", kwargs={"pk": meeting.pk}),
        {"action": "import", "file": SimpleUploadedFile("r.csv", bad.encode())},
    )

    body = page.content.decode()
    assert page.status_code == 400
    assert "Line 3:" in body and "Number 1 is also on line 2." in body
    assert "Line 4:" in body and "The number is missing." in body
    assert not Response.objects.exists()
