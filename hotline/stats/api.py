"""GET /api/v1/stats: the KPIs of a period, grouped by up to two dimensions, as JSON or CSV."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from hotline.api_types import Count, IsoDate
from hotline.auth.deps import require
from hotline.auth.models import Role
from hotline.auth.permissions import Permission, allowed
from hotline.auth.service import Actor
from hotline.errors import HotlineError, InvalidInputError
from hotline.ivr.catalog import Catalog
from hotline.ivr.service import IvrConfig
from hotline.kernel.deps import SessionDep, part
from hotline.stats.definitions import KPI_KEYS
from hotline.stats.service import BY_DIMENSIONS, MAX_BY, Statistics, lawyer_names

router = APIRouter(prefix="/api/v1/stats", tags=["statistics"])

MAX_DAYS: Final = 400
StatisticsDep = Annotated[Statistics, part(Statistics)]
IvrDep = Annotated[IvrConfig, part(IvrConfig)]


class StatsOut(BaseModel):
    """The figures of ``from`` up to (not including) ``until``, local days. ``rows``: one per group,
    its dimensions (``by``) then every KPI (hotline/stats/definitions.py); ``labels``: the zh-CN
    names of the groups' queues, topics, languages and lawyers."""

    from_: date
    until: date
    timezone: str
    by: list[str]
    lawyer: str | None
    thresholds: dict[str, Count]
    total: dict[str, Count | float | None]
    rows: list[dict[str, Any]]
    labels: dict[str, dict[str, str]]

    model_config = {"populate_by_name": True}


def parse_by(by: str | None) -> tuple[str, ...]:
    names = tuple(name.strip() for name in (by or "").split(",") if name.strip())
    unknown = [name for name in names if name not in BY_DIMENSIONS]
    if unknown or len(names) > MAX_BY or len(set(names)) != len(names):
        raise InvalidInputError(
            "stats-by-invalid",
            f"by={by!r}: give at most {MAX_BY} different dimensions, comma-separated, "
            f"from {', '.join(BY_DIMENSIONS)} (e.g. by=day,topic).",
            unknown=unknown,
        )
    return names


def check_range(first: date, until: date) -> None:
    if first >= until:
        raise InvalidInputError(
            "stats-range-invalid",
            f"from={first} is not before until={until}: until is the first day not counted "
            "(from=2026-11-01&until=2026-12-01 is November).",
        )
    if (until - first).days > MAX_DAYS:
        raise InvalidInputError(
            "stats-range-invalid",
            f"{first} to {until} is {(until - first).days} days: ask for at most {MAX_DAYS} days at once.",
        )


def whose(actor: Actor) -> str | None:
    """Whose figures the actor may read: everyone's (None) or their own extension's."""
    if allowed(actor.role, Permission.read_all_stats):
        return None
    if actor.role == Role.lawyer and actor.lawyer_extension is not None:
        return actor.lawyer_extension
    raise HotlineError(
        "stats-not-linked",
        f"Account {actor.username} is not linked to a lawyer's extension: ask an admin to link it on /admin.",
    )


def labels_of(session: Session, catalog: Catalog, rows: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    labels: dict[str, dict[str, str]] = {}
    queues = dict(catalog.queue_labels())
    names = lawyer_names(session) if any("lawyer" in row for row in rows) else {}
    for row in rows:
        for name, label in (
            ("queue", queues.get(row.get("queue") or "")),
            ("topic", catalog.topic_label(row.get("topic"))),
            ("language", catalog.language_label(row.get("language"))),
            ("lawyer", names.get(row.get("lawyer") or "")),
        ):
            if name in row and row[name] is not None and label:
                labels.setdefault(name, {})[row[name]] = label
    return labels


def as_csv(out: StatsOut) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    label_columns = [name for name in out.by if name in out.labels]
    writer.writerow([*out.by, *(f"{name}_label" for name in label_columns), *KPI_KEYS])
    for row in out.rows:
        writer.writerow(
            [
                *(row[name] for name in out.by),
                *(out.labels[name].get(row[name], "") for name in label_columns),
                *("" if row[key] is None else row[key] for key in KPI_KEYS),
            ]
        )
    return "\ufeff" + buffer.getvalue()  # the BOM: Excel opens the Chinese labels as UTF-8


@router.get("", response_model=StatsOut, response_model_by_alias=False)
def read_stats(
    request: Request,
    session: SessionDep,
    stats: StatisticsDep,
    ivr: IvrDep,
    actor: Annotated[Actor, Depends(require(Permission.read_stats))],
    first: Annotated[IsoDate, Query(alias="from", description="The first local day counted (YYYY-MM-DD)")],
    until: Annotated[IsoDate, Query(description="The first local day not counted (YYYY-MM-DD)")],
    by: Annotated[
        str | None, Query(description=f"Up to {MAX_BY} of {', '.join(BY_DIMENSIONS)}, comma-separated")
    ] = None,
) -> Any:
    dimensions = parse_by(by)
    check_range(first, until)
    lawyer = whose(actor)
    grouped = stats.grouped(session, stats.period(first, until), dimensions, lawyer=lawyer)
    rows = [
        {**dict(zip(dimensions, key, strict=True)), **stats.figures(tally)}
        for key, tally in grouped.groups.items()
    ]
    th = stats.thresholds
    out = StatsOut(
        from_=first,
        until=until,
        timezone=stats.timezone,
        by=list(dimensions),
        lawyer=lawyer,
        thresholds={
            "service_level_seconds": th.service_level_seconds,
            "short_abandon_seconds": th.short_abandon_seconds,
            "callback_promise_hours": th.callback_promise_hours,
            "wrap_up_seconds": th.wrap_up_seconds,
        },
        total=stats.figures(grouped.total),
        rows=rows,
        labels=labels_of(session, ivr.catalog, rows),
    )
    if "text/csv" in request.headers.get("accept", ""):
        name = f"stats-{first}-{until}{'-' + '-'.join(dimensions) if dimensions else ''}.csv"
        return Response(
            as_csv(out),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return out
