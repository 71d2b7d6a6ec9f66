from django.db import models
from django.utils.translation import gettext_lazy as _


class AreaKind(models.TextChoices):
    BOROUGH = "borough", _("London borough")
    CITY = "city", _("City of London")
    OTHER = "other", _("Outside London")


class OrganisationType(models.TextChoices):
    VOLUNTARY = "voluntary", _("Voluntary or community group")
    YOUTH = "youth", _("Youth organisation")
    FAITH = "faith", _("Faith group")
    RESIDENTS = "residents", _("Residents' association")
    STATUTORY = "statutory", _("Statutory partner")
    POLICE = "police", _("Police")
    COUNCIL = "council", _("Council")
    OTHER = "other", _("Other")


class TagKind(models.TextChoices):
    COMMUNITY = "community", _("Community")
    INTEREST = "interest", _("Interest")


class LawfulBasis(models.TextChoices):
    CONSENT = "consent", _("Consent")
    PUBLIC_TASK = "public_task", _("Public task")


class ConsentAction(models.TextChoices):
    GIVEN = "given", _("Given")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    # Under public task there is no consent to withdraw, only an objection, which works the same.
    OBJECTED = "objected", _("Objected")
    # No activity for ENGAGE_CONSENT_RENEW_AFTER_DAYS and no answer to the renewal email: the
    # consent no longer stands, and the ledger says why (engage.retention).
    LAPSED = "lapsed", _("Lapsed")


class ConsentMethod(models.TextChoices):
    WEB = "web", _("Web form")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    PAPER = "paper", _("Paper")
    # Asked face to face by staff, at a meeting's door (a walk-in): evidence names the meeting.
    IN_PERSON = "in_person", _("In person")
    IMPORT = "import", _("Import")
    UNSUBSCRIBE = "unsubscribe", _("One-click unsubscribe")
    ESP = "esp", _("Unsubscribe reported by the mail provider")
    LAPSE = "lapse", _("Lapsed: no answer to the renewal email")


class SuppressionReason(models.TextChoices):
    """Why an address is not mailed. An unsubscribe stops engagement mail (mail with a purpose)
    only; every other reason stops all mail but account mail (see engage.mail.sending)."""

    HARD_BOUNCE = "bounce", _("Hard bounce")
    COMPLAINT = "complaint", _("Complaint")
    MANUAL = "manual", _("Added by staff")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribed")


class EmailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    BOUNCED = "bounced", _("Bounced")
    COMPLAINED = "complained", _("Complained")
    FAILED = "failed", _("Failed")
    SUPPRESSED = "suppressed", _("Suppressed")


class AuditAction(models.TextChoices):
    VIEW = "view", _("Viewed personal data")
    EDIT = "edit", _("Edited")
    CREATE = "create", _("Created")
    EXPORT = "export", _("Exported")
    IMPORT = "import", _("Imported")
    ERASE = "erase", _("Erased")
    SUBJECT_ACCESS = "subject_access", _("Subject access export")
    CONSENT = "consent", _("Recorded consent")
    SUPPRESS = "suppress", _("Suppression changed")


class ImportJobStep(models.TextChoices):
    HEADERS = "headers", _("Reading the columns")
    DRY_RUN = "dry_run", _("Dry run")
    COMMIT = "commit", _("Import")


class ImportJobState(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")


class Role(models.TextChoices):
    REPRESENTATIVE = "representative", _("Community representative")
    FACILITATOR = "facilitator", _("Facilitator")
    ENGAGEMENT_TEAM = "engagement_team", _("Engagement team")
    ADMINISTRATOR = "administrator", _("Administrator")


# Consent purpose slugs (rows seeded by migration 0004): constants here, the bottom of the
# dependency order, so events and feedback name a purpose without importing a service module.
PURPOSE_MEETING_INVITATIONS = "meeting-invitations"
PURPOSE_ACTION_PLAN_NEWS = "action-plan-news"
PURPOSE_EQUALITY_MONITORING = "equality-monitoring"
PURPOSE_ACCESS_NEEDS = "access-needs"
PURPOSE_ATTENDEE_LIST = "attendee-list"
