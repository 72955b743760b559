from django.contrib import admin
from django.urls import include, path

from accounts.views import admin_login

from . import views

# The admin site signs in through the site's own login page: throttled, and asking for the
# two-factor code; its own page would skip both.
admin.site.login = admin_login

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
