"""Digests: the period's final progress summaries by e-mail, to those who choose them.

Reviewers and the secretariat get the region's summary, a state's coordinator and focal
points the state's, unless they turned it off on the preferences page; anyone may turn on
the region's. Each person gets each summary once.
"""

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse

from accounts.models import User
from accounts.policy import digest_on_by_default, digest_scopes
from accounts.services import absolute_url
from summaries.models import DigestKind, DigestPreference, ProgressSummary
from summaries.summaries import local_today, period_before

from .mailing import Kind, Mail, deliver


def with_digest_choices(users):
    """Annotate `region_choice` and `state_choice`: True/False as chosen, None: no choice."""
    choices = {
        f"{kind}_choice": Subquery(
            DigestPreference.objects.filter(user=OuterRef("pk"), kind=kind).values("enabled")[:1]
        )
        for kind in DigestKind.values
    }
    return users.annotate(**choices)


def wants(user, kind):
    """Whether `user` (annotated by `with_digest_choices`) receives digests of `kind`."""
    if kind not in digest_scopes(user):
        return False
    choice = getattr(user, f"{kind}_choice")
    return digest_on_by_default(user, kind) if choice is None else choice


def digest_mails(summaries, users):
    """The e-mails of `summaries` to those of `users` who want them."""
    mails = []
    for summary in summaries:
        context = {
            "summary": summary,
            "link": absolute_url(reverse("summaries:detail", args=[summary.pk])),
            "preferences_link": absolute_url(reverse("summaries:preferences")),
        }
        subject = f"RPA Tracker: {summary.scope_name}, {summary.plan}, {summary.period_label}"
        for user in users:
            if summary.is_regional:
                wanted = wants(user, DigestKind.REGION)
            else:
                wanted = user.member_state_id == summary.member_state_id and wants(
                    user, DigestKind.STATE
                )
            if wanted:
                mails.append(
                    Mail(
                        recipient=user,
                        kind=Kind.DIGEST,
                        key=f"summary:{summary.pk}",
                        subject=subject,
                        template="digest",
                        context={**context, "figures": summary.figures_for(user)},
                    )
                )
    return mails


def send_digests(*, today=None):
    """E-mail the final summaries of the period just ended: queue the e-mails not queued
    before; returns how many this run queued."""
    period = period_before(today or local_today())
    summaries = list(
        ProgressSummary.objects.filter(period_start=period.start, final=True)
        .select_related("plan", "member_state")
        .order_by("plan__start_year", "member_state__name")
    )
    if not summaries:
        return 0
    users = with_digest_choices(User.objects.filter(is_active=True).exclude(email=""))
    return deliver(digest_mails(summaries, list(users.order_by("pk"))))


def digest_choices(user):
    """{kind: whether `user` receives it now} for each digest `user` may receive: 1 query."""
    chosen = dict(DigestPreference.objects.filter(user=user).values_list("kind", "enabled"))
    return {
        kind: chosen.get(kind, digest_on_by_default(user, kind)) for kind in digest_scopes(user)
    }


@transaction.atomic
def digest_preferences_save(*, user, choices):
    """Record `user`'s choice ({kind: bool}) for each digest they may receive."""
    for kind in digest_scopes(user):
        DigestPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"enabled": bool(choices.get(kind))}
        )
