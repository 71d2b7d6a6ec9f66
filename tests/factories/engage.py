import factory
from factory.django import DjangoModelFactory

from engage.enums import ConsentAction, ConsentMethod, OrganisationType
from engage.models import Area, ConsentPurpose, ConsentRecord, Organisation, Stakeholder, User

__all__ = [
    "AreaFactory",
    "ConsentPurposeFactory",
    "ConsentRecordFactory",
    "OrganisationFactory",
    "StakeholderFactory",
    "UserFactory",
]


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    password = factory.django.Password("correct horse battery staple")


class AreaFactory(DjangoModelFactory):
    class Meta:
        model = Area
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Area {n}")
    slug = factory.Sequence(lambda n: f"area-{n}")


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Community Group {n}")
    type = OrganisationType.VOLUNTARY


class StakeholderFactory(DjangoModelFactory):
    class Meta:
        model = Stakeholder

    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    area = factory.SubFactory(AreaFactory)


class ConsentPurposeFactory(DjangoModelFactory):
    class Meta:
        model = ConsentPurpose
        django_get_or_create = ("slug",)

    slug = "meeting-invitations"
    name = "Meeting invitations and updates"
    wording = "Email me invitations to public review meetings and updates about them."


class ConsentRecordFactory(DjangoModelFactory):
    class Meta:
        model = ConsentRecord

    stakeholder = factory.SubFactory(StakeholderFactory)
    purpose = factory.SubFactory(ConsentPurposeFactory)
    action = ConsentAction.GIVEN
    method = ConsentMethod.WEB
    wording = factory.LazyAttribute(lambda o: o.purpose.wording)
    privacy_notice_version = "2026-11"


# --- Stakeholder database tools (list, segments, import) ---------------------------------------
from engage.models import Membership, Segment, Tag  # noqa: E402

__all__ += ["MembershipFactory", "SegmentFactory", "TagFactory"]


class TagFactory(DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Interest {n}")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    stakeholder = factory.SubFactory(StakeholderFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = "Member"


class SegmentFactory(DjangoModelFactory):
    class Meta:
        model = Segment

    name = factory.Sequence(lambda n: f"Segment {n}")
    filters = factory.LazyFunction(dict)
