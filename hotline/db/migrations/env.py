"""Alembic environment: migrations run on the engine the caller hands over (see hotline.db.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from hotline.db.models import metadata

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError(
        "Run migrations through `hotline db upgrade` (hotline.db.migrate), which passes the engine."
    )

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
