"""Persistence: `db` (the newsroom's tables and the Database), `air` (the automation's tables),
`files` (media storage). Both table modules are imported here so every table is on one metadata."""

from producer.store import air as air
from producer.store import db as db
