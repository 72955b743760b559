"""Declaring outbox jobs: Celery tasks that run exactly once per queued message.

    @job(soft_time_limit=60, time_limit=90)
    def refresh_current_summaries(member_state_id, plan_id): ...

    enqueue(refresh_current_summaries, state.pk, plan.pk)   # or enqueue("app.tasks.name", ...)

A job is acknowledged late and handed out again if its worker dies; whatever the broker does,
its effect commits once, together with its message's done mark (services.run_once). It is
not retried by Celery: a failed run is retried by the outbox relay, up to OUTBOX_MAX_ATTEMPTS.
"""

from typing import Any

from celery import Task, shared_task

from . import services


class OutboxTask(Task):
    acks_late = True
    reject_on_worker_lost = True
    ignore_result = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.request.called_directly:  # a plain function call: no job, no message
            return self.run(*args, **kwargs)
        return services.run_once(self.request.id, lambda: self.run(*args, **kwargs))


def job(*args: Any, **options: Any) -> Any:
    """`shared_task` for a job queued through the outbox (see the module's docstring)."""
    return shared_task(*args, base=OutboxTask, **options)
