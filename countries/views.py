from django.shortcuts import get_object_or_404, redirect, render

from actions.models import Plan

from .models import MemberState


def member_state_list(request):
    member_states = MemberState.objects.with_first_plan()
    return render(request, "countries/memberstate_list.html", {"member_states": member_states})


def member_state_detail(request, code):
    if code != code.upper():
        return redirect("countries:member_state_detail", code=code.upper(), permanent=True)
    state = get_object_or_404(MemberState, code=code)
    plans = Plan.objects.with_reporting_by(state).order_by("start_year")
    return render(request, "countries/memberstate_detail.html", {"state": state, "plans": plans})
