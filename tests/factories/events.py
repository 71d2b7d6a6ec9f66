import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from events.enums import MeetingFormat, MeetingStatus, SessionKind
from events.models import Meeting, Registration, Series, Session
from tests.factories.engage import StakeholderFactory

__all__ = ["MeetingFactory", "RegistrationFactory", "SeriesFactory", "SessionFactory"]


class SeriesFactory(DjangoModelFactory):
    class Meta:
        model = Series
        django_get_or_create = ("slug",)

    name = "Public review meetings"
    slug = "public-review"


class MeetingFactory(DjangoModelFactory):
    class Meta:
        model = Meeting

    series = factory.SubFactory(SeriesFactory)
    title = factory.Sequence(lambda n: f"Public review meeting {n}")
    slug = factory.Sequence(lambda n: f"public-review-{n}")
    summary = "Updates on the action plan, then plenary and breakout discussion."
    start = factory.LazyFunction(
        lambda: (timezone.now() + dt.timedelta(days=30)).replace(microsecond=0)
    )
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(hours=2))
    format = MeetingFormat.IN_PERSON
    venue = "City Hall, Committee Room 1"
    capacity = 100
    status = MeetingStatus.PUBLISHED


class SessionFactory(DjangoModelFactory):
    class Meta:
        model = Session

    meeting = factory.SubFactory(MeetingFactory)
    kind = SessionKind.BREAKOUT
    title = factory.Sequence(lambda n: f"Breakout {n}")
    start = factory.LazyAttribute(lambda o: o.meeting.start + dt.timedelta(minutes=45))
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(minutes=45))


class RegistrationFactory(DjangoModelFactory):
    class Meta:
        model = Registration

    meeting = factory.SubFactory(MeetingFactory)
    stakeholder = factory.SubFactory(StakeholderFactory)
    status = "confirmed"


class AreaReservationFactory(DjangoModelFactory):
    class Meta:
        model = "events.AreaReservation"

    meeting = factory.SubFactory(MeetingFactory)
    area = factory.SubFactory("tests.factories.engage.AreaFactory")
    places = 2
    release_at = factory.LazyAttribute(lambda o: o.meeting.start - dt.timedelta(days=7))


class PanelQuestionFactory(DjangoModelFactory):
    class Meta:
        model = "events.PanelQuestion"

    meeting = factory.SubFactory(MeetingFactory)
    text = factory.Sequence(lambda n: f"What has changed since the last meeting? ({n})")


__all__ += ["AreaReservationFactory", "PanelQuestionFactory"]


class CampaignFactory(DjangoModelFactory):
    class Meta:
        model = "events.Campaign"

    meeting = factory.SubFactory(MeetingFactory)
    subject = factory.LazyAttribute(lambda o: f"You are invited: {o.meeting.title}")
    message = "Come and hear what has changed since the last meeting, and tell us what to do next."
    filters = factory.LazyFunction(dict)


class DocumentFactory(DjangoModelFactory):
    class Meta:
        model = "events.Document"

    meeting = factory.SubFactory(MeetingFactory)
    title = factory.Sequence(lambda n: f"Action plan progress update {n}")
    url = "https://example.org/papers/progress-update.pdf"


__all__ += ["CampaignFactory", "DocumentFactory"]


class DiscussionQuestionFactory(DjangoModelFactory):
    class Meta:
        model = "events.DiscussionQuestion"

    session = factory.SubFactory(SessionFactory)
    text = "What should the police stop, start or continue doing in your area?"


__all__ += ["DiscussionQuestionFactory"]
