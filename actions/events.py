"""Domain events of national data, for the apps above `actions` to subscribe to.

`actions` never imports those apps: an app that must follow a change connects a receiver in
its `AppConfig.ready()`. Events are sent inside the transaction of the change, so a receiver
that queues work through the outbox commits it together with the change, or not at all.
"""

from django.dispatch import Signal

# A national status, or its evidence, changed. Sent with `national_status`.
national_status_changed = Signal()
