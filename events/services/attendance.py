"""Attendance (staff): check-in, the online platform's attendance import, the registrations export,
and a segment of the areas a meeting missed."""

import csv
import dataclasses
import io
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from engage.enums import AuditAction
from engage.exports import neutralise
from engage.importers import ImportFileError, check_size, decode
from engage.models import Segment
from engage.normalise import normalise_email
from engage.services import audit_log, segment_create, segment_update
from events.enums import RegistrationStatus
from events.models import Meeting, Registration
from events.services.actors import actor_id

logger = logging.getLogger(__name__)


@transaction.atomic
def registration_mark_attended(
    *, registration_id: int, attended: bool = True, actor
) -> Registration:
    """Mark a confirmed registrant as attended (or undo it). Idempotent: marking twice keeps the first time.

    Raises ValidationError for someone without a confirmed place.
    """
    registration = Registration.objects.select_for_update().get(pk=registration_id)
    if registration.status != RegistrationStatus.CONFIRMED:
        raise ValidationError(_("Only people with a confirmed place can be checked in."))
    if attended and registration.attended_at is None:
        registration.attended_at = timezone.now()
    elif not attended:
        registration.attended_at = None
    registration.save(update_fields=["attended_at"])
    logger.info(
        "attendance marked",
        extra={
            "registration_id": registration.pk,
            "attended": attended,
            "actor_id": actor_id(actor),
        },
    )
    return registration


@dataclasses.dataclass
class AttendanceImportReport:
    rows: int = 0
    matched: int = 0
    already: int = 0
    unmatched: list[tuple[int, str]] = dataclasses.field(default_factory=list)


EMAIL_HEADERS = ("email", "e-mail", "user email", "attendee email", "participant email", "upn")


def _email_column(header: list[str]) -> int | None:
    cleaned = [h.strip().strip('"').lower() for h in header]
    for index, name in enumerate(cleaned):
        if name in EMAIL_HEADERS:
            return index
    for index, name in enumerate(cleaned):
        if "email" in name or "e-mail" in name:
            return index
    return None


@transaction.atomic
def attendance_import(*, meeting_id: int, content: bytes, actor) -> AttendanceImportReport:
    """Mark attendance from an online platform's attendance CSV, matched by normalised email.

    Finds the header row (the first with an email column; platforms put a summary above it), then
    marks each confirmed registrant whose email appears. Rows that match no confirmed registrant are
    reported with their row number, not stored. Side effects: sets attended_at (to the meeting's
    start) and writes an AuditLog row with the counts. Raises ValidationError for an unreadable file,
    one too large, or one with no email column; nothing is written then.
    """
    # The one reader of uploaded tables (engage.importers): its size limit and its decoding.
    try:
        check_size(len(content))
        text, _encoding = decode(content)
    except ImportFileError as error:
        raise ValidationError(str(error)) from None
    # Platforms differ (Zoom: commas; Teams: tabs, with a summary above the table): take the
    # delimiter whose header row, the first with an email column, has the most columns.
    best = None
    for delimiter in (",", "\t", ";"):
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        for index, row in enumerate(rows[:50]):
            column = _email_column(row)
            if column is not None:
                if best is None or len(row) > len(best[0][index]):
                    best = (rows, index, column)
                break
    if best is None:
        raise ValidationError(
            _("No email column was found: the file needs a column headed “Email”.")
        )
    rows, header_index, column = best
    meeting = Meeting.objects.get(pk=meeting_id)
    registrations = {
        r.stakeholder.email_normalised: r
        for r in Registration.objects.select_for_update(of=("self",))
        .filter(meeting=meeting, status=RegistrationStatus.CONFIRMED)
        .select_related("stakeholder")
    }
    report = AttendanceImportReport()
    seen: set[str] = set()
    to_mark = []
    for number, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        if not any(cell.strip() for cell in row):
            continue
        report.rows += 1
        raw = row[column].strip() if column < len(row) else ""
        email = normalise_email(raw) if raw else ""
        if email in seen:
            continue  # people who rejoin appear once per join
        seen.add(email)
        registration = registrations.get(email)
        if registration is None:
            report.unmatched.append((number, raw))
        elif registration.attended_at is not None:
            report.already += 1
        else:
            registration.attended_at = meeting.start
            to_mark.append(registration)
    Registration.objects.bulk_update(to_mark, ["attended_at"])
    report.matched = len(to_mark)
    audit_log(
        actor=actor,
        action=AuditAction.IMPORT,
        obj=meeting,
        detail={
            "kind": "attendance",
            "rows": report.rows,
            "matched": report.matched,
            "already": report.already,
            "unmatched": len(report.unmatched),
        },
    )
    return report


def registrations_export_csv(*, meeting_id: int, actor, include_access: bool = False) -> str:
    """The meeting's registrations as CSV text, with formula-looking cells neutralised.

    Side effects: writes an AuditLog export row (how many rows, whether access requirements were
    included).
    """
    meeting = Meeting.objects.get(pk=meeting_id)
    registrations = (
        Registration.objects.filter(meeting=meeting)
        .select_related("stakeholder", "area", "breakout", "stakeholder__area")
        .order_by("status", "waitlist_position", "created_at", "id")
    )
    out = io.StringIO()
    writer = csv.writer(out)
    header = [
        _("First name"),
        _("Last name"),
        _("Email"),
        _("Status"),
        _("Waiting list position"),
        _("Breakout"),
        _("Area"),
        _("Organisation"),
        _("On attendee list"),
        _("Attended"),
        _("Registered at"),
    ]
    if include_access:
        header.append(_("Access requirements"))
    writer.writerow([str(h) for h in header])
    count = 0
    for r in registrations:
        area = r.area or r.stakeholder.area
        row = [
            r.stakeholder.first_name,
            r.stakeholder.last_name,
            r.stakeholder.email,
            r.get_status_display(),
            r.waitlist_position or "",
            r.breakout.title if r.breakout else "",
            area.name if area else "",
            r.organisation_name,
            _("yes") if r.attendee_list_ok else _("no"),
            date_format(timezone.localtime(r.attended_at), "Y-m-d H:i") if r.attended_at else "",
            date_format(timezone.localtime(r.created_at), "Y-m-d H:i"),
        ]
        if include_access:
            row.append(r.access_requirements)
        writer.writerow([neutralise(cell) for cell in row])
        count += 1
    audit_log(
        actor=actor,
        action=AuditAction.EXPORT,
        obj=meeting,
        detail={"kind": "registrations", "rows": count, "access_requirements": include_access},
    )
    return out.getvalue()


@transaction.atomic
def segment_create_for_areas(*, meeting_id: int, area_slugs: list[str], actor):
    """Save a Segment of the stakeholders in `area_slugs`, named for the meeting they missed.

    Uses the stakeholder filter's "area" key (area slugs; engage.selectors.stakeholders_filter).
    Side effects: creates the Segment, or updates the areas of the one made before for this
    meeting. Raises ValidationError for an empty list.
    """

    if not area_slugs:
        raise ValidationError(_("Every area was represented: there is no one to target."))
    meeting = Meeting.objects.get(pk=meeting_id)
    name = (str(_("Areas not represented at %(title)s")) % {"title": meeting.title})[:150]
    filters = {"area": sorted(area_slugs)}
    segment = Segment.objects.filter(name__iexact=name).first()
    if segment is None:
        return segment_create(name=name, filters=filters, actor=actor)
    segment_update(segment=segment, name=name, filters=filters)
    return segment
