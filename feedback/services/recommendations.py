"""Importing an outside report's recommendations, with the responses already written to them, as
responses owed at a meeting ("Recommendation 1 – text – response", as such reports list them).

Through the one file reader (engage.importers.reading). Every row is checked first; any bad row
(no number or text, a number twice in the file or already on the meeting) is reported with its
line and nothing is written; a dry run only reports.
"""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engage.importers.columns import header_key
from engage.importers.reading import ImportFileError, read_table
from feedback.enums import ResponseAction, ResponseSource, ResponseStatus
from feedback.models import Response
from feedback.services.plan import PlanImportReport
from feedback.services.responses import response_history_add

logger = logging.getLogger(__name__)

HEADERS = {
    "number": "number",
    "no": "number",
    "recommendation": "text",
    "text": "text",
    "response": "response",
}


def recommendations_import(
    *, meeting_id: int, data: bytes, file_name: str, dry_run: bool = True, actor
) -> PlanImportReport:
    """Import recommendations (number, recommendation, optional response) as responses of the
    meeting, unpublished: "responded" where the file gives a response, else "open". Side effects
    (not a dry run, no errors): Response rows with their first history line. Returns the report
    (`created` counts the rows)."""
    report = PlanImportReport(dry_run=dry_run)
    try:
        table = read_table(data, file_name=file_name)
        columns = {}
        for index, header in enumerate(table.headers):
            name = HEADERS.get(header_key(header))
            if name and name not in columns:
                columns[name] = index
        if "number" not in columns or "text" not in columns:
            raise ImportFileError(
                _("The file needs columns for the number and the recommendation.")
            )
        existing = set(
            Response.objects.filter(
                meeting_id=meeting_id, source=ResponseSource.RECOMMENDATION
            ).values_list("reference", flat=True)
        )
        seen: dict[str, int] = {}
        rows = []
        for line, cells in table.rows:
            if not any(c.strip() for c in cells):
                continue

            def cell(name, cells=cells):
                index = columns.get(name)
                return cells[index].strip() if index is not None and index < len(cells) else ""

            report.rows += 1
            number, text = cell("number"), cell("text")
            reference = _("Recommendation %(n)s") % {"n": number}
            problems = []
            if not number:
                problems.append(_("the number is missing"))
            elif number in seen:
                problems.append(
                    _("number %(n)s is also on line %(line)s") % {"n": number, "line": seen[number]}
                )
            elif reference in existing:
                problems.append(_("%(ref)s is on this meeting already") % {"ref": reference})
            else:
                seen[number] = line
            if not text:
                problems.append(_("the recommendation is missing"))
            if problems:
                message = "; ".join(problems)
                report.errors.append((line, message[:1].upper() + message[1:] + "."))
            else:
                rows.append((reference, text, cell("response")))
    except ImportFileError as error:
        report.file_error = str(error)
        return report
    report.created = len(rows)
    if dry_run or not report.ok:
        return report
    with transaction.atomic():
        last = Response.objects.filter(meeting_id=meeting_id).order_by("-order").first()
        order = last.order if last else 0
        now = timezone.now()
        for reference, text, answer in rows:
            order += 1
            response = Response.objects.create(
                meeting_id=meeting_id,
                source=ResponseSource.RECOMMENDATION,
                reference=reference,
                you_said=text,
                we_did=answer,
                status=ResponseStatus.RESPONDED if answer else ResponseStatus.OPEN,
                responded_at=now if answer else None,
                order=order,
            )
            response_history_add(response=response, action=ResponseAction.CREATED, actor=actor)
    logger.info(
        "recommendations imported",
        extra={"meeting_id": meeting_id, "rows": len(rows), "actor_id": getattr(actor, "pk", None)},
    )
    return report
