"""Domain events of reporting rounds, for the apps above `reviews` to subscribe to.

`reviews` never imports those apps: an app that must follow a report's moves connects a
receiver in its `AppConfig.ready()`. Events are sent inside the transaction of the move, so
work a receiver queues through the outbox commits with the move, or not at all.
"""

from django.dispatch import Signal

# A country report moved (submitted, returned, accepted, reopened). Sent with `report` (its
# round and member state loaded) and `transition`.
report_moved = Signal()
