"""The download routes under /reports/, in the `reports` namespace with the regional view's
pages (rpa_tracker/urls.py puts both together): each page's files sit beside it."""

from django.urls import path

from . import views

XLSX = {"fmt": "xlsx"}

urlpatterns = [
    path("plans/<slug:plan_code>/matrix/csv/", views.plan_matrix_csv, name="plan_matrix_csv"),
    path(
        "plans/<slug:plan_code>/matrix/xlsx/",
        views.plan_matrix_csv,
        XLSX,
        name="plan_matrix_xlsx",
    ),
    path("plans/<slug:plan_code>/brief.pdf", views.plan_brief_pdf, name="plan_brief_pdf"),
    path("statuses/csv/", views.status_csv, name="statuses_csv"),
    path("statuses/xlsx/", views.status_csv, XLSX, name="statuses_xlsx"),
    path("history/csv/", views.history_csv, name="history_csv"),
    path("history/xlsx/", views.history_csv, XLSX, name="history_xlsx"),
    path("evidence/csv/", views.evidence_csv, name="evidence_csv"),
    path("evidence/xlsx/", views.evidence_csv, XLSX, name="evidence_xlsx"),
    path(
        "rounds/<int:round_id>/states/<str:code>/csv/",
        views.round_report_csv,
        name="round_report_csv",
    ),
    path(
        "rounds/<int:round_id>/states/<str:code>/xlsx/",
        views.round_report_csv,
        XLSX,
        name="round_report_xlsx",
    ),
    path("update-file/csv/", views.update_file, name="update_file_csv"),
    path("update-file/xlsx/", views.update_file, XLSX, name="update_file_xlsx"),
    path("downloads/", views.downloads_help, name="downloads_help"),
]
