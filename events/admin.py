"""The admin, for administrators. Day-to-day meeting work happens on the staff pages
(/staff/meetings/), whose services keep capacity, calendar sequence and emails right; here the
fields that those rules guard are read-only."""

from django.contrib import admin

from events.models import (
    AreaReservation,
    Campaign,
    DiscussionQuestion,
    Document,
    Invitation,
    Meeting,
    PanelQuestion,
    Registration,
    Series,
    Session,
)


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class SessionInline(admin.TabularInline):
    model = Session
    extra = 0
    fields = ["kind", "title", "start", "end", "room", "capacity", "order"]
    show_change_link = True


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["title", "start", "status", "format", "capacity"]
    list_filter = ["status", "format", "series"]
    search_fields = ["title"]
    date_hierarchy = "start"
    readonly_fields = ["status", "capacity", "ical_uid", "ical_sequence"]
    inlines = [SessionInline]
    list_select_related = ["series"]


class DiscussionQuestionInline(admin.TabularInline):
    model = DiscussionQuestion
    extra = 0


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["title", "meeting", "kind", "start", "capacity"]
    list_filter = ["kind"]
    filter_horizontal = ["facilitators"]
    inlines = [DiscussionQuestionInline]
    list_select_related = ["meeting"]


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "meeting", "publish_at"]
    list_select_related = ["meeting"]


@admin.register(AreaReservation)
class AreaReservationAdmin(admin.ModelAdmin):
    list_display = ["meeting", "area", "places", "release_at"]
    list_select_related = ["meeting", "area"]


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["id", "meeting", "status", "waitlist_position", "attended_at"]
    list_filter = ["status", "meeting"]
    raw_id_fields = ["stakeholder", "breakout", "area"]
    # Places, positions and offers change only through the registration services (locks).
    readonly_fields = ["status", "waitlist_position", "offered_at", "offer_expires_at", "token"]
    exclude = ["access_requirements", "breakout_preferences"]
    list_select_related = ["meeting"]


@admin.register(PanelQuestion)
class PanelQuestionAdmin(admin.ModelAdmin):
    list_display = ["meeting", "status", "group", "submitted_at"]
    list_filter = ["status"]
    raw_id_fields = ["registration"]
    list_select_related = ["meeting"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["subject", "meeting", "status", "created_at"]
    list_filter = ["status"]
    readonly_fields = ["status", "started_at"]
    list_select_related = ["meeting"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["campaign", "stakeholder", "created_at"]
    raw_id_fields = ["campaign", "stakeholder", "email"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
