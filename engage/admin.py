"""The admin, for administrators: reference data is editable; ledgers and logs are read-only."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from engage.models import (
    Area,
    AuditLog,
    ConsentPurpose,
    ConsentRecord,
    EmailEvent,
    ErasureRecord,
    ImportBatch,
    Organisation,
    OutboundEmail,
    Segment,
    Stakeholder,
    Suppression,
    Tag,
    User,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that must never be changed by hand (append-only ledgers, logs, sent mail)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code", "population", "population_source"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "type"]
    list_filter = ["type"]
    search_fields = ["name"]
    filter_horizontal = ["areas"]


@admin.register(Stakeholder)
class StakeholderAdmin(admin.ModelAdmin):
    list_display = ["__str__", "area", "created_at", "anonymised_at"]
    list_filter = ["area"]
    search_fields = ["email_normalised", "last_name"]
    raw_id_fields = ["user"]
    readonly_fields = ["email_normalised", "link_key", "anonymised_at"]
    list_select_related = ["area"]


@admin.register(ConsentPurpose)
class ConsentPurposeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "lawful_basis", "is_sensitive", "active", "ordering"]
    list_filter = ["active", "lawful_basis"]


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin):
    list_display = ["stakeholder", "purpose", "action", "method", "at"]
    list_filter = ["purpose", "action", "method"]
    list_select_related = ["stakeholder", "purpose"]


@admin.register(Suppression)
class SuppressionAdmin(ReadOnlyAdmin):
    list_display = ["email_normalised", "reason", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email_normalised"]


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    readonly_fields = ["created_by"]


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = ["file_name", "source", "created_at"]


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    list_select_related = ["actor"]


@admin.register(ErasureRecord)
class ErasureRecordAdmin(ReadOnlyAdmin):
    list_display = ["stakeholder_id", "erased_at", "reason"]


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    list_display = ["queued_at", "template", "status", "attempts", "sent_at"]
    list_filter = ["status", "template"]
    exclude = ["body_text", "body_html", "calendar", "context"]


@admin.register(EmailEvent)
class EmailEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "event_type", "email"]
    list_filter = ["event_type"]
    raw_id_fields = ["email"]
