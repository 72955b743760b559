from django.urls import path

from . import views

app_name = "actions"

urlpatterns = [
    path("", views.plan_list, name="plan_list"),
    path("<slug:plan_code>/", views.plan_detail, name="plan_detail"),
    path(
        "<slug:plan_code>/actions/<str:item_code>/",
        views.action_item_detail,
        name="action_item_detail",
    ),
]
