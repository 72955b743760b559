from django.contrib import admin

from core.admin import ReadOnlyModelAdmin

from .models import (
    Comment,
    CountryReport,
    ReportingRound,
    ReportTransition,
    Submission,
)


@admin.register(ReportingRound)
class ReportingRoundAdmin(admin.ModelAdmin):
    list_display = ["name", "plan", "opens_on", "due_on", "closes_on", "created_by"]
    list_filter = ["plan"]
    search_fields = ["name"]
    list_select_related = ["plan", "created_by"]
    fields = ["plan", "name", "opens_on", "due_on", "closes_on", *ReportingRound.BLOCKING_FIELDS]
    date_hierarchy = "opens_on"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


# Reports, their moves, submissions and comments change only through reviews.services.


@admin.register(CountryReport)
class CountryReportAdmin(ReadOnlyModelAdmin):
    list_display = ["member_state", "round", "state", "updated_at"]
    list_filter = ["state", "round", "member_state"]
    list_select_related = ["member_state", "round__plan"]


@admin.register(ReportTransition)
class ReportTransitionAdmin(ReadOnlyModelAdmin):
    list_display = ["report", "from_state", "to_state", "by", "at"]
    list_filter = ["to_state", "report__round"]
    list_select_related = ["report__member_state", "report__round__plan", "by"]


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyModelAdmin):
    list_display = ["report", "number", "submitted_by", "submitted_at", "accepted_at"]
    list_filter = ["report__round", "report__member_state"]
    list_select_related = ["report__member_state", "report__round__plan", "submitted_by"]


@admin.register(Comment)
class CommentAdmin(ReadOnlyModelAdmin):
    list_display = ["report", "action_item", "author", "created_at"]
    list_filter = ["report__round", "report__member_state"]
    search_fields = ["body"]
    list_select_related = ["report__member_state", "report__round__plan", "action_item", "author"]
