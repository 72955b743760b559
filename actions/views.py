from django.shortcuts import get_object_or_404, render

from .models import ActionItem, Plan


def plan_list(request):
    plans = Plan.objects.with_counts()
    return render(request, "actions/plan_list.html", {"plans": plans})


def plan_detail(request, plan_code):
    plan = get_object_or_404(Plan, code=plan_code)
    return render(request, "actions/plan_detail.html", {"plan": plan})


def action_item_detail(request, plan_code, item_code):
    item = get_object_or_404(ActionItem, plan__code=plan_code, code=item_code)
    return render(request, "actions/actionitem_detail.html", {"item": item})
