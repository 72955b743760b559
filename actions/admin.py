from django.contrib import admin

from .models import (
    ActionItem,
    Body,
    ContinuityLink,
    FocusArea,
    NationalStatus,
    Plan,
    ReferenceChange,
    StatusHistory,
)


@admin.register(Body)
class BodyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]


class FocusAreaInline(admin.TabularInline):
    model = FocusArea
    extra = 0
    fields = ["number", "title", "provenance"]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["short_title", "code", "start_year", "end_year", "status", "provenance"]
    list_filter = ["status", "provenance"]
    search_fields = ["code", "title", "short_title"]
    inlines = [FocusAreaInline]


@admin.register(FocusArea)
class FocusAreaAdmin(admin.ModelAdmin):
    list_display = ["__str__", "plan", "provenance"]
    list_filter = ["plan", "provenance"]
    search_fields = ["title", "description"]
    list_select_related = ["plan"]


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "plan", "focus_area", "level", "provenance"]
    list_filter = ["plan", "focus_area", "level", "provenance", "lead_bodies"]
    search_fields = ["code", "title", "description", "indicator"]
    list_select_related = ["plan", "focus_area"]
    filter_horizontal = ["lead_bodies", "supporting_bodies"]


@admin.register(ContinuityLink)
class ContinuityLinkAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "provenance"]
    list_filter = ["kind", "provenance", "from_item__plan", "to_item__plan"]
    search_fields = ["from_item__code", "from_item__title", "to_item__code", "to_item__title"]
    list_select_related = ["from_item", "to_item"]
    raw_id_fields = ["from_item", "to_item"]


@admin.register(NationalStatus)
class NationalStatusAdmin(admin.ModelAdmin):
    list_display = ["member_state", "action_item", "status", "progress", "updated_at"]
    list_filter = ["status", "member_state", "action_item__plan"]
    search_fields = ["action_item__code", "action_item__title", "narrative"]
    list_select_related = ["member_state", "action_item"]

    # Statuses change only through the service that writes history; the admin only reads.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyHistoryAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StatusHistory)
class StatusHistoryAdmin(ReadOnlyHistoryAdmin):
    list_display = ["national_status", "version", "changed_at", "changed_by"]
    list_filter = ["national_status__member_state"]
    list_select_related = ["national_status__member_state", "national_status__action_item"]


@admin.register(ReferenceChange)
class ReferenceChangeAdmin(ReadOnlyHistoryAdmin):
    list_display = ["changed_at", "object_type", "object_key", "action", "source", "changed_by"]
    list_filter = ["object_type", "action"]
    search_fields = ["object_key", "source"]
