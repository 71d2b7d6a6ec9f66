"""Admin for what administrators configure in feedback: the action plan's rating scale."""

from django.contrib import admin

from feedback.models import Rating


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ("code", "label", "meaning", "complete", "order")
    ordering = ("order", "id")
