"""The outbox relay, sent by beat every minute: publishes what requests could not."""

from celery import shared_task

from . import services


# No retries: the next minute's run is the retry. Expired runs are dropped, not piled up.
@shared_task(acks_late=True, ignore_result=True, soft_time_limit=45, time_limit=55)
def relay_outbox():
    published, pending = services.relay_pending()
    return {"published": published, "pending": pending}
