"""Queue background work so that a web request never waits on the broker."""


def enqueue(task, *args, **kwargs):
    """Run Celery `task` with these arguments once the current transaction commits."""
    task.delay_on_commit(*args, **kwargs)
