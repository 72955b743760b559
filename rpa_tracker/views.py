from django.shortcuts import render

from actions.models import Plan
from actions.queries import member_states_with_first_plan


def home(request):
    plans = Plan.objects.for_listing().order_by("-start_year")
    member_states = member_states_with_first_plan()
    return render(request, "home.html", {"plans": plans, "member_states": member_states})
