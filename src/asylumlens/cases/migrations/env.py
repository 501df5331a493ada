"""Alembic environment for the case database, run only through :func:`schema.migrate`.

The caller hands over an open connection in ``config.attributes["connection"]``, so the
migration runs on the engine the application already made (SQLite or PostgreSQL) and no
``alembic.ini`` or URL lives in the package.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

import asylumlens.cases.models  # noqa: F401  (registers the case tables on Base)
from asylumlens.cases.db import Base

connection: Connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
