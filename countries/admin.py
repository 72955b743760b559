from django.contrib import admin

from actions.admin import RecordsReferenceChanges

from .models import MemberState


@admin.register(MemberState)
class MemberStateAdmin(RecordsReferenceChanges, admin.ModelAdmin):
    list_display = ["name", "code", "iso_alpha3", "iso_numeric", "member_since", "reports_from"]
    search_fields = ["name", "code", "iso_alpha3"]
    list_filter = ["reports_from"]
