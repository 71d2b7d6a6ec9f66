"""Responses owed: who answers what people said (an Owner), what they sent back through their
signed link (OwnerReply) and every change to a response, with who made it (ResponseEvent).

Personal data: an Owner is a team or partner organisation, but its named contact (name and email)
is a person. feedback.rights matches contacts to a stakeholder by email for subject access and
erasure, and blanks contacts of owners nobody has used for the retention period. Replies and
history speak for the organisation and keep no contact details of their own.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback.enums import ReplyDecision, ReplyKind, ResponseAction


class Owner(models.Model):
    """A team or partner organisation that answers for what people raised. No account: the
    contact is emailed a signed link per item."""

    name = models.CharField(_("team or organisation"), max_length=200)
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class OwnerReply(models.Model):
    """What an owner sent through their link: a response, a reason to decline, or a request for
    more time. Nothing reaches the public until the engagement team approves it."""

    response = models.ForeignKey(
        "feedback.Response", on_delete=models.CASCADE, related_name="replies"
    )
    owner = models.ForeignKey(Owner, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=20, choices=ReplyKind.choices)
    text = models.TextField()
    proposed_due = models.DateField(null=True, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    decision = models.CharField(
        max_length=20, choices=ReplyDecision.choices, default=ReplyDecision.PENDING
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["submitted_at", "id"]


class ResponseEvent(models.Model):
    """One change to a response: what, when, by whom (a staff user, or the owner through their
    link), and the status and due date after it. Written in the transaction of the change."""

    response = models.ForeignKey(
        "feedback.Response", on_delete=models.CASCADE, related_name="history"
    )
    action = models.CharField(max_length=30, choices=ResponseAction.choices)
    at = models.DateTimeField(default=timezone.now)
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_owner = models.ForeignKey(
        Owner, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20)
    due_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def who(self) -> str:
        if self.by_owner_id:
            return str(self.by_owner)
        if self.by_user_id:
            return self.by_user.get_full_name() or self.by_user.get_username()
        return ""
