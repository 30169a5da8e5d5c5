"""The error catalogue (hotline/error_catalogue.py) against the source, read with ``ast``: every error
id raised in hotline/ is catalogued, with the status its raise site gives; nothing catalogued is
left that nothing raises; the API's error body carries the catalogue's zh-CN message.

The raise sites read: constructions of :class:`HotlineError` and of its subclasses (errors.py's, and
those elsewhere that fix their own id, such as ami/client.py's ``AmiUnavailable``), the id passed
through a function (``load_yaml(path, "flow-invalid")``),
module constants (``ERROR_ID: Final = "calendar-invalid"``), ids compared (``exc.error_id ==
"..."``) and the ids api_errors.py answers with. An id the reader cannot resolve fails the test:
write it as a literal."""

from __future__ import annotations

import ast
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from starlette.exceptions import HTTPException

import hotline
from hotline import api_errors
from hotline.api_errors import install_error_handlers
from hotline.auth.service import AuthenticationFailed
from hotline.auth.throttle import SignInThrottled
from hotline.error_catalogue import CATALOGUE, GENERIC_MESSAGE_ZH, message_zh
from hotline.errors import HotlineError

ROOT = Path(hotline.__file__).parent
BASE_ERROR = "HotlineError"
ERROR_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# What a string constant in api_errors.py looks like when it is an id (one word would be ambiguous).
API_ERROR_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")
# Raise sites whose status differs from the catalogue's, to be fixed there (not here): id -> the
# module and the status it raises with. The test fails once a site is fixed, to drop the entry.
KNOWN_STATUS_DRIFT: dict[str, tuple[str, int]] = {}


@dataclass(frozen=True, slots=True)
class RaiseSite:
    error_id: str
    status: int | None  # None: the site gives none (the catalogue's applies)
    where: str  # module:line, under hotline/


@dataclass(slots=True)
class ErrorClass:
    """A HotlineError or a subclass: whether its constructor takes the id, the status it fixes."""

    node: ast.ClassDef
    bases: list[str]
    takes_id: bool = True
    status: int | None = None


@dataclass(slots=True)
class Source:
    """The modules under hotline/, parsed, with their string constants and error classes."""

    trees: dict[str, ast.Module]
    constants: dict[str, dict[str, str]] = field(default_factory=dict)
    classes: dict[str, ErrorClass] = field(default_factory=dict)


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _int(node: ast.expr | None) -> int | None:
    return node.value if isinstance(node, ast.Constant) and type(node.value) is int else None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_super_init(call: ast.Call) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "__init__"
        and isinstance(func.value, ast.Call)
        and _name(func.value.func) == "super"
    )


def _init_of(node: ast.ClassDef) -> ast.FunctionDef | None:
    return next((f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None)


def _super_call(init: ast.FunctionDef) -> ast.Call | None:
    return next((c for c in ast.walk(init) if isinstance(c, ast.Call) and _is_super_init(c)), None)


def read_source() -> Source:
    source = Source({str(p.relative_to(ROOT)): ast.parse(p.read_text()) for p in sorted(ROOT.rglob("*.py"))})
    found: dict[str, ErrorClass] = {}
    for module, tree in source.trees.items():
        constants = source.constants.setdefault(module, {})
        for statement in tree.body:
            target = value = None
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target, value = statement.targets[0], statement.value
            elif isinstance(statement, ast.AnnAssign):
                target, value = statement.target, statement.value
            if isinstance(target, ast.Name) and isinstance(value, ast.Constant) and type(value.value) is str:
                constants[target.id] = value.value
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = [name for name in map(_name, node.bases) if name]
                found[node.name] = ErrorClass(node, bases)
    # The family of HotlineError, parents before children (their constructors build on the parent's).
    order = [BASE_ERROR]
    while True:
        more = [n for n, c in found.items() if n not in order and any(b in order for b in c.bases)]
        if not more:
            break
        order += more
    for name in order:
        error = found[name]
        parent = next((source.classes[b] for b in error.bases if b in source.classes), None)
        init = _init_of(error.node)
        if parent is not None:
            error.takes_id, error.status = parent.takes_id, parent.status
        if init is not None and name != BASE_ERROR:
            params = [a.arg for a in init.args.args[1:]]
            error.takes_id = bool(params) and params[0] == "error_id"
            call = _super_call(init)
            if call is not None and _int(_keyword(call, "status")) is not None:
                error.status = _int(_keyword(call, "status"))
        source.classes[name] = error
    return source


def _parents(tree: ast.Module) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


Function = ast.FunctionDef | ast.AsyncFunctionDef


def _enclosing_function(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> Function | None:
    while node in parents:
        node = parents[node]
        if isinstance(node, Function):
            return node
    return None


def _params(function: Function) -> list[str]:
    """The positional parameters as callers give them (a method's ``self`` left out)."""
    names = [a.arg for a in function.args.args]
    return names[1:] if names[:1] in (["self"], ["cls"]) else names


def _id_argument(call: ast.Call, index: int, name: str) -> ast.expr | None:
    return call.args[index] if len(call.args) > index else _keyword(call, name)


def raise_sites(source: Source) -> Iterator[RaiseSite | str]:
    """Every raise site with its id, or (a str) where an id could not be read."""
    forwarders: dict[str, tuple[int, int | None]] = {}  # function -> index of its id, its status

    def resolve(module: str, node: ast.expr | None) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name) and node.id in source.constants[module]:
            return source.constants[module][node.id]
        return None

    # Pass 1: constructions of the family, and the functions that pass their id parameter on.
    pending: list[RaiseSite | str] = []
    for module, tree in source.trees.items():
        parents = _parents(tree)
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            where = f"{module}:{call.lineno}"
            if _is_super_init(call):
                owner = _enclosing_function(call, parents)
                cls = parents.get(owner) if owner is not None else None
                if not isinstance(cls, ast.ClassDef) or cls.name not in source.classes:
                    continue
                error = source.classes[cls.name]
                if error.takes_id or cls.name == BASE_ERROR:
                    continue  # passes its caller's id on: the callers are the sites
                parent = next(source.classes[b] for b in error.bases if b in source.classes)
                if not parent.takes_id:
                    continue  # the parent fixes the id (a subclass of a subclass)
                status = _int(_keyword(call, "status")) or parent.status
                error_id = resolve(module, _id_argument(call, 0, "error_id"))
                pending.append(RaiseSite(error_id, status, where) if error_id else where)
                continue
            name = _name(call.func)
            if name not in source.classes or not source.classes[name].takes_id:
                continue
            error = source.classes[name]
            argument = _id_argument(call, 0, "error_id")
            given = _keyword(call, "status")
            status = _int(given) if given is not None else error.status
            error_id = resolve(module, argument)
            if error_id is not None:
                pending.append(RaiseSite(error_id, status, where))
                continue
            function = _enclosing_function(call, parents)
            params = _params(function) if function is not None else []
            if function is not None and isinstance(argument, ast.Name) and argument.id in params:
                forwarders[function.name] = (params.index(argument.id), status)
            else:
                pending.append(where)
    yield from pending
    # Pass 2: the ids given to those functions, and ids compared with an error's.
    for module, tree in source.trees.items():
        for node in ast.walk(tree):
            where = f"{module}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call) and _name(node.func) in forwarders:
                index, status = forwarders[_name(node.func) or ""]
                error_id = resolve(module, _id_argument(node, index, "error_id"))
                yield RaiseSite(error_id, status, where) if error_id else where
            elif isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                if any(isinstance(s, ast.Attribute) and s.attr == "error_id" for s in sides):
                    for side in sides:
                        if isinstance(side, ast.Constant) and isinstance(side.value, str):
                            yield RaiseSite(side.value, None, where)
    # The API edge's own ids (request-invalid, not-found, http-400...).
    for node in ast.walk(source.trees["api_errors.py"]):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and API_ERROR_ID.match(node.value):
            yield RaiseSite(node.value, None, f"api_errors.py:{node.lineno}")


@pytest.fixture(scope="module")
def found() -> list[RaiseSite | str]:
    return list(raise_sites(read_source()))


@pytest.fixture(scope="module")
def sites(found: list[RaiseSite | str]) -> list[RaiseSite]:
    return [site for site in found if isinstance(site, RaiseSite)]


def test_every_error_id_is_one_the_reader_can_read(found: list[RaiseSite | str]) -> None:
    unread = [site for site in found if isinstance(site, str)]
    assert unread == [], "write these error ids as string literals (or module constants)"


def test_the_source_reader_finds_every_kind_of_raise_site(sites: list[RaiseSite]) -> None:
    ids = {site.error_id for site in sites}
    assert len(ids) > 90
    assert {
        "ticket-closed",  # HotlineError(...)
        "ticket-not-found",  # NotFoundError(...)
        "ami-unavailable",  # AmiUnavailable's own id (ami/client.py)
        "roster-invalid",  # a subclass of InvalidInputError fixing its id
        "flow-invalid",  # load_yaml(path, "...")
        "calendar-invalid",  # ERROR_ID: Final = "..."
        "ami-action-timeout",  # exc.error_id != "..."
        "request-invalid",  # api_errors.py
        "http-400",
    } <= ids
    statuses = {(site.error_id, site.status) for site in sites}
    assert {("roster-invalid", 422), ("roster-too-large", 413), ("ami-unavailable", 503)} <= statuses
    assert ("ticket-not-found", 404) in statuses and ("flow-invalid", 422) in statuses


def test_every_error_id_raised_is_in_the_catalogue(sites: list[RaiseSite]) -> None:
    missing = sorted({f"{site.error_id} ({site.where})" for site in sites if site.error_id not in CATALOGUE})
    assert missing == [], "add these ids to hotline/error_catalogue.py"


def test_every_catalogued_id_is_raised_somewhere(sites: list[RaiseSite]) -> None:
    assert sorted(set(CATALOGUE) - {site.error_id for site in sites}) == []


def test_each_raise_site_s_status_is_the_catalogue_s(sites: list[RaiseSite]) -> None:
    drift = sorted(
        (site.error_id, site.where, site.status, CATALOGUE[site.error_id].status)
        for site in sites
        if site.status is not None and site.error_id in CATALOGUE
        if site.status != CATALOGUE[site.error_id].status
    )
    known = [d for d in drift if KNOWN_STATUS_DRIFT.get(d[0], ("", 0)) == (d[1].split(":")[0], d[2])]
    assert [d for d in drift if d not in known] == []
    assert len(known) == len(KNOWN_STATUS_DRIFT), "fixed at the raise site: drop it from KNOWN_STATUS_DRIFT"


def test_the_catalogue_s_entries_are_statuses_and_chinese_sentences() -> None:
    for error_id, entry in CATALOGUE.items():
        assert ERROR_ID.match(error_id), error_id
        assert 400 <= entry.status <= 599, error_id
        assert re.search(r"[\u4e00-\u9fff]", entry.message_zh), error_id
        assert entry.message_zh.endswith("。") and len(entry.message_zh) <= 60, error_id
    assert message_zh("no-such-error") == GENERIC_MESSAGE_ZH
    # The API edge's own ids, with the status each answers.
    for status, (error_id, _message) in api_errors.HTTP_ERRORS.items():
        assert CATALOGUE[error_id].status == status, error_id
    assert CATALOGUE["request-invalid"].status == 422


def test_an_error_raised_without_a_status_takes_the_catalogue_s() -> None:
    assert HotlineError("ticket-closed", "Ticket T1 is closed.").status == 409
    assert HotlineError("review-not-found", "No review 3.").status == 404
    assert HotlineError("no-such-error", "Failed.").status == 500
    assert HotlineError("ticket-closed", "Closed.", status=410).status == 410  # the site's, if given


# --- the API's error body -------------------------------------------------------------------------


class Numbered(BaseModel):
    n: int


def error_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/locked")
    def locked() -> None:
        raise HotlineError("review-locked", "Review 3 is locked.", status=409, details={"review": 3})

    @app.get("/uncatalogued")
    def uncatalogued() -> None:
        raise HotlineError("something-odd", "Something odd happened.")

    @app.get("/signed-out")
    def signed_out() -> None:
        raise AuthenticationFailed()

    @app.get("/throttled")
    def throttled() -> None:
        raise SignInThrottled("address", timedelta(seconds=90))

    @app.get("/teapot")
    def teapot() -> None:
        raise HTTPException(418, detail="I'm a teapot")

    @app.post("/numbered")
    def numbered(body: Numbered) -> int:
        return body.n

    return app


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=error_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_a_hotline_error_answers_with_its_message_and_the_catalogue_s_chinese(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/locked")
    assert response.status_code == 409
    assert response.json() == {
        "error_id": "review-locked",
        "message": "Review 3 is locked.",
        "message_zh": CATALOGUE["review-locked"].message_zh,
        "details": {"review": 3},
    }
    odd = await http.get("/uncatalogued")
    assert odd.status_code == 500 and odd.json()["message_zh"] == GENERIC_MESSAGE_ZH


async def test_sign_in_refusals_keep_their_headers(http: httpx.AsyncClient) -> None:
    signed_out = await http.get("/signed-out")
    assert signed_out.status_code == 401 and signed_out.headers["www-authenticate"] == "Bearer"
    assert signed_out.json()["message_zh"] == CATALOGUE["auth-failed"].message_zh
    throttled = await http.get("/throttled")
    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "90"
    assert "www-authenticate" not in throttled.headers
    assert throttled.json()["message_zh"] == CATALOGUE["auth-locked"].message_zh


async def test_invalid_requests_and_starlette_s_refusals_answer_in_the_same_shape(
    http: httpx.AsyncClient,
) -> None:
    invalid = await http.post("/numbered", json={"n": "many"})
    body = invalid.json()
    assert invalid.status_code == 422 and body["error_id"] == "request-invalid"
    assert body["message_zh"] == CATALOGUE["request-invalid"].message_zh
    assert "body.n" in body["message"] and body["detail"][0]["loc"] == ["body", "n"]
    missing = await http.get("/no/such/route")
    assert missing.status_code == 404 and missing.json()["error_id"] == "not-found"
    assert missing.json()["message_zh"] == CATALOGUE["not-found"].message_zh
    wrong = await http.delete("/locked")
    assert wrong.status_code == 405 and wrong.json()["error_id"] == "method-not-allowed"
    assert wrong.headers["allow"] == "GET"
    teapot = await http.get("/teapot")
    assert teapot.status_code == 418
    assert teapot.json() == {
        "error_id": "http-418",
        "message": "I'm a teapot",
        "message_zh": GENERIC_MESSAGE_ZH,
        "details": {},
        "detail": "I'm a teapot",
    }
