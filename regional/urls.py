from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("plans/<slug:plan_code>/", views.plan_dashboard, name="plan_dashboard"),
    path("plans/<slug:plan_code>/matrix/csv/", views.plan_matrix_csv, name="plan_matrix_csv"),
    path("states/<str:code>/", views.state_profile, name="state_profile"),
    path("items/<int:item_id>/", views.item_across_states, name="item_across_states"),
    path("statuses/", views.status_list, name="statuses"),
    path("statuses/csv/", views.status_csv, name="statuses_csv"),
    path("history/", views.history_list, name="history"),
    path("history/csv/", views.history_csv, name="history_csv"),
    path("evidence/", views.evidence_list, name="evidence"),
    path("evidence/csv/", views.evidence_csv, name="evidence_csv"),
    path(
        "rounds/<int:round_id>/states/<str:code>/csv/",
        views.round_report_csv,
        name="round_report_csv",
    ),
]
