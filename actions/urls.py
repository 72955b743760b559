from django.urls import path, register_converter

from . import views


class ItemCodeConverter:
    """An action item's code as written in the plan, e.g. 1.2 or R-3.1a."""

    regex = r"[A-Za-z0-9][A-Za-z0-9._-]{0,19}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ItemCodeConverter, "item_code")

app_name = "actions"

urlpatterns = [
    path("", views.plan_list, name="plan_list"),
    path("<slug:plan_code>/", views.plan_detail, name="plan_detail"),
    path(
        "<slug:plan_code>/actions/<item_code:item_code>/",
        views.action_item_detail,
        name="action_item_detail",
    ),
]
