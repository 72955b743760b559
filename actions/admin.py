from django.contrib import admin
from django.db import transaction
from django.utils import timezone

from core.admin import ReadOnlyModelAdmin
from countries.models import MemberState

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


def reference_key(obj):
    """The natural key the loader uses too, e.g. rpa-2021-2025/1.2."""
    if isinstance(obj, FocusArea):
        return f"{obj.plan.code}/{obj.number}"
    if isinstance(obj, ActionItem):
        return f"{obj.plan.code}/{obj.code}"
    if isinstance(obj, ContinuityLink):
        ends = [f"{i.plan.code}/{i.code}" if i else "—" for i in (obj.from_item, obj.to_item)]
        return " → ".join(ends)
    return getattr(obj, "code", None) or str(obj)


def as_json(value):
    if value is None or isinstance(value, bool | int | str):
        return value
    if hasattr(value, "__iter__") and not hasattr(value, "pk"):
        return sorted(str(item) for item in value)
    return str(value)


def field_value(obj, name):
    if obj is None:
        return None
    value = getattr(obj, name)
    return as_json(value.all() if hasattr(value, "all") else value)


class RecordsReferenceChanges:
    """Edits of reference data in the admin are recorded like the loader's, old and new."""

    def save_model(self, request, obj, form, change):
        before = type(obj).objects.get(pk=obj.pk) if change else None
        changes = {
            name: [field_value(before, name), as_json(form.cleaned_data.get(name))]
            for name in form.changed_data
        }
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if changes or not change:
                self._record(request, obj, "updated" if change else "created", changes)

    def delete_model(self, request, obj):
        key = reference_key(obj)
        with transaction.atomic():
            super().delete_model(request, obj)
            self._record(request, obj, "deleted", {}, key=key)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def _record(self, request, obj, action, changes, key=None):
        ReferenceChange.objects.create(
            changed_at=timezone.now(),
            changed_by=request.user,
            source="admin site",
            object_type=str(obj._meta.verbose_name),
            object_key=(key or reference_key(obj))[:200],
            action=action,
            changes=changes,
        )


@admin.register(Body)
class BodyAdmin(RecordsReferenceChanges, admin.ModelAdmin):
    list_display = ["code", "name", "kind"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]


class FocusAreaInline(admin.TabularInline):
    model = FocusArea
    extra = 0
    fields = ["number", "title", "provenance"]


@admin.register(Plan)
class PlanAdmin(RecordsReferenceChanges, admin.ModelAdmin):
    list_display = ["short_title", "code", "start_year", "end_year", "status", "provenance"]
    list_filter = ["status", "provenance"]
    search_fields = ["code", "title", "short_title"]
    inlines = [FocusAreaInline]


@admin.register(FocusArea)
class FocusAreaAdmin(RecordsReferenceChanges, admin.ModelAdmin):
    list_display = ["__str__", "plan", "provenance"]
    list_filter = ["plan", "provenance"]
    search_fields = ["title", "description"]
    list_select_related = ["plan"]


@admin.register(ActionItem)
class ActionItemAdmin(RecordsReferenceChanges, admin.ModelAdmin):
    list_display = ["code", "title", "plan", "focus_area", "level", "provenance"]
    list_filter = ["plan", "focus_area", "level", "provenance", "lead_bodies"]
    search_fields = ["code", "title", "description", "indicator"]
    list_select_related = ["plan", "focus_area"]
    filter_horizontal = ["lead_bodies", "supporting_bodies"]


@admin.register(ContinuityLink)
class ContinuityLinkAdmin(RecordsReferenceChanges, admin.ModelAdmin):
    list_display = ["__str__", "kind", "provenance"]
    list_filter = ["kind", "provenance", "from_item__plan", "to_item__plan"]
    search_fields = ["from_item__code", "from_item__title", "to_item__code", "to_item__title"]
    list_select_related = ["from_item", "to_item"]
    raw_id_fields = ["from_item", "to_item"]


@admin.register(NationalStatus)
class NationalStatusAdmin(ReadOnlyModelAdmin):
    """Statuses change only through the service that writes their history."""

    list_display = ["member_state", "action_item", "status", "progress", "updated_at"]
    list_filter = ["status", "member_state", "action_item__plan"]
    search_fields = ["action_item__code", "action_item__title", "narrative"]
    list_select_related = ["member_state", "action_item"]


@admin.register(StatusHistory)
class StatusHistoryAdmin(ReadOnlyModelAdmin):
    list_display = ["national_status", "version", "changed_at", "changed_by"]
    list_filter = ["national_status__member_state"]
    list_select_related = ["national_status__member_state", "national_status__action_item"]


@admin.register(ReferenceChange)
class ReferenceChangeAdmin(ReadOnlyModelAdmin):
    list_display = ["changed_at", "object_type", "object_key", "action", "source", "changed_by"]
    list_filter = ["object_type", "action"]
    search_fields = ["object_key", "source"]


# Member states are reference data too: their edits go to the same reference-change history.
@admin.register(MemberState)
class MemberStateAdmin(RecordsReferenceChanges, admin.ModelAdmin):
    list_display = ["name", "code", "iso_alpha3", "iso_numeric", "member_since", "reports_from"]
    search_fields = ["name", "code", "iso_alpha3"]
    list_filter = ["reports_from"]
