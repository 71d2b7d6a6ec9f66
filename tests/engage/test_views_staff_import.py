"""The stakeholder import pages: every step answers at once and a task does the work."""

import io
import zipfile
from datetime import timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from engage.enums import AuditAction, ConsentMethod, ImportJobState, ImportJobStep
from engage.models import AuditLog, ConsentRecord, ImportBatch, ImportJob, Stakeholder
from tests.factories import ConsentPurposeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, engagement_team):
    client.force_login(engagement_team)
    client.user = engagement_team
    return client


def _step(client, capture, url, data=None, *, run=True):
    """POST (or GET without data) inside a captured on-commit block; run the queued task if asked."""
    with capture(execute=run) as callbacks:
        response = client.post(url, data) if data is not None else client.get(url)
    return response, callbacks


def test_upload_map_dry_run_then_commit(staff_client, django_capture_on_commit_callbacks):
    ConsentPurposeFactory()
    upload = SimpleUploadedFile(
        "people.csv",
        b"E-mail;Given name;consent_meeting-invitations\nada@example.org;Ada;yes\nbad;Bad;\n",
    )
    capture = django_capture_on_commit_callbacks

    step1, _ = _step(
        staff_client,
        capture,
        reverse("engage:staff_import"),
        {"file": upload, "source": "July sign-in sheet", "consent_wording": "Invite me."},
    )
    job = ImportJob.objects.get()
    job_url = reverse("engage:staff_import_job", args=[job.pk])
    mapping_url = reverse("engage:staff_import_mapping", args=[job.pk])
    assert step1["Location"] == job_url
    assert staff_client.get(job_url)["Location"] == mapping_url

    step2, _ = _step(
        staff_client, capture, mapping_url, {"email": "E-mail", "first_name": "Given name"}
    )
    report = staff_client.get(reverse("engage:staff_import_report", args=[job.pk]))
    invalid = staff_client.get(reverse("engage:staff_import_invalid_csv", args=[job.pk]))
    assert Stakeholder.objects.count() == 0
    done, _ = _step(staff_client, capture, reverse("engage:staff_import_commit", args=[job.pk]), {})
    page = staff_client.get(job_url)

    assert step2["Location"] == job_url
    assert report.context["report"].counts() == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "invalid": 1,
    }
    assert "ada@example.org" in report.content.decode()  # the rows as they will be stored
    assert invalid.content.decode().splitlines()[1].startswith("3,")
    assert done["Location"] == job_url
    assert "Refresh" not in page
    assert "Import done" in page.content.decode()
    person = Stakeholder.objects.get()
    assert person.first_name == "Ada"
    record = ConsentRecord.objects.get()
    assert (record.method, record.recorded_by, record.wording) == (
        ConsentMethod.IMPORT,
        staff_client.user,
        "Invite me.",
    )
    batch = ImportBatch.objects.get()
    job.refresh_from_db()
    assert (job.state, job.batch, job.counts["created"]) == (ImportJobState.DONE, batch, 1)
    assert job.files_deleted_at is not None
    assert list(
        AuditLog.objects.filter(action=AuditAction.IMPORT)
        .values_list("object_type", "object_id")
        .order_by("id")
    ) == [("engage.importjob", str(job.pk)), ("engage.importbatch", str(batch.pk))]
    # Looking at the report (people's details) is on record too.
    assert AuditLog.objects.filter(action=AuditAction.VIEW, object_id=str(job.pk)).count() == 1


def test_each_request_answers_without_doing_the_import_work(
    staff_client, django_capture_on_commit_callbacks
):
    # 10 MB of rows: the commit request must not read, validate or write any of it.
    rows = "".join(f"p{i}@example.org,Person {i}\n" for i in range(400_000))
    data = f"email,name\n{rows}".encode()
    assert len(data) > 10_000_000
    capture = django_capture_on_commit_callbacks

    upload, queued = _step(
        staff_client,
        capture,
        reverse("engage:staff_import"),
        {"file": SimpleUploadedFile("big.csv", data)},
        run=False,
    )
    job = ImportJob.objects.get()
    page = staff_client.get(reverse("engage:staff_import_job", args=[job.pk]))

    assert upload.status_code == 302
    assert (job.step, job.state, job.headers) == (ImportJobStep.HEADERS, ImportJobState.QUEUED, [])
    assert len(queued) == 1
    assert page.status_code == 200
    assert page["Refresh"] == "2"
    assert "Refresh now" in page.content.decode()

    queued[0]()  # the worker's part: read the columns
    ImportJob.objects.filter(pk=job.pk).update(
        step=ImportJobStep.DRY_RUN, state=ImportJobState.DONE, mapping={"email": "email"}
    )
    commit, queued = _step(
        staff_client,
        capture,
        reverse("engage:staff_import_commit", args=[job.pk]),
        {},
        run=False,
    )
    job.refresh_from_db()

    assert commit.status_code == 302
    assert (job.step, job.state, job.rows_read) == (ImportJobStep.COMMIT, ImportJobState.QUEUED, 0)
    assert Stakeholder.objects.count() == 0
    assert ImportBatch.objects.count() == 0
    assert len(queued) == 1


def test_a_file_over_the_byte_limit_is_refused_at_upload(staff_client, settings):
    settings.ENGAGE_IMPORT_MAX_BYTES = 10

    response = staff_client.post(
        reverse("engage:staff_import"),
        {"file": SimpleUploadedFile("people.csv", b"email\na@example.org\n")},
    )

    assert response.status_code == 200
    assert "the largest file we accept" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_a_zip_bomb_xlsx_is_refused_at_upload(staff_client, settings):
    settings.ENGAGE_IMPORT_MAX_XLSX_EXPANDED_BYTES = 1_048_576
    out = io.BytesIO()
    openpyxl.Workbook().save(out)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as workbook:
        workbook.writestr("xl/media/padding.bin", b"\0" * 4 * 1_048_576)

    response = staff_client.post(
        reverse("engage:staff_import"),
        {"file": SimpleUploadedFile("people.xlsx", out.getvalue())},
    )

    assert response.status_code == 200
    assert "The workbook unpacks to 4.0 MB; the most we read is 1.0 MB" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_a_wide_csv_fails_its_job_with_the_reason_and_no_mapping_form(
    staff_client, django_capture_on_commit_callbacks
):
    header = ",".join(f"c{i}" for i in range(50_000))

    _step(
        staff_client,
        django_capture_on_commit_callbacks,
        reverse("engage:staff_import"),
        {"file": SimpleUploadedFile("wide.csv", f"email,{header}\n".encode())},
    )
    job = ImportJob.objects.get()
    page = staff_client.get(reverse("engage:staff_import_job", args=[job.pk]))
    mapping = staff_client.get(reverse("engage:staff_import_mapping", args=[job.pk]))

    assert job.state == ImportJobState.FAILED
    assert "The file has 50,001 columns; the most we accept is 200." in page.content.decode()
    assert mapping["Location"] == reverse("engage:staff_import_job", args=[job.pk])


def test_consent_columns_without_wording_fail_the_dry_run_and_keep_the_columns(
    staff_client, django_capture_on_commit_callbacks
):
    ConsentPurposeFactory()
    capture = django_capture_on_commit_callbacks
    _step(
        staff_client,
        capture,
        reverse("engage:staff_import"),
        {"file": SimpleUploadedFile("p.csv", b"email,consent_meeting-invitations\na@x.org,yes\n")},
    )
    job = ImportJob.objects.get()

    _step(
        staff_client,
        capture,
        reverse("engage:staff_import_mapping", args=[job.pk]),
        {"email": "email"},
    )
    page = staff_client.get(reverse("engage:staff_import_job", args=[job.pk]))

    assert "state the wording" in page.content.decode()
    assert reverse("engage:staff_import_mapping", args=[job.pk]) in page.content.decode()
    assert Stakeholder.objects.count() == 0


def test_the_dry_run_shows_renee_as_stored_and_warns_about_letters_from_elsewhere(
    staff_client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    files = {
        "cp1252.csv": "email,first_name\nrenee@example.org,Renée\n".encode("cp1252"),
        # Mangled before it reached us (read as a Chinese encoding elsewhere, saved as UTF-8).
        "mangled.csv": "email,first_name\nrenee@example.org,Ren閑\n".encode(),
    }
    pages = {}
    for name, data in files.items():
        _step(
            staff_client,
            capture,
            reverse("engage:staff_import"),
            {"file": SimpleUploadedFile(name, data)},
        )
        job = ImportJob.objects.latest("pk")
        _step(
            staff_client,
            capture,
            reverse("engage:staff_import_mapping", args=[job.pk]),
            {"email": "email", "first_name": "first_name"},
        )
        page = staff_client.get(reverse("engage:staff_import_report", args=[job.pk]))
        pages[name] = page.content.decode()

    assert "<td>Renée</td>" in pages["cp1252.csv"]
    assert "Read as Windows-1252 text" in pages["cp1252.csv"]
    assert "Check these names" not in pages["cp1252.csv"]
    assert "<td>Ren閑</td><td>閑</td>" in pages["mangled.csv"]
    assert "Check these names" in pages["mangled.csv"]
    assert Stakeholder.objects.count() == 0


def test_an_upload_while_the_broker_is_down_answers_and_the_tidy_hands_it_over_later(
    staff_client, django_capture_on_commit_callbacks
):
    from config.celery_app import app
    from engage.importers.jobs import import_jobs_tidy

    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "task_publish_retry")}
    # Nothing listens on port 1: publishing fails at once, as with a broker down.
    app.conf.update(
        task_always_eager=False, broker_url="redis://127.0.0.1:1/0", task_publish_retry=False
    )
    app._pool = None
    app.amqp._producer_pool = None
    try:
        response, _ = _step(
            staff_client,
            django_capture_on_commit_callbacks,
            reverse("engage:staff_import"),
            {"file": SimpleUploadedFile("p.csv", b"email\na@example.org\n")},
        )
    finally:
        app.conf.update(saved)
        app._pool = None
        app.amqp._producer_pool = None
    job = ImportJob.objects.get()
    queued_state = job.state

    # The broker is back; the beat's tidy finds the job still waiting after two minutes.
    import_jobs_tidy(now=timezone.now() + timedelta(minutes=3))

    job.refresh_from_db()
    assert response.status_code == 302
    assert queued_state == ImportJobState.QUEUED
    assert (job.state, job.headers) == (ImportJobState.DONE, ["email"])
