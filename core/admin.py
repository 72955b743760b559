from django.contrib import admin


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """A record the admin site only shows: it is written by the services, with its history."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
