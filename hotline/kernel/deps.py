"""FastAPI dependencies on the running controller: the shared dependencies, a plugin's part, the
request's database session and the connected AMI client. Routes name exactly what they use."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.routing import BaseRoute

from hotline.ami.client import AmiClient, AmiUnavailable
from hotline.kernel.compose import Runtime
from hotline.kernel.plugin import Parts
from hotline.kernel.shared import Shared

T = TypeVar("T")


def get_runtime(request: Request) -> Runtime:
    runtime = request.app.state.runtime
    assert isinstance(runtime, Runtime), "the app's lifespan sets the runtime before the first request"
    return runtime


def get_shared(request: Request) -> Shared:
    return get_runtime(request).shared


SharedDep = Annotated[Shared, Depends(get_shared)]

_PART_GETTERS: dict[type, Callable[[Request], Any]] = {}


def part(kind: type[T]) -> Any:
    """``Annotated[Monitor, part(Monitor)]``: the part a plugin provides (checked at startup)."""
    getter = _PART_GETTERS.get(kind)
    if getter is None:
        getter = _PART_GETTERS[kind] = _getter_of(kind)
    return Depends(getter)


def _getter_of(kind: type[T]) -> Callable[[Request], T]:
    def get(request: Request) -> T:
        return get_runtime(request).parts.get(kind)

    get.part_kind = kind  # type: ignore[attr-defined]
    return get


def _parts_needed(dependant: Dependant) -> Iterator[type]:
    for sub in dependant.dependencies:
        kind = getattr(sub.call, "part_kind", None)
        if kind is not None:
            yield kind
        yield from _parts_needed(sub)


def missing_parts(routes: Iterable[BaseRoute], parts: Parts) -> list[str]:
    """Routes that need a part no plugin provides ("METHOD path: Part"): empty when complete."""
    missing = []
    for route in routes:
        if isinstance(route, APIRoute):
            for kind in _parts_needed(route.dependant):
                if kind not in parts:
                    missing.append(f"{sorted(route.methods or ())} {route.path}: {kind.__name__}")
    return missing


def get_ami(shared: SharedDep) -> AmiClient:
    """The AMI client, connected (503 ``ami-unavailable`` saying why while it is not)."""
    ami = shared.ami
    if not ami.connected:
        because = f" ({ami.last_error.message})" if ami.last_error else ""
        raise AmiUnavailable(f"The controller is not connected to Asterisk{because}; try again shortly.")
    return ami


AmiDep = Annotated[AmiClient, Depends(get_ami)]


def get_session(shared: SharedDep) -> Iterator[Session]:
    """One session per request; the request owns the transaction."""
    with shared.session_factory() as session, session.begin():
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
