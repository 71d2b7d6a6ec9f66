"""Public pages of the feedback app: a meeting's record (the published summary report and the
responses), and the report's downloads: accessible PDF, DOCX, and its points as CSV."""

from django.core.cache import cache
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from events.models import Meeting
from feedback import selectors
from feedback.documents import DOCX_TYPE, document_docx, document_pdf
from feedback.documents.points_csv import points_csv_lines

_TYPES = {
    "pdf": ("application/pdf", document_pdf),
    "docx": (DOCX_TYPE, document_docx),
}
# A published version never changes, so its files are made once per cache lifetime.
_FILE_CACHE_SECONDS = 24 * 3600


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
    """The published report as an accessible PDF or as DOCX."""
    if kind not in _TYPES:
        raise Http404
    meeting = _meeting(slug)
    published = selectors.meeting_report_document_public(meeting_id=meeting.pk)
    if published is None:
        raise Http404
    document, version = published
    content_type, build = _TYPES[kind]
    if version is not None:
        data = cache.get_or_set(
            f"feedback:report:{version.pk}:{kind}", lambda: build(document), _FILE_CACHE_SECONDS
        )
    else:
        data = build(document)
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
