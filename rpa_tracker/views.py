from django.shortcuts import render

from actions.models import Plan
from countries.models import MemberState


def home(request):
    plans = Plan.objects.for_listing().order_by("-start_year")
    member_states = MemberState.objects.with_first_plan()
    return render(request, "home.html", {"plans": plans, "member_states": member_states})
