import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from engage.enums import AuditAction, ConsentAction, ConsentMethod
from engage.importers import (
    ImportFileError,
    ImportOptions,
    email_is_valid,
    invalid_rows_csv,
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


def test_one_name_column_is_split_into_first_and_last_name():
    report = _run(_csv("name,email\nMary Ann Smith,mary@example.org\n"))

    assert report.created == 1
    person = Stakeholder.objects.get()
    assert (person.first_name, person.last_name) == ("Mary Ann", "Smith")


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


def test_every_invalid_row_is_reported_with_its_line_and_reason(hackney):
    data = _csv(
        "email,first_name,area,consent_meeting-invitations\n"
        ",No email,Hackney,\n"
        "bad@,Bad email,Hackney,\n"
        "\n"
        ",,,\n"
        "ok@example.org,First,Hackney,\n"
        "OK@example.org,Duplicate,Hackney,\n"
        "who@example.org,Unknown area,Atlantis,\n"
        "maybe@example.org,Maybe,Hackney,perhaps\n"
        f"long@example.org,{'x' * 151},Hackney,\n"
    )
    ConsentPurposeFactory()

    report = _run(data, dry_run=True, consent_wording=WORDING)

    assert [(r.line, r.reason) for r in report.invalid_rows] == [
        (2, "No email address."),
        (3, "“bad@” is not a valid email address."),
        (7, "Same email address as line 6; only the first one is imported."),
        (8, "Unknown area “Atlantis”: use one of the 33 London areas as listed."),
        (9, "“perhaps” in consent_meeting-invitations: write yes, no, or leave it empty."),
        (10, "The first name is longer than 150 characters."),
    ]
    assert report.created == 1
    assert report.unknown_areas == {"Atlantis": 1}


def test_unknown_area_is_never_guessed(hackney):
    report = _run(_csv("email,area\nx@example.org,Hackny\n"))

    assert report.invalid == 1
    assert Stakeholder.objects.count() == 0


def test_invalid_rows_download_as_neutralised_csv():
    report = _run(_csv("email,first_name\n=cmd|' /C calc'!A0,@SUM(1)\n"), dry_run=True)

    text = invalid_rows_csv(report)

    assert text.splitlines() == [
        "line,reason,email,first_name",
        "2,“=cmd|' /C calc'!A0” is not a valid email address.,'=cmd|' /C calc'!A0,'@SUM(1)",
    ]


def test_utf8_with_bom_is_read():
    data = b"\xef\xbb\xbf" + "email,first_name\nzoe@example.org,Zoë\n".encode()

    report = _run(data)

    assert report.created == 1
    assert Stakeholder.objects.get().first_name == "Zoë"


def test_windows_1252_is_detected():
    text = (
        "email;first_name;last_name;organisation\n"
        "siobhan@example.org;Siobhán;O’Brien;Café Résidents’ Association\n"
        "renee@example.org;Renée;Dubois;Brixton Tenants’ Forum\n"
    )
    data = text.encode("cp1252")

    report = _run(data)

    assert report.created == 2
    person = Stakeholder.objects.get(email_normalised="siobhan@example.org")
    assert (person.first_name, person.last_name) == ("Siobhán", "O’Brien")
    assert Organisation.objects.filter(name="Café Résidents’ Association").exists()


def test_semicolon_delimiter_is_detected_and_can_be_chosen():
    data = _csv("email;first_name;tags\na@example.org;Ada;youth; faith\n")

    detected = _run(data, dry_run=True)
    chosen = _run(data, delimiter=";")

    assert detected.created == chosen.created == 1
    assert Stakeholder.objects.get().first_name == "Ada"


def test_xlsx_is_read_with_numbers_as_text(hackney):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Email", "First name", "Last name", "Phone", "Area", "Tags"])
    sheet.append(["kofi@example.org", "Kofi", "Mensah", 7946000111, "HACKNEY", "faith;youth"])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["bad", "Bad", None, None, None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)

    report = _run(buffer.getvalue(), name="people.xlsx")

    assert report.counts() == {"created": 1, "updated": 0, "unchanged": 0, "invalid": 1}
    assert report.invalid_rows[0].line == 4
    person = Stakeholder.objects.get()
    assert (person.first_name, person.phone, person.area) == ("Kofi", "7946000111", hackney)


def test_a_broken_xlsx_is_refused_clearly():
    with pytest.raises(ImportFileError, match="not a readable .xlsx workbook"):
        _run(b"not a zip", name="people.xlsx")


def test_other_file_types_are_refused():
    with pytest.raises(ImportFileError, match="Upload a .csv or .xlsx file"):
        _run(b"x", name="people.pdf")


def test_a_file_over_the_limit_is_refused_with_its_size(settings):
    settings.ENGAGE_IMPORT_MAX_BYTES = 1024

    with pytest.raises(ImportFileError, match=r"The file is 0.0 MB; the largest file we accept"):
        _run(b"email\n" + b"a@example.org\n" * 100)
    assert Stakeholder.objects.count() == 0


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


def test_a_consent_column_for_an_unknown_purpose_is_refused():
    ConsentPurposeFactory()

    with pytest.raises(ImportFileError, match="names no consent purpose"):
        _run(_csv("email,consent_newsletter\na@example.org,yes\n"), consent_wording=WORDING)


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


def test_dedupe_against_the_list_uses_the_normalised_email():
    StakeholderFactory(email="Ada@Example.org")

    report = _run(_csv("email\n  ADA@example.ORG \n"))

    assert report.counts() == {"created": 0, "updated": 0, "unchanged": 1, "invalid": 0}
    assert Stakeholder.objects.count() == 1


def test_html_in_names_is_kept_as_text():
    _run(_csv('email,first_name\nx@example.org,"<script>alert(1)</script>"\n'))

    assert Stakeholder.objects.get().first_name == "<script>alert(1)</script>"


def test_command_prints_counts_last(tmp_path, hackney):
    path = tmp_path / "people.csv"
    path.write_text("email,area\na@example.org,Hackney\nbad,Hackney\n")
    out = io.StringIO()

    call_command("import_stakeholders", str(path), "--source", "Test", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "line 3: “bad” is not a valid email address."
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


@given(
    st.one_of(
        st.emails().map(str),
        st.text(max_size=40),
        st.from_regex(r"[a-z\"\\. ]{0,8}@[a-z0-9\-\.\[\]:]{0,20}", fullmatch=True),
    )
)
@hypothesis_settings(max_examples=300, deadline=None)
def test_the_fast_email_check_agrees_with_djangos_validator(value):
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    try:
        validate_email(value)
        expected = True
    except ValidationError:
        expected = False

    assert email_is_valid(value) is expected
