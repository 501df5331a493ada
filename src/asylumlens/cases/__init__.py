"""The private half: one organisation's asylum cases, its people, deadlines and audit trail.

Nothing under :mod:`asylumlens.analytics` or the public web reads this package; this package
may read public figures. Case data lives in its own database (SQLite in the store folder by
default, PostgreSQL by ``ASYLUMLENS_DATABASE_URL``), never in the analytics store, so deleting
or replacing a release never touches it. Identifying fields are encrypted at rest
(:mod:`asylumlens.cases.crypto`); 8 CFR 208.6 makes even the fact of an application
confidential, so no client name or A-number may reach a log, URL, error or public page.
"""
