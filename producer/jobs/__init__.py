"""Render jobs: the job row in the database is the truth, a queue message only a doorbell.

- broker.py   the queue adapter (Huey over a SQLite file, or Redis), outage errors typed
- lease.py    claiming in fairness order, leases by the database clock, fencing, the reconciler
- child.py    the render in a child process, typed results and failure kinds
- publish.py  idempotent uploads, then one fenced transaction switches the episode
- worker.py   the loops that tie them together, riding out outages with backoff
"""

from producer.jobs.broker import QueueUnavailable, make_huey
from producer.jobs.lease import MAX_ATTEMPTS, LeaseLost
from producer.jobs.worker import JobQueue

__all__ = ["MAX_ATTEMPTS", "JobQueue", "LeaseLost", "QueueUnavailable", "make_huey"]
