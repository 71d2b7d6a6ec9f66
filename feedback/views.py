"""Public pages of the feedback app: a meeting's record (the published summary report and the
responses), and the report's downloads: accessible PDF, DOCX, and its points as CSV."""

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from events.models import Meeting
from feedback import selectors
from feedback.documents import DOCX_TYPE, document_docx, document_pdf
from feedback.documents.points_csv import points_csv_lines
from feedback.services.report_files import report_version_file

_TYPES = {
    "pdf": ("application/pdf", document_pdf),
    "docx": (DOCX_TYPE, document_docx),
}


def _meeting(slug: str) -> Meeting:
    try:
        return selectors.meeting_record_public_get(slug=slug)
    except Meeting.DoesNotExist:
        raise Http404 from None


def meeting_record(request, slug):
    """The published summary report and responses of a meeting the public may see."""
    meeting = _meeting(slug)
    published = selectors.meeting_report_document_public(meeting_id=meeting.pk)
    document, version = published if published else (None, None)
    return render(
        request,
        "feedback/public/meeting_record.html",
        {
            "meeting": meeting,
            "report": selectors.meeting_report_published(meeting_id=meeting.pk),
            "document": document,
            "version": version,
            "responses": list(selectors.responses_published(meeting_id=meeting.pk)),
        },
    )


@require_GET
def report_file(request, slug, kind):
    """The published report as an accessible PDF or as DOCX, served as built after publishing;
    a "being prepared" page while its build has not finished."""
    if kind not in _TYPES:
        raise Http404
    meeting = _meeting(slug)
    published = selectors.meeting_report_document_public(meeting_id=meeting.pk)
    if published is None:
        raise Http404
    document, version = published
    content_type, build = _TYPES[kind]
    if version is None:
        # A report published before versions existed: its title and summary, small to build.
        data = build(document)
    else:
        data = report_version_file(version_id=version.pk, kind=kind)
    if data is None:
        response = render(
            request,
            "feedback/public/report_preparing.html",
            {"meeting": meeting, "kind": kind, "retry": request.get_full_path()},
            status=202,
        )
        response["Retry-After"] = "10"
        return response
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{meeting.slug}-report.{kind}"'
    return response


@require_GET
def report_points_csv(request, slug):
    """The points behind the published report, one row each, formula-safe."""
    meeting = _meeting(slug)
    if selectors.meeting_report_published(meeting_id=meeting.pk) is None:
        raise Http404
    rows = selectors.report_points_export(meeting_id=meeting.pk).iterator(chunk_size=2000)
    response = StreamingHttpResponse(points_csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{meeting.slug}-points.csv"'
    return response
