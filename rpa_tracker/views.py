from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from actions.models import Plan
from actions.queries import member_states_with_first_plan
from core.committed import committed_change


def home(request):
    plans = Plan.objects.for_listing().order_by("-start_year")
    member_states = member_states_with_first_plan()
    return render(request, "home.html", {"plans": plans, "member_states": member_states})


def server_error(request):
    """The 500 page, rendered without the database; it says so when a change was committed."""
    page = loader.get_template("500.html").render({"saved": committed_change(request)})
    return HttpResponseServerError(page)
