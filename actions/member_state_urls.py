from django.urls import path, re_path

from . import member_state_views as views

app_name = "countries"

urlpatterns = [
    path("", views.member_state_list, name="member_state_list"),
    # ISO alpha-2 in either case; lower case redirects to the canonical upper case.
    re_path(r"^(?P<code>[A-Za-z]{2})/$", views.member_state_detail, name="member_state_detail"),
]
