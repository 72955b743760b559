"""The outbox's tasks: the relay beat sends every minute, and the one e-mail sender."""

from celery import shared_task

from . import mail, services
from .jobs import job
from .models import OutboxMessage


# No retries: the next minute's run is the retry. Expired runs are dropped, not piled up.
@shared_task(acks_late=True, ignore_result=True, soft_time_limit=45, time_limit=55)
def relay_outbox():
    published, pending = services.relay_pending()
    return {"published": published, "pending": pending}


@job(bind=True, soft_time_limit=60, time_limit=90)
def send_email(self, *, to, subject, text, html=""):
    mail.send_email(to=to, subject=subject, text=text, html=html)
    # In the job's transaction, with its done mark: the text leaves the database once sent.
    OutboxMessage.objects.filter(task_id=self.request.id).update(
        kwargs={"to": to, "subject": subject}
    )
