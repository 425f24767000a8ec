"""The Celery app. Broker: the embedded SQLAlchemy/SQLite transport by default, Redis in production.

Workers must outlive a broker restart. Celery 5.7.0 with kombu 5.7.0 (the newest releases) loses a
worker that was running a late-acknowledged task when the Redis connection drops: the consumer's
``on_connection_error_after_connected`` first ``collect()``s the connection, which drops the
transport's ``client``, and then ``close()``s it; closing the channel restores the unacknowledged
messages, which needs that client, and the ``AttributeError: 'NoneType' object has no attribute
'hostname'`` escapes ``ignore_errors`` and stops the worker (exit code 1). An idle worker has
nothing unacknowledged and reconnects. ``Consumer`` below keeps that ``close()`` from failing, so
the worker cancels its running task (``worker_cancel_long_running_tasks_on_connection_loss``; the
broker gives it back, and every task here is idempotent) and reconnects like the idle one.
Tested with a real redis-server killed and restarted (tests/sla/test_outbox_worker.py).
"""
import logging
import os

from celery import Celery
from celery.worker.consumer import Consumer as _Consumer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

log = logging.getLogger(__name__)


class Consumer(_Consumer):
    """The worker's consumer, able to close a connection that ``collect()`` already took apart."""

    def on_connection_error_after_connected(self, exc):
        connection = self.connection
        if connection is not None:
            close = connection.close

            def close_leniently():
                try:
                    close()
                except AttributeError:
                    # The transport was collected: its unacknowledged messages return from the
                    # broker (visibility timeout), and the outbox keeps the work in the database.
                    log.warning("closing the lost broker connection failed; reconnecting anyway", exc_info=True)

            connection.close = close_leniently
        super().on_connection_error_after_connected(exc)


app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.worker_consumer = "helpdesk.celery:Consumer"
app.autodiscover_tasks()
