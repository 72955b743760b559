from django.urls import path

from . import views

# Joined to the summaries' routes, in their `summaries` namespace (rpa_tracker/urls.py).
urlpatterns = [
    path("preferences/", views.digest_preferences, name="preferences"),
]
