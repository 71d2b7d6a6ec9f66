import io

import pytest
from django.core.management import call_command
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from engage.importers import (
    ImportOptions,
    email_is_valid,
    invalid_rows_csv,
    stakeholders_import,
)
from engage.models import (
    Stakeholder,
)
from tests.factories import (
    AreaFactory,
    ConsentPurposeFactory,
    StakeholderFactory,
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


def test_dedupe_against_the_list_uses_the_normalised_email():
    StakeholderFactory(email="Ada@Example.org")

    report = _run(_csv("email\n  ADA@example.ORG \n"))

    assert report.counts() == {"created": 0, "updated": 0, "unchanged": 1, "invalid": 0}
    assert Stakeholder.objects.count() == 1


def test_html_in_names_is_kept_as_text():
    _run(_csv('email,first_name\nx@example.org,"<script>alert(1)</script>"\n'))

    assert Stakeholder.objects.get().first_name == "<script>alert(1)</script>"


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


# --- Letters from a script the rest of the file does not use ------------------------------------


def test_renee_read_in_the_wrong_encoding_is_shown_as_stored_with_a_warning():
    data = "email,first_name,last_name\nrenee@example.org,Renée,Dupont\n".encode("cp1252")

    report = _run(data, dry_run=True, encoding="gbk")

    assert report.preview[0]["first_name"] == "Ren閑"
    assert [(w.line, w.field, w.value, w.letters) for w in report.warnings] == [
        (2, "first_name", "Ren閑", "閑")
    ]


def test_a_rare_script_in_a_latin_file_is_pointed_at_and_a_common_one_is_not():
    lines = [f"p{i}@example.org,Ann,Smith" for i in range(12)]
    lines.append("z@example.org,Зоя,Smith")

    report = _run(("email,first_name,last_name\n" + "\n".join(lines)).encode(), dry_run=True)

    assert [(w.line, w.value, w.letters) for w in report.warnings] == [(14, "Зоя", "Зоя")]


def test_a_file_mostly_in_another_script_has_no_warnings():
    data = "email,first_name,last_name\na@example.org,李,小龙\nb@example.org,Renée,Ng\n".encode()

    report = _run(data, dry_run=True)

    assert report.warnings == []
    assert [row["first_name"] for row in report.preview] == ["李", "Renée"]


def test_the_command_prints_the_encoding_and_the_letters_to_check(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes("email,first_name\nrenee@example.org,Ren閑\n".encode())
    out = io.StringIO()

    call_command("import_stakeholders", str(path), "--dry-run", stdout=out)

    assert out.getvalue().splitlines()[:2] == [
        "Read as UTF-8.",
        "line 2: check first_name 'Ren閑': letters '閑' are from a script the rest of the file "
        "does not use",
    ]
