"""Importing an online meeting's chat or poll export as points: dry run with a per-row report,
then the import, once, without the senders' names."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from feedback.enums import PointSource
from feedback.models import ChatImport, Point, PointRevision
from tests.factories import DiscussionQuestionFactory

pytestmark = pytest.mark.django_db

CHAT = (
    "Time,Sender,Message\r\n"
    "18:02,Amina Yusuf,More patrols near the station at night\r\n"
    "18:03,Tom Reed,\r\n"
    "18:04,Tom Reed,more patrols near the station at night\r\n"
    f"18:05,Sam Lee,{'x' * 2100}\r\n"
    "18:06,Sam Lee,<script>alert('hi')</script>\r\n"
)


def _upload(text=CHAT, name="zoom-chat.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def _dry_run(client, question, upload):
    url = reverse("feedback:staff_chat_import", args=[question.session.meeting_id])
    return client.post(
        url, {"question": question.pk, "source": PointSource.CHAT, "file": upload}, follow=True
    )


def test_the_dry_run_reports_each_refused_row_and_saves_no_point(client, engagement_team):
    question = DiscussionQuestionFactory()
    client.force_login(engagement_team)

    page = _dry_run(client, question, _upload())

    html = page.content.decode()
    report = ChatImport.objects.get().report
    assert Point.objects.count() == 0
    assert report["accepted"] == 2
    assert [(r["line"], r["reason"]) for r in report["refused"]] == [
        (3, "The message is empty."),
        (4, "The same message as line 2."),
        (5, "The message is 2,100 characters; a point holds at most 2,000."),
    ]
    assert "Dry run: nothing saved yet" in html
    assert "&lt;script&gt;" in html and "<script>alert" not in html


def test_committing_imports_the_messages_once_without_the_senders(client, engagement_team):
    question = DiscussionQuestionFactory()
    client.force_login(engagement_team)
    _dry_run(client, question, _upload())
    chat_import = ChatImport.objects.get()
    review = reverse("feedback:staff_chat_import_review", args=[chat_import.pk])

    client.post(review)
    client.post(review)
    _dry_run(client, question, _upload())  # the same file again

    points = list(Point.objects.order_by("created_at", "id"))
    assert [p.text for p in points] == [
        "More patrols near the station at night",
        "<script>alert('hi')</script>",
    ]
    assert {p.source for p in points} == {PointSource.CHAT}
    assert {p.session_id for p in points} == {question.session_id}
    assert PointRevision.objects.count() == 2
    assert not any("Amina" in p.text or "Tom" in p.text for p in points)
    chat_import.refresh_from_db()
    assert bytes(chat_import.data) == b"" and chat_import.report["created"] == 2
    second = ChatImport.objects.exclude(pk=chat_import.pk).get()
    assert (second.report["accepted"], second.report["already_imported"]) == (0, 2)


def test_a_windows_1252_poll_export_is_read_through_the_one_reader(client, engagement_team):
    question = DiscussionQuestionFactory()
    client.force_login(engagement_team)
    poll = "User Name,Question,Answer\r\nRenée,Which topic?,Stop and search – young people\r\n"

    _dry_run(client, question, _upload(poll, name="poll.csv", encoding="cp1252"))

    assert ChatImport.objects.get().report["preview"] == ["Stop and search – young people"]


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: _upload("Time,Sender\r\n18:00,Amina\r\n"), "no message column"),
        (lambda: _upload(name="chat.pdf"), "Upload a .csv or .xlsx file"),
    ],
)
def test_a_file_that_cannot_be_imported_is_refused_with_a_reason(
    client, engagement_team, upload, message
):
    question = DiscussionQuestionFactory()
    client.force_login(engagement_team)

    page = _dry_run(client, question, upload())

    assert page.status_code == 400
    assert message in page.content.decode() and "<title>Error:" in page.content.decode()
    assert not ChatImport.objects.exists()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(client, engagement_team, settings):
    settings.ENGAGE_IMPORT_MAX_BYTES = 100
    question = DiscussionQuestionFactory()
    client.force_login(engagement_team)

    page = _dry_run(client, question, _upload())

    assert "the largest file we accept" in page.content.decode()
    assert not ChatImport.objects.exists()


def test_a_facilitator_cannot_import(client, facilitator):
    question = DiscussionQuestionFactory()
    client.force_login(facilitator)

    page = _dry_run(client, question, _upload())

    assert page.status_code == 403
    assert not ChatImport.objects.exists()
