from django.urls import path

from . import documents, views

app_name = "reviews"

report = "rounds/<int:round_id>/states/<str:code>/"

urlpatterns = [
    path("home/", views.home, name="home"),
    path("rounds/", views.round_list, name="round_list"),
    path("rounds/new/", views.round_create, name="round_create"),
    path("rounds/<int:round_id>/compliance/", views.compliance, name="round_compliance"),
    path("compliance/", views.compliance, name="compliance"),
    path("report/", views.my_report, name="my_report"),
    path(report, views.report_detail, name="report_detail"),
    path(f"{report}check/", views.report_check, name="report_check"),
    path(f"{report}pdf/", documents.report_pdf, name="report_pdf"),
    path(f"{report}submit/", views.report_submit, name="report_submit"),
    path(f"{report}return/", views.report_return, name="report_return"),
    path(f"{report}accept/", views.report_accept, name="report_accept"),
    path(f"{report}reopen/", views.report_reopen, name="report_reopen"),
    path(f"{report}comments/", views.comment_add, name="comment_add"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read/", views.notification_read_all, name="notification_read_all"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
    path("evidence/<int:pk>/review/", views.evidence_review, name="evidence_review"),
]
