from django.shortcuts import get_object_or_404, render

from .models import MemberState


def member_state_list(request):
    return render(
        request, "countries/memberstate_list.html", {"member_states": MemberState.objects.all()}
    )


def member_state_detail(request, code):
    state = get_object_or_404(MemberState, code=code.upper())
    return render(request, "countries/memberstate_detail.html", {"state": state})
