"""The action plan: chapters of numbered commitments, and the quarterly updates that rate them.

A commitment's text can be reworded; every update keeps the wording it was written against
(`CommitmentUpdate.wording`), so the timeline shows what was promised at each moment. An update
round is opened by the team (one open round per plan, a database constraint), collects one
update per commitment and is published as a whole; a published update is never edited in place
(feedback.services.plan refuses, and the public timeline reads only published rounds).

The rating scale (G, LG, A, R in the seeds) is rows, so its codes, labels and meanings can be
changed by an administrator without a release. No personal data here: an owner contact is an
Owner (feedback.models.responses), which joins the rights registry.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Rating(models.Model):
    """One step of the rating scale. `complete` marks the step that means done."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    label = models.CharField(_("label"), max_length=80)
    meaning = models.CharField(_("meaning"), max_length=200, blank=True)
    complete = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.code}: {self.label}"


class ActionPlan(models.Model):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    series = models.ForeignKey(
        "events.Series", null=True, blank=True, on_delete=models.SET_NULL, related_name="plans"
    )
    summary = models.TextField(_("summary"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("feedback:plan", kwargs={"slug": self.slug})


class Chapter(models.Model):
    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="chapters")
    number = models.CharField(_("number"), max_length=10)
    title = models.CharField(_("title"), max_length=200)

    class Meta:
        ordering = ["plan", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="chapter_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class Commitment(models.Model):
    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="commitments")
    chapter = models.ForeignKey(Chapter, on_delete=models.PROTECT, related_name="commitments")
    number = models.CharField(_("number"), max_length=20)
    text = models.TextField(_("commitment"))
    lead_organisation = models.CharField(_("lead organisation"), max_length=200, blank=True)
    owner = models.ForeignKey(
        "feedback.Owner",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commitments",
    )
    order = models.PositiveIntegerField(default=0)
    themes = models.ManyToManyField("feedback.Theme", blank=True, related_name="commitments")
    responses = models.ManyToManyField("feedback.Response", blank=True, related_name="commitments")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="commitment_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.text[:60]}"

    def get_absolute_url(self) -> str:
        return reverse(
            "feedback:commitment", kwargs={"slug": self.plan.slug, "number": self.number}
        )


class UpdateRound(models.Model):
    """A quarter's updates. Open until published; one open round per plan."""

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="rounds")
    title = models.CharField(_("title"), max_length=100, help_text=_("For example: 2021/22 Q2"))
    period_end = models.DateField(_("quarter ends"))
    due_on = models.DateField(_("updates due"), null=True, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # {"<commitment id>": [stage, ...]}: the reminders and escalations sent for updates still
    # missing in this round (feedback.reminders), read and written under the round's row lock.
    reminders_sent = models.JSONField(default=dict, blank=True)
    # When the people who consented were told the round is published (feedback.notifications),
    # set under the round's row lock so the notice goes once.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["period_end", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan"], condition=Q(published_at__isnull=True), name="one_open_round"
            ),
            models.UniqueConstraint(fields=["plan", "title"], name="round_title_unique"),
        ]

    def __str__(self) -> str:
        return self.title


class CommitmentUpdate(models.Model):
    """One commitment's status in one round: text, rating, the wording it was written against,
    who wrote it and when. Drafts may change until the round is published; then never."""

    round = models.ForeignKey(UpdateRound, on_delete=models.CASCADE, related_name="updates")
    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="updates")
    status_text = models.TextField(_("status update"))
    rating = models.ForeignKey(Rating, on_delete=models.PROTECT, related_name="+")
    wording = models.TextField()
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_owner = models.ForeignKey(
        "feedback.Owner", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    written_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["round__period_end", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "commitment"], name="one_update_per_round")
        ]
