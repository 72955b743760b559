from django.shortcuts import get_object_or_404, render

from countries.models import MemberState

from .models import ActionItem, Plan


def plan_list(request):
    plans = Plan.objects.for_listing()
    return render(request, "actions/plan_list.html", {"plans": plans})


def plan_detail(request, plan_code):
    plan = get_object_or_404(Plan.objects.for_detail(), code=plan_code)
    member_states = MemberState.objects.with_reporting_in(plan)
    return render(
        request, "actions/plan_detail.html", {"plan": plan, "member_states": member_states}
    )


def action_item_detail(request, plan_code, item_code):
    item = get_object_or_404(ActionItem.objects.for_detail(), plan__code=plan_code, code=item_code)
    return render(request, "actions/actionitem_detail.html", {"item": item})
