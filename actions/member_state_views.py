from django.shortcuts import get_object_or_404, redirect, render

from countries.models import MemberState

from .models import Plan
from .queries import member_states_with_first_plan


def member_state_list(request):
    member_states = member_states_with_first_plan()
    return render(request, "countries/memberstate_list.html", {"member_states": member_states})


def member_state_detail(request, code):
    if code != code.upper():
        return redirect("countries:member_state_detail", code=code.upper(), permanent=True)
    state = get_object_or_404(MemberState, code=code)
    plans = Plan.objects.with_reporting_by(state).order_by("start_year")
    return render(request, "countries/memberstate_detail.html", {"state": state, "plans": plans})
