"""The regional view's pages under /reports/, in the `reports` namespace together with their
downloads (`downloads.urls`): rpa_tracker/urls.py puts both together."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="index"),
    path("plans/<slug:plan_code>/", views.plan_dashboard, name="plan_dashboard"),
    path("states/<str:code>/", views.state_profile, name="state_profile"),
    path("items/<int:item_id>/", views.item_across_states, name="item_across_states"),
    path("statuses/", views.status_list, name="statuses"),
    path("history/", views.history_list, name="history"),
    path("evidence/", views.evidence_list, name="evidence"),
]
