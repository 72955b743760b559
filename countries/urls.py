from django.urls import path

from . import views

app_name = "countries"

urlpatterns = [
    path("", views.member_state_list, name="member_state_list"),
    path("<str:code>/", views.member_state_detail, name="member_state_detail"),
]
