import io
import zipfile

import openpyxl
import pytest

from engage.importers import (
    ImportFileError,
    ImportOptions,
    decode,
    read_headers,
    stakeholders_import,
    xlsx_expanded_size,
)
from engage.models import (
    Organisation,
    Stakeholder,
)
from tests.factories import (
    AreaFactory,
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


# --- Encodings: UTF-8 first, UTF-16 with its BOM, then Windows-1252, then ISO-8859-1 ------------


def test_a_one_row_windows_1252_file_keeps_renee():
    data = "email,first_name\nrenee@example.org,Renée\n".encode("cp1252")

    assert decode(data) == ("email,first_name\nrenee@example.org,Renée\n", "cp1252")
    report = _run(data)

    assert Stakeholder.objects.get().first_name == "Renée"
    assert (report.encoding, report.warnings) == ("Windows-1252", [])


def test_munoz_survives_detect():
    data = "email,last_name\nm@example.org,Muñoz\n".encode("cp1252")

    report = _run(data, dry_run=True)

    assert report.preview[0]["last_name"] == "Muñoz"
    assert Stakeholder.objects.count() == 0


def test_utf8_is_tried_before_anything_else():
    data = "email,last_name\nm@example.org,Muñoz 李\n".encode()

    assert decode(data) == ("email,last_name\nm@example.org,Muñoz 李\n", "utf-8")


def test_utf16_with_a_bom_is_read():
    data = "email,first_name\nrenee@example.org,Renée\n".encode("utf-16")

    assert decode(data) == ("email,first_name\nrenee@example.org,Renée\n", "utf-16")


def test_iso_8859_1_is_the_last_resort():
    # 0x81 is not a Windows-1252 character: only ISO-8859-1 (a C1 control) reads it.
    data = b"email,first_name\nx@example.org,Ren\xe9e\x81\n"

    text, used = decode(data)

    assert (used, text.splitlines()[1]) == ("iso-8859-1", "x@example.org,Renée\x81")


def test_a_chosen_encoding_is_used_as_chosen():
    assert decode("Muñoz".encode("cp1252"), "cp1250") == ("Muńoz", "cp1250")
    with pytest.raises(ImportFileError, match="cannot be read as utf-8"):
        decode("Muñoz".encode("cp1252"), "utf-8")


# --- Limits, refused before the work they guard ---------------------------------------------------


def test_a_wide_csv_is_refused_with_its_column_count(settings):
    settings.ENGAGE_IMPORT_MAX_COLUMNS = 200
    header = ",".join(f"c{i}" for i in range(50_000))
    data = f"email,{header}\na@example.org{',' * 50_000}\n".encode()

    with pytest.raises(ImportFileError, match="50,001 columns; the most we accept is 200"):
        read_headers(data, file_name="wide.csv")
    with pytest.raises(ImportFileError, match="50,001 columns"):
        _run(data, dry_run=True)


def test_a_quoted_delimiter_is_not_a_column(settings):
    settings.ENGAGE_IMPORT_MAX_COLUMNS = 2
    data = b'email,"name, full"\na@example.org,"A, B"\n'

    assert read_headers(data, file_name="p.csv") == ["email", "name, full"]


def test_a_csv_over_the_row_limit_is_refused_before_any_row_is_validated(settings):
    settings.ENGAGE_IMPORT_MAX_ROWS = 3
    rows = "".join(f"p{i}@example.org\n" for i in range(4))

    assert _run(f"email\n{rows[: rows.index('p3')]}".encode(), dry_run=True).created == 3
    with pytest.raises(ImportFileError, match="more than 3 rows"):
        _run(f"email\n{rows}".encode())
    assert Stakeholder.objects.count() == 0


def _workbook(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_an_xlsx_over_the_row_limit_is_refused(settings):
    settings.ENGAGE_IMPORT_MAX_ROWS = 3
    data = _workbook([["email"], *([f"p{i}@example.org"] for i in range(4))])

    with pytest.raises(ImportFileError, match="more than 3 rows"):
        _run(data, name="people.xlsx")
    assert Stakeholder.objects.count() == 0


def _zip_bomb_xlsx(expanded: int) -> bytes:
    """A real workbook whose first sheet is replaced by `expanded` bytes that are not XML at all."""
    source = zipfile.ZipFile(io.BytesIO(_workbook([["email"], ["a@example.org"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with bomb.open(info.filename, "w", force_zip64=True) as member:
                    block = b"<" * 1_048_576
                    for _ in range(expanded // len(block)):
                        member.write(block)
            else:
                bomb.writestr(info, source.read(info.filename))
    return out.getvalue()


def test_an_xlsx_that_expands_past_the_limit_is_refused_before_openpyxl_parses_it(settings):
    settings.ENGAGE_IMPORT_MAX_XLSX_EXPANDED_BYTES = 8 * 1_048_576
    data = _zip_bomb_xlsx(64 * 1_048_576)

    assert len(data) < 1_048_576
    assert xlsx_expanded_size(data) > 64 * 1_048_576
    # The sheet is not XML: had openpyxl parsed it, the message would say "not readable".
    with pytest.raises(ImportFileError, match=r"unpacks to 64\.\d MB; the most we read is 8\.0 MB"):
        read_headers(data, file_name="bomb.xlsx")
    with pytest.raises(ImportFileError, match="unpacks to"):
        _run(data, name="bomb.xlsx")


def test_an_xlsx_within_the_expanded_limit_is_read(settings):
    settings.ENGAGE_IMPORT_MAX_XLSX_EXPANDED_BYTES = 1_048_576

    assert read_headers(_workbook([["Email ", "Name"]]), file_name="p.xlsx") == ["Email", "Name"]
