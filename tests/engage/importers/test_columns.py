import pytest

from engage.importers import (
    ImportFileError,
    ImportOptions,
    stakeholders_import,
)
from engage.models import (
    Stakeholder,
)
from tests.factories import (
    AreaFactory,
    ConsentPurposeFactory,
)

pytestmark = pytest.mark.django_db

WORDING = "Email me invitations to public review meetings (paper sign-up sheet, 7 July 2021)."


@pytest.fixture
def hackney():
    return AreaFactory(name="Hackney", slug="hackney", code="E09000012")


def _csv(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def _run(data: bytes, *, name="people.csv", dry_run=False, actor=None, **options):
    return stakeholders_import(
        data=data, file_name=name, actor=actor, dry_run=dry_run, options=ImportOptions(**options)
    )


def test_one_name_column_is_split_into_first_and_last_name():
    report = _run(_csv("name,email\nMary Ann Smith,mary@example.org\n"))

    assert report.created == 1
    person = Stakeholder.objects.get()
    assert (person.first_name, person.last_name) == ("Mary Ann", "Smith")


def test_a_file_without_an_email_column_is_refused():
    with pytest.raises(ImportFileError, match="needs an email column"):
        _run(_csv("name,phone\nAda,1\n"))


def test_a_column_mapping_picks_other_headers():
    data = _csv("E-mail address,Given,Family\nada@example.org,Ada,Lovelace\n")

    report = _run(
        data, mapping={"email": "E-mail address", "first_name": "Given", "last_name": "Family"}
    )

    assert report.created == 1
    assert Stakeholder.objects.get().last_name == "Lovelace"


def test_a_consent_column_for_an_unknown_purpose_is_refused():
    ConsentPurposeFactory()

    with pytest.raises(ImportFileError, match="names no consent purpose"):
        _run(_csv("email,consent_newsletter\na@example.org,yes\n"), consent_wording=WORDING)
