"""Import jobs: each step runs once in a task, a redelivered task changes nothing, files do not linger."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from engage.enums import AuditAction, ImportJobState, ImportJobStep
from engage.importers.jobs import (
    import_job_commit,
    import_job_create,
    import_job_dry_run,
    import_job_report,
    import_job_run,
    import_jobs_tidy,
)
from engage.models import AuditLog, ImportBatch, ImportJob, Stakeholder
from tests.factories import UserFactory

DATA = b"email,first_name\nada@example.org,Ada\nbad,Bad\n"


def _created(capture, data=DATA, name="people.csv", actor=None) -> ImportJob:
    with capture(execute=True):
        job = import_job_create(
            upload=SimpleUploadedFile(name, data), options={"source": "Sheet"}, actor=actor
        )
    job.refresh_from_db()
    return job


@pytest.mark.django_db
def test_the_steps_run_in_order_and_the_commit_deletes_the_files(
    django_capture_on_commit_callbacks,
):
    actor = UserFactory()
    capture = django_capture_on_commit_callbacks
    job = _created(capture, actor=actor)
    assert (job.state, job.headers, job.mapping) == (
        ImportJobState.DONE,
        ["email", "first_name"],
        {"email": "email", "first_name": "first_name"},
    )

    with capture(execute=True):
        import_job_dry_run(job=job, mapping={"email": "email", "first_name": "first_name"})
    job.refresh_from_db()
    report = import_job_report(job=job)
    assert (job.step, job.state, job.counts["created"], job.counts["invalid"]) == (
        ImportJobStep.DRY_RUN,
        ImportJobState.DONE,
        1,
        1,
    )
    assert job.rows_read == 2  # the progress the job page shows
    assert [row["email"] for row in report.preview] == ["ada@example.org"]
    assert Stakeholder.objects.count() == 0

    with capture(execute=True):
        import_job_commit(job=job)
    job.refresh_from_db()

    assert (job.step, job.state) == (ImportJobStep.COMMIT, ImportJobState.DONE)
    assert job.batch == ImportBatch.objects.get()
    assert Stakeholder.objects.get().source == "Sheet"
    assert not default_storage.exists(job.file_path)
    assert not default_storage.exists(job.report_path)
    assert import_job_report(job=job) is None
    assert AuditLog.objects.filter(action=AuditAction.IMPORT, actor=actor).count() == 2


@pytest.mark.django_db
def test_a_redelivered_commit_task_imports_nothing_twice(django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    job = _created(capture)
    with capture(execute=True):
        import_job_dry_run(job=job, mapping={"email": "email"})
    job.refresh_from_db()
    with capture(execute=True):
        import_job_commit(job=job)

    # As after a worker crash: the same task delivered again, and a job found mid-run.
    import_job_run(job_id=job.pk)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJobState.RUNNING)
    import_job_run(job_id=job.pk)

    assert ImportBatch.objects.count() == 1
    assert Stakeholder.objects.count() == 1
    job.refresh_from_db()
    with pytest.raises(Exception, match="upload the file again"):
        import_job_commit(job=job)


@pytest.mark.django_db
def test_a_commit_that_fails_marks_the_job_failed_and_writes_nothing(
    django_capture_on_commit_callbacks, settings
):
    capture = django_capture_on_commit_callbacks
    job = _created(capture)
    with capture(execute=True):
        import_job_dry_run(job=job, mapping={"email": "email"})
    job.refresh_from_db()
    settings.ENGAGE_IMPORT_MAX_ROWS = 1  # the limit changed between the dry run and the commit

    with capture(execute=True):
        import_job_commit(job=job)
    job.refresh_from_db()

    assert (job.state, job.batch) == (ImportJobState.FAILED, None)
    assert "more than 1 rows" in job.error
    assert (Stakeholder.objects.count(), ImportBatch.objects.count()) == (0, 0)
    assert default_storage.exists(job.file_path)  # kept, so the team can try again


@pytest.mark.django_db
def test_tidy_deletes_idle_files_and_hands_stalled_jobs_over_again(
    django_capture_on_commit_callbacks, settings
):
    settings.ENGAGE_IMPORT_KEEP_HOURS = 24
    capture = django_capture_on_commit_callbacks
    old = _created(capture)
    fresh = _created(capture)
    with capture(execute=False):
        stalled = import_job_create(
            upload=SimpleUploadedFile("s.csv", DATA), options={}, actor=None
        )
    ImportJob.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(hours=25))
    ImportJob.objects.filter(pk=stalled.pk).update(updated_at=timezone.now() - timedelta(minutes=5))

    result = import_jobs_tidy()

    assert result == {"deleted": 1, "requeued": 1}
    old.refresh_from_db()
    stalled.refresh_from_db()
    assert old.files_deleted_at is not None and not default_storage.exists(old.file_path)
    assert default_storage.exists(fresh.file_path)
    # Tasks run eagerly here, so the stalled job was read on being handed over.
    assert (stalled.state, stalled.headers) == (ImportJobState.DONE, ["email", "first_name"])


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_steps(worker, settings):
    settings.MEDIA_ROOT = worker.var_dir / "media"  # the storage the worker reads from

    job = import_job_create(upload=SimpleUploadedFile("p.csv", DATA), options={}, actor=None)
    worker.wait_until(lambda: ImportJob.objects.get(pk=job.pk).state == ImportJobState.DONE)
    job.refresh_from_db()
    import_job_dry_run(job=job, mapping=job.mapping)
    worker.wait_until(lambda: ImportJob.objects.get(pk=job.pk).counts.get("created") == 1)
    job.refresh_from_db()
    import_job_commit(job=job)
    worker.wait_until(lambda: ImportJob.objects.get(pk=job.pk).batch_id is not None)

    assert list(Stakeholder.objects.values_list("email", "first_name")) == [
        ("ada@example.org", "Ada")
    ]


@pytest.mark.django_db
def test_subject_access_lists_and_erasure_deletes_the_import_files_that_mention_a_person(
    django_capture_on_commit_callbacks,
):
    from engage.rights import stakeholder_erase, subject_access_collect
    from tests.factories import StakeholderFactory

    capture = django_capture_on_commit_callbacks
    ada = StakeholderFactory(email="Ada@Example.org")
    mentions = _created(capture, data="email\nada@example.org\n".encode("utf-16"))
    other = _created(capture, data=b"email\nbob@example.org\n", name="other.csv")

    sections = subject_access_collect(stakeholder=ada)
    stakeholder_erase(stakeholder=ada, actor=UserFactory())

    assert [row["file_name"] for row in sections["Import files awaiting the team"]] == [
        "people.csv"
    ]
    mentions.refresh_from_db()
    other.refresh_from_db()
    assert mentions.files_deleted_at is not None
    assert not default_storage.exists(mentions.file_path)
    assert (other.files_deleted_at, default_storage.exists(other.file_path)) == (None, True)


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_one_commit_at_once_import_it_once():
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; CI runs this on PostgreSQL")
    job = import_job_create(
        upload=SimpleUploadedFile(
            "p.csv", b"email\n" + b"".join(b"p%d@example.org\n" % i for i in range(3000))
        ),
        options={},
        actor=None,
    )
    job.refresh_from_db()
    import_job_dry_run(job=job, mapping={"email": "email"})
    job.refresh_from_db()
    # What import_job_commit records, with its task delivered twice below instead of once.
    ImportJob.objects.filter(pk=job.pk).update(
        step=ImportJobStep.COMMIT, state=ImportJobState.QUEUED
    )
    start = threading.Barrier(2)
    errors = []

    def deliver():
        try:
            start.wait()
            import_job_run(job_id=job.pk)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert ImportBatch.objects.count() == 1
    assert Stakeholder.objects.count() == 3000
    assert ImportJob.objects.get(pk=job.pk).batch_id == ImportBatch.objects.get().pk


@pytest.mark.django_db
def test_a_database_failure_in_the_commit_fails_the_job_and_changes_nothing(
    django_capture_on_commit_callbacks,
):
    from django.db import connection

    capture = django_capture_on_commit_callbacks
    job = _created(capture)
    with capture(execute=True):
        import_job_dry_run(job=job, mapping={"email": "email"})
    job.refresh_from_db()
    with connection.cursor() as cursor:  # a real failure partway: people cannot be inserted
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_insert() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'refused'; END; $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON engage_stakeholder "
                "FOR EACH ROW EXECUTE FUNCTION refuse_insert()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON engage_stakeholder "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )

    with capture(execute=True):
        import_job_commit(job=job)
    job.refresh_from_db()

    assert (job.state, job.batch) == (ImportJobState.FAILED, None)
    assert "nothing was changed" in job.error
    assert (Stakeholder.objects.count(), ImportBatch.objects.count()) == (0, 0)
