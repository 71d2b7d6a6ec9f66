import uuid

import factory
from factory.django import DjangoModelFactory

from feedback.enums import ResponseStatus
from feedback.models import MeetingReport, Response

__all__ = ["MeetingReportFactory", "ResponseFactory"]


class MeetingReportFactory(DjangoModelFactory):
    class Meta:
        model = MeetingReport

    meeting = factory.SubFactory("tests.factories.events.MeetingFactory")
    title = "What we heard"
    body = (
        "Over 80 people came, from 23 of London's 33 areas.\n\n"
        "Many asked for the discussion questions to be shared earlier."
    )


class ResponseFactory(DjangoModelFactory):
    class Meta:
        model = Response

    meeting = factory.SubFactory("tests.factories.events.MeetingFactory")
    you_said = factory.Sequence(lambda n: f"Share the questions before the meeting ({n})")
    we_did = "Questions now go out with the pre-reading, two weeks ahead."
    status = ResponseStatus.DONE
    order = factory.Sequence(lambda n: n)


class PointFactory(DjangoModelFactory):
    """A point captured for a question; its session is the question's."""

    class Meta:
        model = "feedback.Point"

    key = factory.LazyFunction(uuid.uuid4)
    question = factory.SubFactory("tests.factories.events.DiscussionQuestionFactory")
    session = factory.LazyAttribute(lambda point: point.question.session)
    text = factory.Sequence(lambda n: f"Engage with young people outside stop and search ({n})")
    weight = 1


__all__ += ["PointFactory"]
