"""``/api/v1/health``: the kernel's own figures plus the sum of the plugins' health providers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, create_model
from sqlalchemy import text

from hotline.api_types import Count
from hotline.kernel.plugin import Plugin, PluginSpec
from hotline.kernel.shared import Shared


class CoreHealth(BaseModel):
    ok: bool
    ami_connected: bool
    ami_error: str | None
    database_reachable: bool
    database_error: str | None
    malformed_events: Count
    # Events a handler failed on (each failure is logged with the call's linkedid), in all and by handler.
    failed_events: Count
    handler_failures: dict[str, Count]
    scheduler_running: bool


def health_model(specs: Sequence[PluginSpec]) -> type[CoreHealth]:
    """The health document's model: the kernel's fields and every plugin's, in plugin order."""
    fields: dict[str, Any] = {}
    for spec in specs:
        if spec.health_model is None:
            continue
        for name, info in spec.health_model.model_fields.items():
            if name in fields or name in CoreHealth.model_fields:
                raise ValueError(f"Health field {name!r} of plugin {spec.name} is already taken")
            fields[name] = (info.annotation, info)
    model: type[CoreHealth] = create_model("Health", __base__=CoreHealth, **fields)
    return model


def health_of(shared: Shared, plugins: Sequence[Plugin], model: type[CoreHealth]) -> CoreHealth:
    database_error = None
    try:
        with shared.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        database_error = str(exc).splitlines()[0] or type(exc).__name__
    ami = shared.ami
    failures = shared.events.failures
    figures: dict[str, Any] = {}
    for plugin in plugins:
        if plugin.health is not None:
            figures.update(plugin.health().model_dump())
    return model(
        ok=ami.connected and database_error is None,
        ami_connected=ami.connected,
        ami_error=None if ami.connected or ami.last_error is None else str(ami.last_error),
        database_reachable=database_error is None,
        database_error=database_error,
        malformed_events=ami.malformed_events,
        failed_events=sum(failures.values()) + ami.failed_events,
        handler_failures=failures,
        scheduler_running=shared.scheduler.running,
        **figures,
    )
