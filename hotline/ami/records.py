"""Typed records read from the headers of an AMI message, as a table describes them.

A :class:`Record` names a type (a NamedTuple or a dataclass) and, for each of its fields, where the
value comes from: a header (:class:`Field`: which one, how its text is converted, what the field
holds when the header is missing, or that it must not be), a value of its own (:class:`Const`), or
another record read from the same headers (:class:`Nested`). hotline.ami.events describes every
event this way; pure code, no I/O.

Two readers give the same for every message:

* :func:`read` walks the record field by field. It is what a record means, and the one place that
  says what is wrong with a message (:class:`MalformedEvent`): a required header missing, a header
  given twice (its value is a list), a value its converter refuses. ``''`` is a value like any
  other, never a missing header.
* :func:`compile_reader` turns a record into straight-line Python once, for the hot path (every
  event of the AMI stream). Whatever is out of the ordinary it hands to :func:`read`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Generic, NamedTuple, TypeVar, cast

from hotline.errors import HotlineError

# Lower-case header name -> (header name as sent, value); a repeated header's value is a list.
Headers = Mapping[str, tuple[str, object]]
T = TypeVar("T")
# A reader: (headers, message name for errors) -> the value.
Reader = Callable[[Headers, str], T]
# A rule a message must follow before its fields are read; raises MalformedEvent.
Check = Callable[[Headers, str], None]


class MalformedEvent(HotlineError):
    """The peer (Asterisk) sent something we cannot decode."""

    def __init__(self, message: str, **details: object) -> None:
        super().__init__("ami-malformed-event", message, status=502, details=dict(details))


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Final[Any] = _Required()
"""The default of a field whose header must be there: without it the message is malformed."""


class Field(NamedTuple):
    """A field read from one header (lower-case name): its text converted by ``convert`` (``None``:
    kept as sent; a converter refuses a text with a ``ValueError`` saying what it takes),
    ``default`` when the header is missing (:data:`REQUIRED`: it must not be), ``otherwise`` a
    header read when this one is missing."""

    header: str
    convert: Callable[[str], Any] | None = None
    default: object = REQUIRED
    otherwise: str | None = None


class Const(NamedTuple):
    """A field whose value the record gives itself."""

    value: object


class Nested(NamedTuple):
    """A field holding a value read from the same headers by another record."""

    record: Record[Any]


Source = Field | Const | Nested


@dataclass(frozen=True, slots=True)
class Record(Generic[T]):
    """How one typed value is read from a message's headers: each field of ``type`` by name, from
    a :data:`Source`."""

    type: type[T]
    fields: Mapping[str, Source]


def record(kind: type[T], /, **fields: Source) -> Record[T]:
    return Record(kind, fields)


def text(header: str) -> Field:
    """The header's text as sent; it must be there."""
    return Field(header)


def number(header: str) -> Field:
    """The header's integer; it must be there."""
    return Field(header, int)


# What a built-in converter takes, for the message that refuses a value; one of ours says it in
# its ValueError (``raise ValueError("a rating (1-5)")``).
_TAKES: dict[object, str] = {int: "a number", float: "a number"}


def field_names(kind: type[Any]) -> tuple[str, ...]:
    if dataclasses.is_dataclass(kind):
        return tuple(f.name for f in dataclasses.fields(kind))
    return tuple(kind._fields)


def check_record(rec: Record[Any]) -> None:
    """A field of the type without a source, or a source for no field, is a mistake in the table."""
    names, sources = set(field_names(rec.type)), set(rec.fields)
    if names != sources:
        missing, extra = sorted(names - sources), sorted(sources - names)
        raise TypeError(f"{rec.type.__name__}: no source for {missing}, no field for {extra}")
    for source in rec.fields.values():
        if isinstance(source, Nested):
            check_record(source.record)


# --- the reference reader -----------------------------------------------------------------------


def read(rec: Record[T], headers: Headers, name: str) -> T:
    """The value ``rec`` describes, read from the headers of message ``name`` field by field."""
    values: list[object] = []
    for field in field_names(rec.type):
        source = rec.fields[field]
        if isinstance(source, Const):
            values.append(source.value)
        elif isinstance(source, Nested):
            values.append(read(source.record, headers, name))
        else:
            values.append(read_field(source, headers, name))
    return rec.type(*values)


def read_field(field: Field, headers: Headers, name: str) -> Any:
    header = field.header
    pair = headers.get(header)
    if pair is None and field.otherwise is not None:
        header = field.otherwise
        pair = headers.get(header)
    if pair is None:
        if field.default is REQUIRED:
            raise MalformedEvent(
                f"AMI event {name} lacks the {field.header!r} header", event=name, header=field.header
            )
        return field.default
    value = pair[1]
    if type(value) is not str:
        if isinstance(value, list):
            raise MalformedEvent(f"AMI event {name} repeats the {header!r} header", event=name, header=header)
        value = str(value)
    if field.convert is None:
        return value
    try:
        return field.convert(value)
    except ValueError as refused:
        takes = _TAKES.get(field.convert) or str(refused)
        raise MalformedEvent(
            f"AMI event {name}: {pair[0]}={value!r} is not {takes}", event=name, header=header
        ) from None


def reference_reader(rec: Record[T], check: Check | None = None) -> Reader[T]:
    """A reader by :func:`read`, after ``check``."""

    def read_by_reference(headers: Headers, name: str) -> T:
        if check is not None:
            check(headers, name)
        return read(rec, headers, name)

    return read_by_reference


# --- compiled readers ---------------------------------------------------------------------------


def compile_reader(
    rec: Record[T], check: Check | None = None, present: frozenset[str] = frozenset()
) -> Reader[T]:
    """The reader of :func:`reference_reader` as straight-line Python: each header read with one
    lookup and one type check, no loop, no call for a plain text, the value built by
    ``tuple.__new__`` (``rec`` describes NamedTuples only).

    ``check`` runs first, unless it only refuses messages that lack one of the headers ``present``:
    then the reader tests those itself, and leaves it to the check to say which one is missing.
    Anything out of the ordinary (a header missing or repeated, a value refused) goes to the
    reference reader, which says what is wrong: both give the same for every message.

    The source holds nothing but the type's field names (identifiers); headers, converters and
    defaults are bound by name in its namespace."""
    slow = reference_reader(rec, check)
    namespace: dict[str, object] = {"slow": slow, "new": tuple.__new__, "present": present}
    lines = ["def read_compiled(headers, name):"]
    if present:
        lines += ["    if not headers.keys() >= present:", "        return slow(headers, name)"]
    elif check is not None:
        namespace["check"] = check
        lines.append("    check(headers, name)")
    lines += ["    get = headers.get", "    try:", *_lines(rec, namespace, "")]
    lines += ["    except ValueError:", "        return slow(headers, name)"]
    lines.append(f"    return new({_built(rec, namespace, '')})")
    exec("\n".join(lines), namespace)  # noqa: S102  # no text from outside: see the docstring
    return cast(Reader[T], namespace["read_compiled"])


def _lines(rec: Record[Any], namespace: dict[str, object], prefix: str) -> list[str]:
    """The statements reading the fields of ``rec`` into ``v_<prefix><field>``."""
    if not (isinstance(rec.type, type) and issubclass(rec.type, tuple)):
        raise TypeError(f"{rec.type.__name__}: a compiled reader builds NamedTuples only")
    lines: list[str] = []
    for field in field_names(rec.type):
        source, var = rec.fields[field], f"{prefix}{field}"
        if isinstance(source, Const):
            namespace[f"k_{var}"] = source.value
            lines.append(f"        v_{var} = k_{var}")
            continue
        if isinstance(source, Nested):
            lines += _lines(source.record, namespace, f"{var}__")
            lines.append(f"        v_{var} = new({_built(source.record, namespace, f'{var}__')})")
            continue
        namespace[f"h_{var}"] = source.header
        lines.append(f"        p = get(h_{var})")
        if source.otherwise is not None:
            namespace[f"o_{var}"] = source.otherwise
            lines += ["        if p is None:", f"            p = get(o_{var})"]
        if source.default is REQUIRED:
            lines += [
                f"        if p is None or type(v_{var} := p[1]) is not str:",
                "            return slow(headers, name)",
            ]
        else:
            namespace[f"d_{var}"] = source.default
            lines += ["        if p is None:", f"            v_{var} = d_{var}"]
            lines += [
                f"        elif type(v_{var} := p[1]) is not str:",
                "            return slow(headers, name)",
            ]
        if source.convert is not None:
            namespace[f"c_{var}"] = source.convert
            converted = f"v_{var} = c_{var}(v_{var})"
            lines.append(
                f"        {converted}"
                if source.default is REQUIRED
                else f"        else:\n            {converted}"
            )
    return lines


def _built(rec: Record[Any], namespace: dict[str, object], prefix: str) -> str:
    namespace[f"t_{prefix}"] = rec.type
    return f"t_{prefix}, ({''.join(f'v_{prefix}{field}, ' for field in field_names(rec.type))})"
