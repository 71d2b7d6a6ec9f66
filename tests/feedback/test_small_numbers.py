"""One small-number threshold (ENGAGE_SMALL_NUMBER_THRESHOLD) for everything published: the
survey's equality results, the summary report's attendance and the representation tables."""

import pytest

from events.reports import meeting_representation, representation_tables
from feedback import services
from feedback.models import EqualityAnswer
from feedback.selectors.survey import equality_results
from feedback.services.survey import meeting_survey_ensure
from tests.factories import AreaFactory
from tests.feedback.survey_helpers import attendee, past_meeting

pytestmark = pytest.mark.django_db


def _published(meeting) -> tuple[str, str, str]:
    survey = meeting_survey_ensure(meeting_id=meeting.pk)
    age = dict(equality_results(survey=survey)[0]["rows"])["65 or over"]
    draft = services.meeting_report_draft_generate(meeting_id=meeting.pk, actor=None).draft
    attended = next(line for line in draft.splitlines() if "attended the meeting" in line)
    table = representation_tables(meeting_representation(meeting), published=True)["areas"]
    return age, attended, table.attended_total.display


def test_changing_the_one_threshold_changes_survey_report_and_representation(settings):
    meeting = past_meeting()
    area = AreaFactory()
    for _ in range(7):
        attendee(meeting, area=area)
    survey = meeting_survey_ensure(meeting_id=meeting.pk)
    EqualityAnswer.objects.bulk_create(
        [EqualityAnswer(survey=survey, question="age", value="65_plus") for _ in range(7)]
    )

    settings.ENGAGE_SMALL_NUMBER_THRESHOLD = 5
    low = _published(meeting)
    settings.ENGAGE_SMALL_NUMBER_THRESHOLD = 10
    high = _published(meeting)

    assert low == ("7", "- 7 people attended the meeting.", "7")
    assert high == (
        "fewer than 10",
        "- fewer than 10 people attended the meeting.",
        "fewer than 10",
    )
