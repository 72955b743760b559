from django.urls import path

from . import evidence_views

app_name = "national"

urlpatterns = [
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
