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
