"""Reminders to member states: a round's reports due soon, reports overdue, items gone stale.

Each goes to the state's coordinators and focal points, at most once per (recipient, kind,
period):
- due soon: once per day count of REMINDER_DAYS_BEFORE_DUE (e.g. 7 and 1 days before the due
  day), while the state's report is neither submitted nor accepted; a run that comes late
  sends only the nearest one;
- overdue: once a week (or month, SUMMARY_PERIOD) from the day after the due day until the
  round closes, while the report is still not in;
- stale: once a period, listing the statuses not changed for STALE_AFTER_DAYS days on plans
  that are not closed.
"""

from django.conf import settings
from django.urls import reverse

from accounts.policy import state_users
from accounts.services import absolute_url
from actions.models import NationalStatus
from actions.queries import stale_cutoff
from reviews.models import CountryReport, ReportingRound
from summaries.figures import SUBMITTED
from summaries.summaries import local_today, period_containing, summarised_plans

from .mailing import Kind, Mail, deliver

STALE_ITEMS_LISTED = 20


def send_reminders(*, today=None):
    """Queue the reminders due today that were not queued before; returns how many."""
    today = today or local_today()
    users = list(state_users().exclude(email="").select_related("member_state").order_by("pk"))
    if not users:
        return 0
    return deliver(round_reminders(users, today) + stale_reminders(users, today))


def due_soon_threshold(round_, today):
    """The day count of REMINDER_DAYS_BEFORE_DUE whose reminder is due, or None."""
    days_left = (round_.due_on - today).days
    if days_left < 0:
        return None
    return min(
        (days for days in settings.REMINDER_DAYS_BEFORE_DUE if days >= days_left), default=None
    )


def round_reminders(users, today):
    """Due-soon and overdue reminders for every round open today."""
    rounds = list(ReportingRound.objects.open_on(today).select_related("plan"))
    if not rounds:
        return []
    submitted = set(
        CountryReport.objects.filter(round__in=rounds, state__in=SUBMITTED).values_list(
            "round_id", "member_state_id"
        )
    )
    link = absolute_url(reverse("national:workspace"))
    mails = []
    for round_ in rounds:
        threshold = due_soon_threshold(round_, today)
        if threshold is not None:
            kind, key = Kind.DUE_SOON, f"round:{round_.pk}:due:{threshold}"
            subject = f"RPA Tracker: your report for {round_} is due on {round_.due_on:%d %B %Y}"
        elif today > round_.due_on:
            period = period_containing(today)
            kind, key = Kind.OVERDUE, f"round:{round_.pk}:overdue:{period.start}"
            subject = f"RPA Tracker: your report for {round_} is overdue"
        else:
            continue
        context = {"round": round_, "days_left": (round_.due_on - today).days, "link": link}
        for user in users:
            if not user.member_state.reports_in(round_.plan):
                continue
            if (round_.pk, user.member_state_id) in submitted:
                continue
            mails.append(Mail(user, kind, key, subject, kind, context))
    return mails


def stale_reminders(users, today):
    """One reminder a period to each state user whose state has stale statuses."""
    rows = (
        NationalStatus.objects.filter(
            updated_at__lt=stale_cutoff(), action_item__plan__in=summarised_plans()
        )
        .order_by("member_state_id", "updated_at", "action_item__position")
        .values(
            "member_state_id",
            "action_item__plan__short_title",
            "action_item__code",
            "action_item__title",
            "action_item__provenance",
            "updated_at",
        )
    )
    stale = {}
    for row in rows:
        stale.setdefault(row["member_state_id"], []).append(row)
    key = f"stale:{period_containing(today).start}"
    link = absolute_url(reverse("national:workspace"))
    mails = []
    for user in users:
        items = stale.get(user.member_state_id)
        if not items:
            continue
        context = {
            "state": user.member_state,
            "items": items[:STALE_ITEMS_LISTED],
            "count": len(items),
            "more": max(0, len(items) - STALE_ITEMS_LISTED),
            "stale_after_days": settings.STALE_AFTER_DAYS,
            "link": link,
        }
        subject = f"RPA Tracker: {len(items)} of {user.member_state}'s items need an update"
        mails.append(Mail(user, Kind.STALE, key, subject, Kind.STALE, context))
    return mails
