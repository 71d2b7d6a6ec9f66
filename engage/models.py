import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engage.enums import (
    AreaKind,
    AuditAction,
    ConsentAction,
    ConsentMethod,
    EmailStatus,
    ImportJobState,
    ImportJobStep,
    LawfulBasis,
    OrganisationType,
    SuppressionReason,
    TagKind,
)
from engage.normalise import normalise_email


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=normalise_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """An account. Email is the login; what a person may do comes from their role groups."""

    username = None
    email = models.EmailField(_("email address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return f"user #{self.pk}"


class Area(models.Model):
    """A local authority area (the 33 in London); the list is data, loaded by `demo`/fixtures."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=AreaKind.choices, default=AreaKind.BOROUGH)
    code = models.CharField(max_length=12, blank=True, help_text=_("ONS GSS code"))
    population = models.PositiveIntegerField(null=True, blank=True)
    population_source = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=20, choices=TagKind.choices, default=TagKind.INTEREST)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name"], name="tag_name_unique")]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    name = models.CharField(max_length=200)
    type = models.CharField(
        max_length=20, choices=OrganisationType.choices, default=OrganisationType.OTHER
    )
    areas = models.ManyToManyField(Area, blank=True, related_name="organisations")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name"], name="organisation_name_unique")]

    def __str__(self) -> str:
        return self.name


class Stakeholder(models.Model):
    """A person on the stakeholder list. Consent lives in ConsentRecord, never on this row."""

    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    email = models.EmailField(_("email"), max_length=254)
    # Trimmed, NFKC-normalised, lower-cased: the identity used for dedupe and suppression.
    email_normalised = models.CharField(max_length=254, unique=True, null=True, editable=False)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="stakeholders"
    )
    organisations = models.ManyToManyField(
        Organisation, through="Membership", blank=True, related_name="stakeholders"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="stakeholders")
    preferred_language = models.CharField(max_length=20, default="en-gb")
    source = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stakeholder",
    )
    # Opaque key for signed links (preferences, unsubscribe); rotating it revokes every old link.
    link_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    # When we last asked this person to renew their consents (engage.retention); cleared when
    # they answer (any activity) or when the consents lapse.
    consent_renewal_asked_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    # Names and address in one column for the list's search: the database keeps it (so bulk
    # imports and anonymisation cannot miss it) and PostgreSQL indexes it by trigram (0006), one
    # index scan per search word instead of one per column.
    search_text = models.GeneratedField(
        expression=models.functions.Concat(
            "first_name", models.Value(" "), "last_name", models.Value(" "), "email_normalised"
        ),
        output_field=models.TextField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["last_name", "first_name", "id"], name="stakeholder_name_order"),
            models.Index(fields=["area"], name="stakeholder_area"),
        ]
        permissions = [
            ("export_stakeholder", "Can export stakeholders"),
            ("import_stakeholder", "Can import stakeholders"),
            ("erase_stakeholder", "Can erase or export a stakeholder's data"),
        ]

    def __str__(self) -> str:
        return f"stakeholder #{self.pk}"

    def save(self, *args, **kwargs):
        # One-row invariant: the normalised address always follows the address.
        self.email_normalised = normalise_email(self.email) if self.email else None
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class Membership(models.Model):
    stakeholder = models.ForeignKey(
        Stakeholder, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=150, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["stakeholder", "organisation"], name="membership_unique"
            )
        ]


class ConsentPurpose(models.Model):
    """What a consent is for; the wording shown when asking is versioned on each record."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    wording = models.TextField(help_text=_("The exact words shown when asking for this consent"))
    lawful_basis = models.CharField(
        max_length=20, choices=LawfulBasis.choices, default=LawfulBasis.CONSENT
    )
    # Mail sent under this purpose needs this consent; transactional mail has no purpose.
    is_sensitive = models.BooleanField(default=False)
    ordering = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["ordering", "name"]

    def __str__(self) -> str:
        return self.name


class ConsentRecord(models.Model):
    """Append-only ledger row. The current state per purpose is the latest row for it."""

    stakeholder = models.ForeignKey(
        Stakeholder, on_delete=models.CASCADE, related_name="consent_records"
    )
    purpose = models.ForeignKey(ConsentPurpose, on_delete=models.PROTECT, related_name="records")
    action = models.CharField(max_length=20, choices=ConsentAction.choices)
    at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=20, choices=ConsentMethod.choices)
    wording = models.TextField()
    privacy_notice_version = models.CharField(max_length=40)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    import_batch = models.ForeignKey(
        "ImportBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consent_records",
    )
    import_row = models.PositiveIntegerField(null=True, blank=True)
    evidence = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["stakeholder", "purpose", "-at", "-id"], name="consent_latest")
        ]

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValidationError("Consent records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Consent records are append-only")


class PrivacyNotice(models.Model):
    """One version of the privacy notice, its exact words kept for good: consents cite the
    version a person was shown, so a change of wording is a new version, never an edit.

    A draft (no `published_at`) may be edited; publishing it is its last change, and the latest
    published version is the current one (engage.privacy)."""

    version = models.CharField(max_length=40, unique=True)
    title = models.CharField(max_length=200)
    published_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    # Why we may hold the data at all (public task, consent, explicit consent for special
    # category data), in the words the notice used.
    lawful_basis = models.TextField()
    # [{"heading": str, "text": str}, ...]: paragraphs separated by blank lines.
    sections = models.JSONField(default=list)

    class Meta:
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.version

    def save(self, *args, **kwargs):
        if (
            self.pk is not None
            and not kwargs.get("force_insert")
            and PrivacyNotice.objects.filter(pk=self.pk, published_at__isnull=False).exists()
        ):
            raise ValidationError("A privacy notice is never edited: publish a new version")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Privacy notices are kept: consents cite them")


class Suppression(models.Model):
    """An address never to be mailed, whatever its consents say."""

    email_normalised = models.CharField(max_length=254, unique=True)
    reason = models.CharField(max_length=20, choices=SuppressionReason.choices)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]


class PendingSignup(models.Model):
    """A "join the stakeholder list" request waiting for its emailed link to be followed."""

    token = models.CharField(max_length=64, unique=True)
    email = models.EmailField()
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)


class Segment(models.Model):
    """A named, saved stakeholder filter; its members are computed live."""

    name = models.CharField(max_length=150, unique=True)
    filters = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ImportBatch(models.Model):
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    source = models.CharField(max_length=200, blank=True)
    consent_wording = models.TextField(blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    counts = models.JSONField(default=dict)


class ImportJob(models.Model):
    """One uploaded file on its way through the import steps, each run by a task off the request.

    Holds no personal data itself: the upload and the dry-run report (which do) live in the
    default storage at `file_path` and `file_path + ".report.json"`, and are deleted once the
    import is committed or after ENGAGE_IMPORT_KEEP_HOURS (`files_deleted_at` says when).
    """

    kind = models.CharField(max_length=30, default="stakeholders")
    step = models.CharField(
        max_length=10, choices=ImportJobStep.choices, default=ImportJobStep.HEADERS
    )
    state = models.CharField(
        max_length=10, choices=ImportJobState.choices, default=ImportJobState.QUEUED
    )
    file_name = models.CharField(max_length=255)
    file_path = models.CharField(max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    options = models.JSONField(default=dict, blank=True)
    headers = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(null=True, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    batch = models.OneToOneField(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="job"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    files_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "updated_at"], name="engage_importjob_state")]

    @property
    def report_path(self) -> str:
        return self.file_path + ".report.json"

    @property
    def active(self) -> bool:
        return self.state in (ImportJobState.QUEUED, ImportJobState.RUNNING)


class AuditLog(models.Model):
    """Staff actions on personal data. Holds ids and counts, never the data itself."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=30, choices=AuditAction.choices)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]


class ErasureRecord(models.Model):
    """That an erasure happened, and by whom; nothing about the person."""

    stakeholder_id = models.BigIntegerField()
    erased_at = models.DateTimeField(default=timezone.now)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=40)
    # What went, per app and kind, counts only: {"engage": {"emails": 3, ...}, "events": {...}}.
    removed = models.JSONField(default=dict, blank=True)


class OutboundEmail(models.Model):
    """Every engagement or account email, persisted before it is sent: the one outbound path."""

    stakeholder = models.ForeignKey(
        Stakeholder, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    to_email = models.EmailField()
    # Null purpose means transactional (account codes, registration confirmations).
    purpose = models.ForeignKey(
        ConsentPurpose, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    template = models.CharField(max_length=120)
    context = models.JSONField(default=dict, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    calendar = models.TextField(blank=True, help_text=_("iCalendar text, attached when present"))
    calendar_method = models.CharField(max_length=10, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    # Makes a send idempotent across retries, e.g. "invite:<campaign>:<stakeholder>".
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=EmailStatus.choices, default=EmailStatus.QUEUED, db_index=True
    )
    esp_message_id = models.CharField(max_length=200, blank=True, db_index=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(default=timezone.now)
    # When a worker last claimed the row (status sending); a stale claim means the worker died.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Set when the broker could not take the row's send task (it was away at commit); the
    # reconcile sweep (beat, every minute) queues it again and clears this.
    owed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When retention removed its stored subject, bodies and merge values (engage.retention).
    contents_removed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [
            # Erasure and subject access find the emails sent to an address before it had a
            # stakeholder (sign-in and registration codes) by `to_email__iexact`, which
            # PostgreSQL compiles to UPPER(to_email): this index answers it without a scan.
            models.Index(Upper("to_email"), name="outboundemail_to_upper"),
        ]


class EmailEvent(models.Model):
    """An ESP tracking event; the unique event id makes a duplicate webhook harmless."""

    email = models.ForeignKey(
        OutboundEmail, null=True, on_delete=models.CASCADE, related_name="events"
    )
    event_id = models.CharField(max_length=200, unique=True)
    event_type = models.CharField(max_length=40)
    at = models.DateTimeField(default=timezone.now)
    detail = models.JSONField(default=dict, blank=True)


class WorkerHeartbeat(models.Model):
    """When a Celery worker last ran the heartbeat task (beat queues it every minute)."""

    name = models.CharField(max_length=100, unique=True)
    last_seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
