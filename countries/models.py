import datetime

from django.db import models
from django.db.models import Q


class MemberStateQuerySet(models.QuerySet):
    def reporting_in(self, plan):
        """States that report on `plan`: members by the plan's last day."""
        return self.filter(reports_from__lte=plan.last_day)

    def with_reporting_in(self, plan):
        """Mark each state with whether it reports on `plan` (same rule as reporting_in)."""
        return self.annotate(
            reports_on_plan=models.ExpressionWrapper(
                Q(reports_from__lte=plan.last_day), output_field=models.BooleanField()
            )
        )


class MemberState(models.Model):
    """An ASEAN member state, identified by its ISO 3166-1 alpha-2 code."""

    code = models.CharField("ISO alpha-2", max_length=2, unique=True)
    iso_alpha3 = models.CharField("ISO alpha-3", max_length=3, unique=True)
    iso_numeric = models.CharField("ISO numeric", max_length=3, unique=True)
    name = models.CharField("ASEAN short name", max_length=100, unique=True)
    member_since = models.DateField()
    reports_from = models.DateField(
        help_text="First day from which the state reports on the regional plans."
    )
    time_zone = models.CharField(max_length=64, help_text="IANA zone of the capital.")

    objects = MemberStateQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Z]{2}$"), name="member_state_code_alpha2"
            ),
            models.CheckConstraint(
                condition=Q(iso_alpha3__regex=r"^[A-Z]{3}$"), name="member_state_code_alpha3"
            ),
            models.CheckConstraint(
                condition=Q(iso_numeric__regex=r"^[0-9]{3}$"), name="member_state_code_numeric"
            ),
            models.CheckConstraint(
                condition=Q(reports_from__gte=models.F("member_since")),
                name="member_state_reports_after_joining",
            ),
        ]

    def __str__(self):
        return self.name

    def reports_in(self, plan):
        return self.reports_from <= plan.last_day

    def is_member_on(self, day: datetime.date):
        return self.member_since <= day
