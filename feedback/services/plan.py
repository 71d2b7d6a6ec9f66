"""Writes of the action plan: plans and chapters, the import of commitments (and a round's
updates) from CSV or XLSX, rewording, update rounds and the updates in them, publication.

Imports go through the one file reader (engage.importers.reading: encodings, size, row and
column limits). Every row is validated before anything is written; a file with any bad row
changes nothing, and a dry run only reports. A published round's updates are never edited:
every write here refuses them. Actors appear in logs by id only.
"""

import datetime as _dt
import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError

from engage import links
from engage.importers.columns import header_key
from engage.importers.reading import ImportFileError, read_table
from engage.mail.rendering import absolute_url
from engage.mail.services import email_queue
from feedback.models import (
    ActionPlan,
    Chapter,
    Commitment,
    CommitmentUpdate,
    Owner,
    Rating,
    UpdateRound,
)
from feedback.tasks import notify_round_task

logger = logging.getLogger(__name__)

# Header (as header_key makes it) -> field. The seeds' own headings are included.
PLAN_HEADERS = {
    "chapter": "chapter",
    "number": "number",
    "no": "number",
    "no.": "number",
    "ref": "number",
    "action": "text",
    "commitment": "text",
    "update": "update",
    "status_update": "update",
    "status": "update",
    "rating": "rating",
    "rag": "rating",
    "lead": "lead",
    "lead_organisation": "lead",
    "owner_email": "owner_email",
    "owner_contact": "owner_email",
}


def _actor_id(actor) -> int | None:
    return getattr(actor, "pk", None)


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


# --- Plans and chapters --------------------------------------------------------------------


def plan_create(*, title: str, slug: str, series_id: int | None = None, actor) -> ActionPlan:
    """Add an empty action plan. Raises ValidationError for an empty title or a slug in use."""
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Enter a title.")}, code="required")
    if ActionPlan.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": _("Another plan has this address.")}, code="exists")
    plan = ActionPlan.objects.create(title=title, slug=slug, series_id=series_id)
    logger.info("plan created", extra={"plan_id": plan.pk, "actor_id": _actor_id(actor)})
    return plan


def chapter_add(*, plan_id: int, number: str, title: str, actor) -> Chapter:
    """Add a chapter. Raises ValidationError for empty fields or a number in use."""
    number, title = (number or "").strip(), (title or "").strip()
    if not number or not title:
        raise ValidationError(_("Enter the chapter's number and title."), code="required")
    try:
        with transaction.atomic():
            chapter = Chapter.objects.create(plan_id=plan_id, number=number, title=title)
    except IntegrityError:
        raise ValidationError(
            {"number": _("Chapter %(n)s exists already.") % {"n": number}}, code="exists"
        ) from None
    logger.info("chapter added", extra={"chapter_id": chapter.pk, "actor_id": _actor_id(actor)})
    return chapter


def commitment_reword(*, commitment_id: int, text: str, actor) -> Commitment:
    """Reword a commitment. Updates written before keep the wording they were written against."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Enter the commitment.")}, code="required")
    with transaction.atomic():
        commitment = Commitment.objects.select_for_update().get(pk=commitment_id)
        commitment.text = text
        commitment.save(update_fields=["text", "updated_at"])
    logger.info(
        "commitment reworded",
        extra={"commitment_id": commitment_id, "actor_id": _actor_id(actor)},
    )
    return commitment


# --- Import --------------------------------------------------------------------------------


@dataclass
class PlanImportReport:
    dry_run: bool
    rows: int = 0
    created: int = 0
    reworded: int = 0
    updates: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    file_error: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors and not self.file_error


@dataclass
class _Row:
    line: int
    chapter: Chapter
    number: str
    text: str
    update: str
    rating: Rating | None
    lead: str
    owner: Owner | None


def _chapter_lookup(plan: ActionPlan) -> dict[str, Chapter]:
    lookup = {}
    for chapter in plan.chapters.all():
        lookup[chapter.number.strip().lower()] = chapter
        lookup[chapter.title.strip().lower()] = chapter
        lookup[f"{chapter.number} {chapter.title}".strip().lower()] = chapter
    return lookup


def _validate(plan, table, *, round_: UpdateRound | None, report: PlanImportReport) -> list[_Row]:
    columns = {}
    for index, header in enumerate(table.headers):
        name = PLAN_HEADERS.get(header_key(header))
        if name and name not in columns:
            columns[name] = index
    missing = [name for name in ("chapter", "number", "text") if name not in columns]
    if missing:
        raise ImportFileError(
            _("The file needs columns for the chapter, the number and the commitment.")
        )
    chapters = _chapter_lookup(plan)
    ratings = {r.code.lower(): r for r in Rating.objects.all()}
    owners = {o.contact_email.lower(): o for o in Owner.objects.exclude(contact_email="")}
    seen: dict[str, int] = {}
    rows = []
    for line, cells in table.rows:

        def cell(name, cells=cells):
            index = columns.get(name)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        if not any(c.strip() for c in cells):
            continue
        report.rows += 1
        problems = []
        number = cell("number")
        chapter = chapters.get(cell("chapter").lower())
        if not number:
            problems.append(_("the number is missing"))
        elif number.lower() in seen:
            problems.append(
                _("number %(n)s is also on line %(line)s")
                % {"n": number, "line": seen[number.lower()]}
            )
        else:
            seen[number.lower()] = line
        if chapter is None:
            problems.append(
                _("there is no chapter “%(c)s” in this plan") % {"c": cell("chapter")}
                if cell("chapter")
                else _("the chapter is missing")
            )
        if not cell("text"):
            problems.append(_("the commitment is missing"))
        rating = None
        if cell("rating"):
            rating = ratings.get(cell("rating").lower())
            if rating is None:
                problems.append(
                    _("“%(r)s” is not a rating; use one of %(codes)s")
                    % {"r": cell("rating"), "codes": ", ".join(r.code for r in ratings.values())}
                )
        if (cell("update") or cell("rating")) and round_ is None:
            problems.append(_("an update or rating needs an open update round to go into"))
        if cell("update") and not cell("rating"):
            problems.append(_("the update has no rating"))
        if cell("rating") and not cell("update"):
            problems.append(_("the rating has no update text"))
        owner = None
        if cell("owner_email"):
            owner = owners.get(cell("owner_email").lower())
            if owner is None:
                problems.append(
                    _("no owner has the contact email %(e)s") % {"e": cell("owner_email")}
                )
        if problems:
            message = "; ".join(problems)
            report.errors.append((line, message[:1].upper() + message[1:] + "."))
            continue
        rows.append(
            _Row(
                line=line,
                chapter=chapter,
                number=number,
                text=cell("text"),
                update=cell("update"),
                rating=rating,
                lead=cell("lead"),
                owner=owner,
            )
        )
    return rows


def plan_import(
    *,
    plan_id: int,
    data: bytes,
    file_name: str,
    round_id: int | None = None,
    dry_run: bool = True,
    actor,
) -> PlanImportReport:
    """Import commitments (chapter, number, commitment, and optionally lead organisation, owner
    email, update and rating) into a plan; updates go into the open round `round_id`.

    Known numbers are reworded when their text differs; new ones are created. Any bad row (an
    unknown chapter or rating, a duplicate number, a missing field) is reported with its line and
    nothing is written; a dry run writes nothing either way. Side effects (not a dry run, no
    errors): Commitment rows, and CommitmentUpdate drafts in the round. Returns the report."""
    report = PlanImportReport(dry_run=dry_run)
    plan = ActionPlan.objects.get(pk=plan_id)
    round_ = None
    if round_id:
        round_ = UpdateRound.objects.get(pk=round_id, plan=plan)
        if round_.published_at is not None:
            report.file_error = _("That round is published; its updates cannot change.")
            return report
    try:
        table = read_table(data, file_name=file_name)
        rows = _validate(plan, table, round_=round_, report=report)
    except ImportFileError as error:
        report.file_error = str(error)
        return report
    existing = {c.number.lower(): c for c in plan.commitments.all()}
    for row in rows:
        known = existing.get(row.number.lower())
        if known is None:
            report.created += 1
        elif known.text != row.text:
            report.reworded += 1
        if row.update:
            report.updates += 1
    if dry_run or not report.ok:
        return report
    with transaction.atomic():
        last = plan.commitments.order_by("-order").first()
        order = last.order if last else 0
        for row in rows:
            commitment = existing.get(row.number.lower())
            if commitment is None:
                order += 1
                commitment = Commitment.objects.create(
                    plan=plan,
                    chapter=row.chapter,
                    number=row.number,
                    text=row.text,
                    lead_organisation=row.lead,
                    owner=row.owner,
                    order=order,
                )
            else:
                commitment.text = row.text
                commitment.chapter = row.chapter
                commitment.lead_organisation = row.lead or commitment.lead_organisation
                commitment.owner = row.owner or commitment.owner
                commitment.save()
            if row.update:
                CommitmentUpdate.objects.update_or_create(
                    round=round_,
                    commitment=commitment,
                    defaults={
                        "status_text": row.update,
                        "rating": row.rating,
                        "wording": commitment.text,
                        "by_user": _user(actor),
                        "written_at": timezone.now(),
                    },
                )
    logger.info(
        "plan imported",
        extra={
            "plan_id": plan_id,
            "commitments_created": report.created,
            "reworded": report.reworded,
            "updates": report.updates,
            "actor_id": _actor_id(actor),
        },
    )
    return report


# --- Update rounds -------------------------------------------------------------------------


def round_open(
    *,
    plan_id: int,
    title: str,
    period_end: _dt.date,
    due_on: _dt.date | None = None,
    actor,
) -> UpdateRound:
    """Open a round of quarterly updates. Refused while another round of the plan is open (also
    when two people open one at the same moment: the database's one-open-round constraint
    decides), for a title used before, or a due date in the past."""
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Enter a title, such as 2021/22 Q2.")}, code="required")
    if due_on and due_on < timezone.localdate():
        raise ValidationError(
            {"due_on": _("The due date must be today or in the future.")}, code="past"
        )
    if UpdateRound.objects.filter(plan_id=plan_id, published_at__isnull=True).exists():
        raise ValidationError(
            _("A round is open already. Publish it before opening the next."), code="open"
        )
    try:
        with transaction.atomic():
            round_ = UpdateRound.objects.create(
                plan_id=plan_id,
                title=title,
                period_end=period_end,
                due_on=due_on,
                opened_by=_user(actor),
            )
    except IntegrityError:
        raise ValidationError(
            _("A round is open already, or one has this title."), code="exists"
        ) from None
    logger.info("round opened", extra={"round_id": round_.pk, "actor_id": _actor_id(actor)})
    return round_


def update_write(
    *,
    round_id: int,
    commitment_id: int,
    status_text: str,
    rating_code: str,
    actor=None,
    owner: Owner | None = None,
) -> CommitmentUpdate:
    """Write (or redraft) a commitment's update in an open round, by a staff user or an owner
    through their link. Side effects: one CommitmentUpdate row, with the commitment's wording now.
    Raises ValidationError for a published round, empty text or an unknown rating."""
    status_text = (status_text or "").strip()
    if not status_text:
        raise ValidationError({"status_text": _("Enter the status update.")}, code="required")
    rating = Rating.objects.filter(code__iexact=(rating_code or "").strip()).first()
    if rating is None:
        raise ValidationError({"rating": _("Choose a rating.")}, code="invalid")
    with transaction.atomic():
        round_ = UpdateRound.objects.select_for_update().get(pk=round_id)
        if round_.published_at is not None:
            raise ValidationError(
                _("This round is published; its updates cannot change."), code="published"
            )
        commitment = Commitment.objects.get(pk=commitment_id, plan_id=round_.plan_id)
        update, _created = CommitmentUpdate.objects.update_or_create(
            round=round_,
            commitment=commitment,
            defaults={
                "status_text": status_text,
                "rating": rating,
                "wording": commitment.text,
                "by_user": _user(actor),
                "by_owner": owner,
                "written_at": timezone.now(),
            },
        )
    logger.info(
        "commitment update written",
        extra={"update_id": update.pk, "round_id": round_id, "actor_id": _actor_id(actor)},
    )
    return update


def round_publish(*, round_id: int, actor) -> UpdateRound:
    """Publish a round: its updates appear on the public plan and commitment pages and can no
    longer change. Side effects: after commit, queues feedback.notify_round, which tells the
    consenting registrants of the plan's series once (beat retries if the broker is away).
    Raises ValidationError when it is published already or has no updates."""
    with transaction.atomic():
        round_ = UpdateRound.objects.select_for_update().get(pk=round_id)
        if round_.published_at is not None:
            raise ValidationError(_("This round is published already."), code="published")
        if not round_.updates.exists():
            raise ValidationError(_("This round has no updates yet."), code="empty")
        round_.published_at = timezone.now()
        round_.published_by = _user(actor)
        round_.save(update_fields=["published_at", "published_by"])
        transaction.on_commit(lambda: _queue_round_notice(round_id))
    logger.info("round published", extra={"round_id": round_id, "actor_id": _actor_id(actor)})
    return round_


def _queue_round_notice(round_id: int) -> None:
    try:
        notify_round_task.delay(round_id)
    except (KombuOperationalError, OSError):
        # notified_at is still empty: the beat job announces it when the broker is back.
        logger.warning("round notice not queued; beat will send it", extra={"round_id": round_id})


# --- Owners asked for their updates (the same signed links as responses owed) --------------

OWNER_UPDATE_TEMPLATE = "feedback/owner_update_asked"


def _update_item(round_id: int, commitment_id: int) -> str:
    return f"update:{round_id}:{commitment_id}"


def owner_update_url(*, round_: UpdateRound, commitment: Commitment) -> str:
    token = links.item_link_token(
        purpose=links.OWNER_REPLY,
        item=_update_item(round_.pk, commitment.pk),
        sent_to=commitment.owner.contact_email,
    )
    path = reverse(
        "feedback:owner_update",
        kwargs={"pk": round_.pk, "commitment_pk": commitment.pk, "token": token},
    )
    return absolute_url(path)


def owner_update_email(
    *, round_: UpdateRound, commitment: Commitment, stage: str = "", dedupe_key: str | None = None
):
    """Queue the email asking a commitment's owner for its update (or reminding them: `stage`)."""
    return email_queue(
        to_email=commitment.owner.contact_email,
        template=OWNER_UPDATE_TEMPLATE,
        context={
            "contact_name": commitment.owner.contact_name,
            "plan_title": round_.plan.title,
            "round_title": round_.title,
            "number": commitment.number,
            "commitment": commitment.text,
            "due": round_.due_on.strftime("%-d %B %Y") if round_.due_on else "",
            "stage": stage,
            "reply_url": owner_update_url(round_=round_, commitment=commitment),
        },
        dedupe_key=dedupe_key,
    )


def round_ask_owners(*, round_id: int, actor) -> int:
    """Email each commitment's owner (with a contact email) that has no update in this open
    round yet, with a signed link to write it. Asking again sends nothing twice (dedupe key
    "round-ask:<round>:<commitment>"). Returns how many commitments were asked. Raises
    ValidationError for a published round."""
    with transaction.atomic():
        round_ = UpdateRound.objects.select_for_update().select_related("plan").get(pk=round_id)
        if round_.published_at is not None:
            raise ValidationError(_("This round is published already."), code="published")
        written = round_.updates.values("commitment_id")
        commitments = (
            round_.plan.commitments.filter(owner__isnull=False)
            .exclude(owner__contact_email="")
            .exclude(pk__in=written)
            .select_related("owner")
        )
        asked = 0
        for commitment in commitments:
            owner_update_email(
                round_=round_,
                commitment=commitment,
                dedupe_key=f"round-ask:{round_.pk}:{commitment.pk}",
            )
            asked += 1
    logger.info(
        "round owners asked",
        extra={"round_id": round_id, "asked": asked, "actor_id": _actor_id(actor)},
    )
    return asked


def owner_update_link_check(*, round_: UpdateRound, commitment: Commitment, token: str) -> None:
    """Raise LinkInvalid / LinkExpired unless `token` is a live owner link for this commitment in
    this round, for its owner's address on file."""
    address = commitment.owner.contact_email if commitment.owner_id else ""
    links.item_link_read(
        token=token,
        purpose=links.OWNER_REPLY,
        item=_update_item(round_.pk, commitment.pk),
        address=address,
    )
