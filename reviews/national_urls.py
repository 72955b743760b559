from django.urls import path

from actions import evidence_views, import_views
from actions import national_views as views

from . import workspace_views

app_name = "national"

urlpatterns = [
    path("", workspace_views.workspace, name="workspace"),
    path("plans/<slug:plan_code>/", workspace_views.plan_workspace, name="plan_workspace"),
    path("items/<int:item_id>/", workspace_views.status_detail, name="status_detail"),
    path("items/<int:item_id>/edit/", views.status_edit, name="status_edit"),
    path("items/<int:item_id>/history/", views.status_history, name="status_history"),
    path("import/", import_views.status_import, name="status_import"),
    path("import/confirm/", import_views.status_import_confirm, name="status_import_confirm"),
    path("states/<str:code>/", workspace_views.state_workspace, name="state_workspace"),
    path(
        "states/<str:code>/plans/<slug:plan_code>/",
        workspace_views.state_workspace,
        name="state_plan_workspace",
    ),
    path(
        "states/<str:code>/items/<int:item_id>/",
        workspace_views.status_detail,
        name="state_status_detail",
    ),
    path(
        "states/<str:code>/items/<int:item_id>/history/",
        views.status_history,
        name="state_status_history",
    ),
    path(
        "items/<int:item_id>/evidence/link/",
        evidence_views.evidence_link_add,
        name="evidence_link_add",
    ),
    path(
        "items/<int:item_id>/evidence/file/",
        evidence_views.evidence_file_add,
        name="evidence_file_add",
    ),
    path("evidence/<int:pk>/download/", evidence_views.evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/withdraw/", evidence_views.evidence_withdraw, name="evidence_withdraw"),
]
