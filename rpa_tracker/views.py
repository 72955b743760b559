from django.shortcuts import render

from actions.models import Plan
from countries.models import MemberState


def home(request):
    plans = Plan.objects.with_counts().order_by("-start_year")
    member_states = MemberState.objects.all()
    return render(request, "home.html", {"plans": plans, "member_states": member_states})
