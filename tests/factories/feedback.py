import uuid

import factory
from factory.django import DjangoModelFactory

from feedback.enums import ResponseStatus
from feedback.models import MeetingReport, Point, Response, Theme

__all__ = ["MeetingReportFactory", "PointFactory", "ResponseFactory", "ThemeFactory"]


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


class ThemeFactory(DjangoModelFactory):
    class Meta:
        model = Theme

    name = factory.Sequence(lambda n: f"Theme {n}")


class PointFactory(DjangoModelFactory):
    """A captured point; `session` follows its question."""

    class Meta:
        model = Point

    key = factory.LazyFunction(uuid.uuid4)
    question = factory.SubFactory("tests.factories.events.DiscussionQuestionFactory")
    session = factory.LazyAttribute(lambda o: o.question.session)
    text = factory.Sequence(lambda n: f"More youth clubs open in the evening ({n})")
