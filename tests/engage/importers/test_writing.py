import io

import pytest
from django.core.management import CommandError, call_command

from engage.enums import AuditAction, ConsentAction, ConsentMethod
from engage.importers import (
    ImportFileError,
    ImportOptions,
    stakeholders_import,
)
from engage.models import (
    AuditLog,
    ConsentRecord,
    ImportBatch,
    Membership,
    Organisation,
    Stakeholder,
    Tag,
)
from tests.factories import (
    AreaFactory,
    ConsentPurposeFactory,
    ConsentRecordFactory,
    StakeholderFactory,
    UserFactory,
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


def _refuse_consent_inserts():
    """A real database failure partway through a commit: consent inserts are refused."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_insert() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'refused'; END; $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON engage_consentrecord "
                "FOR EACH ROW EXECUTE FUNCTION refuse_insert()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON engage_consentrecord "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )


def test_default_headers_in_any_case_create_people_with_organisation_area_and_tags(hackney):
    data = _csv(
        "EMAIL,First_Name,LAST_NAME,Organisation,Area,Phone,Tags\n"
        "Amara@Example.org ,Amara,Okafor,Hackney Youth Forum,hackney,020 7946 0001,"
        "young people; stop and search;\n"
    )

    report = _run(data, source="Hackney youth event")

    assert report.counts() == {"created": 1, "updated": 0, "unchanged": 0, "invalid": 0}
    person = Stakeholder.objects.get()
    assert (person.email, person.email_normalised) == ("Amara@Example.org", "amara@example.org")
    assert (person.first_name, person.last_name, person.phone) == (
        "Amara",
        "Okafor",
        "020 7946 0001",
    )
    assert person.area == hackney
    assert person.source == "Hackney youth event"
    assert [m.organisation.name for m in person.memberships.all()] == ["Hackney Youth Forum"]
    # An existing tag is matched in any letter case and keeps its spelling.
    assert sorted(t.name for t in person.tags.all()) == ["Stop and search", "young people"]
    assert ConsentRecord.objects.count() == 0


def test_dry_run_reports_counts_and_changes_nothing(hackney):
    StakeholderFactory(email="known@example.org", first_name="Old", last_name="Name", area=hackney)
    StakeholderFactory(
        email="same@example.org", first_name="Same", last_name="Person", area=hackney
    )
    data = _csv(
        "email,first_name,last_name,area\n"
        "new@example.org,New,Person,Hackney\n"
        "KNOWN@example.org,New,Name,Hackney\n"
        "same@example.org,Same,Person,Hackney\n"
        "not-an-email,Bad,Row,Hackney\n"
    )

    report = _run(data, dry_run=True)

    assert report.counts() == {"created": 1, "updated": 1, "unchanged": 1, "invalid": 1}
    assert Stakeholder.objects.count() == 2
    assert Stakeholder.objects.get(email_normalised="known@example.org").first_name == "Old"
    assert ImportBatch.objects.count() == 0
    assert AuditLog.objects.count() == 0


def test_commit_updates_known_people_and_an_empty_cell_never_erases(hackney):
    person = StakeholderFactory(email="known@example.org", first_name="Old", phone="0207")
    data = _csv("email,first_name,phone,area\nknown@example.org,New,,Hackney\n")

    report = _run(data)

    assert report.counts() == {"created": 0, "updated": 1, "unchanged": 0, "invalid": 0}
    person.refresh_from_db()
    assert (person.first_name, person.phone, person.area) == ("New", "0207", hackney)


def test_consent_columns_record_evidence_and_rows_without_evidence_get_none():
    purpose = ConsentPurposeFactory()
    user = UserFactory()
    data = _csv(
        "email,consent_meeting-invitations\n"
        "yes@example.org,Yes\n"
        "blank@example.org,\n"
        "no@example.org,no\n"
    )

    report = _run(data, actor=user, source="Paper sheet, July meeting", consent_wording=WORDING)

    assert report.created == 3
    record = ConsentRecord.objects.get()
    batch = ImportBatch.objects.get()
    assert record.stakeholder.email == "yes@example.org"
    assert (record.purpose, record.action, record.method) == (
        purpose,
        ConsentAction.GIVEN,
        ConsentMethod.IMPORT,
    )
    assert (record.wording, record.import_batch, record.import_row, record.recorded_by) == (
        WORDING,
        batch,
        2,
        user,
    )
    assert record.evidence["source"] == "Paper sheet, July meeting"
    assert record.evidence["file"] == "people.csv"
    assert (batch.imported_by, batch.source, batch.consent_wording) == (
        user,
        "Paper sheet, July meeting",
        WORDING,
    )
    assert AuditLog.objects.get(action=AuditAction.IMPORT).object_id == str(batch.pk)


def test_consent_columns_need_the_stated_wording():
    ConsentPurposeFactory()

    with pytest.raises(ImportFileError, match="state the wording"):
        _run(_csv("email,consent_meeting_invitations\na@example.org,yes\n"))


def test_a_no_withdraws_an_existing_consent_and_a_repeated_yes_adds_nothing():
    purpose = ConsentPurposeFactory()
    given = ConsentRecordFactory(stakeholder__email="given@example.org", purpose=purpose)
    kept = ConsentRecordFactory(stakeholder__email="kept@example.org", purpose=purpose)
    data = _csv("email,consent_meeting-invitations\ngiven@example.org,no\nkept@example.org,yes\n")

    report = _run(data, consent_wording=WORDING)

    assert (report.updated, report.unchanged) == (1, 1)
    latest = ConsentRecord.objects.filter(stakeholder=given.stakeholder).first()
    assert latest.action == ConsentAction.WITHDRAWN
    assert ConsentRecord.objects.filter(stakeholder=kept.stakeholder).count() == 1


def test_reimporting_the_same_file_creates_nothing(hackney):
    ConsentPurposeFactory()
    data = _csv(
        "email,first_name,organisation,area,tags,consent_meeting-invitations\n"
        "a@example.org,Ada,Youth Forum,Hackney,youth;faith,yes\n"
        "b@example.org,Bo,,Hackney,,\n"
    )
    _run(data, consent_wording=WORDING)
    counts = (
        Stakeholder.objects.count(),
        ConsentRecord.objects.count(),
        Membership.objects.count(),
        Tag.objects.count(),
    )

    report = _run(data, consent_wording=WORDING)

    assert report.counts() == {"created": 0, "updated": 0, "unchanged": 2, "invalid": 0}
    assert (
        Stakeholder.objects.count(),
        ConsentRecord.objects.count(),
        Membership.objects.count(),
        Tag.objects.count(),
    ) == counts


def test_a_failed_import_changes_nothing(hackney):
    from django.db import DatabaseError

    ConsentPurposeFactory()
    StakeholderFactory(email="known@example.org", first_name="Old")
    data = _csv(
        "email,first_name,organisation,tags,area,consent_meeting-invitations\n"
        "a@example.org,Ada,Youth Forum,youth,Hackney,yes\n"
        "known@example.org,New,,,Hackney,\n"
    )
    _refuse_consent_inserts()

    with pytest.raises(DatabaseError):
        _run(data, consent_wording=WORDING)

    assert list(Stakeholder.objects.values_list("email", "first_name")) == [
        ("known@example.org", "Old")
    ]
    assert (ImportBatch.objects.count(), Organisation.objects.count()) == (0, 0)
    assert not Tag.objects.filter(name="youth").exists()
    assert AuditLog.objects.count() == 0


def test_command_prints_counts_last(tmp_path, hackney):
    path = tmp_path / "people.csv"
    path.write_text("email,area\na@example.org,Hackney\nbad,Hackney\n")
    out = io.StringIO()

    call_command("import_stakeholders", str(path), "--source", "Test", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[:2] == ["Read as UTF-8.", "line 3: “bad” is not a valid email address."]
    assert lines[-1] == "created=1 updated=0 unchanged=0 invalid=1"
    assert Stakeholder.objects.get().source == "Test"


def test_command_dry_run_changes_nothing(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("email\na@example.org\n")
    out = io.StringIO()

    call_command("import_stakeholders", str(path), "--dry-run", stdout=out)

    assert out.getvalue().splitlines()[-1] == "created=1 updated=0 unchanged=0 invalid=0"
    assert Stakeholder.objects.count() == 0


def test_command_refuses_an_oversized_file(tmp_path, settings):
    settings.ENGAGE_IMPORT_MAX_BYTES = 10
    path = tmp_path / "people.csv"
    path.write_text("email\na@example.org\n")

    with pytest.raises(CommandError, match="largest file we accept"):
        call_command("import_stakeholders", str(path))
