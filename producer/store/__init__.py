"""Persistence: `db` (the newsroom's tables and the Database), `air` (the automation's tables),
`words` (the station's lexicon and templates), `files` (media storage). The table modules are
imported here so every table is on one metadata."""

from producer.store import air as air
from producer.store import db as db
from producer.store import words as words
