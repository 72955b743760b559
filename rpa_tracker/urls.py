from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("plans/", include("actions.urls")),
    path("member-states/", include("countries.urls")),
    path("national/", include("actions.national_urls")),
    path("review/", include("reviews.urls")),
    path("reports/", include("reports.urls")),
    path("summaries/", include("reports.summary_urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
]
