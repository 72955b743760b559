"""A URLconf with a home page but no national workspace."""

from django.urls import path


def home(request):
    raise AssertionError("not called")


urlpatterns = [path("", home, name="home")]
