from django.contrib import admin
from django.urls import include, path

from accounts.views import admin_login
from downloads import urls as download_urls
from mailings import urls as mailing_urls
from regional import urls as regional_urls
from summaries import urls as summary_urls

from . import views

# The admin site signs in through the site's own login page: throttled, and asking for the
# two-factor code; its own page would skip both.
admin.site.login = admin_login

handler500 = "rpa_tracker.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("plans/", include("actions.urls")),
    path("member-states/", include("actions.member_state_urls")),
    path("national/", include("reviews.national_urls")),
    path("review/", include("reviews.urls")),
    # The regional view's pages and their downloads share the `reports` namespace.
    path(
        "reports/",
        include((regional_urls.urlpatterns + download_urls.urlpatterns, "reports")),
    ),
    # The summaries' pages and the digest preferences share the `summaries` namespace.
    path(
        "summaries/",
        include((summary_urls.urlpatterns + mailing_urls.urlpatterns, "summaries")),
    ),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
]
