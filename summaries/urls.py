from django.urls import path

from . import views

app_name = "summaries"

urlpatterns = [
    path("", views.summary_list, name="list"),
    path("<int:pk>/", views.summary_detail, name="detail"),
    path("<int:pk>/csv/", views.summary_csv, name="csv"),
]
