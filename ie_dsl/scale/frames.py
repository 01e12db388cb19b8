"""Statements as one flat table: one row per statement, one column per value (docs/tables.md).

The same rows make the CSV format (standard library only), the Parquet format and
`to_frame()` (both with pyarrow, and pandas for the frame, from the `[arrow]` extra):

- statement columns: `doc`, `type`, `polarity`, `modality`, the match's span, its sentence,
  its date (`when_*`), and where its rule is written (`rule_*`);
- `field_<name>` for every other constant field a rule sets (`=> t(..., name="value")`);
- `arg_<role>_<part>` for every role, the parts being `text`, `canonical`, `type`, `start`,
  `end`, `value` and `attrs` (a JSON object); null where a statement has no such argument.

Names a rule chooses (roles, fields) are prefixed, so they can never collide with the
statement columns, nor with each other: no part name is another part name after `x_`.

Which roles and fields get columns is a `Layout`: those the compiled rules can emit
(`layout_of(book)`), which gives one schema per rule set whatever the documents, in the
order the rules declare (`declare roles`, then by name); without rules, whatever the
statements hold, by name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # pyarrow and pandas are optional: imported where used
    import pandas
    import pyarrow

    from ie_dsl.pipeline import RuleBook

# Constant fields every statement has (the runtime sets them): plain columns.
STATEMENT_FIELDS = ("polarity", "modality")
ARG_PARTS = (
    ("text", "string"),
    ("canonical", "string"),
    ("type", "string"),
    ("start", "int64"),
    ("end", "int64"),
    ("value", "string"),
    ("attrs", "string"),
)
COLUMNS = (
    ("doc", "string"),
    ("type", "string"),
    ("polarity", "string"),
    ("modality", "string"),
    ("span_start", "int64"),
    ("span_end", "int64"),
    ("sentence_text", "string"),
    ("sentence_start", "int64"),
    ("sentence_end", "int64"),
    ("when_value", "string"),
    ("when_from", "date"),
    ("when_until", "date"),
    ("when_grain", "string"),
    ("when_text", "string"),
    ("when_start", "int64"),
    ("when_end", "int64"),
    ("rule_name", "string"),
    ("rule_file", "string"),
    ("rule_line", "int64"),
)
INSTALL_HINT = "pip install 'iedsl[arrow]'"


class MissingArrow(ImportError):
    """pyarrow (or pandas) is not installed; the message says how to install it."""


@dataclass(frozen=True)
class Layout:
    """The rule-chosen names that get columns: roles (`arg_<role>_*`) and constant fields
    other than polarity and modality (`field_<name>`)."""

    roles: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    order: tuple[str, ...] = ()  # the declared role order (`declare roles`): those roles first

    def columns(self) -> list[tuple[str, str]]:
        """(name, kind) of every column in order; kind is string, int64 or date."""
        out = list(COLUMNS)
        out += [(f"field_{f}", "string") for f in self.fields]
        out += [(f"arg_{role}_{part}", kind) for role in self.roles for part, kind in ARG_PARTS]
        return out

    def names(self) -> list[str]:
        return [name for name, _kind in self.columns()]

    def with_statements(self, statements: Iterable[dict[str, Any]]) -> Layout:
        """This layout plus the roles and fields `statements` have that it lacks."""
        roles, fields = set(self.roles), set(self.fields)
        for st in statements:
            roles.update(st.get("args") or ())
            fields.update(k for k in st if k not in _KNOWN_KEYS)
        return _ordered(roles, fields, self.order)


# Keys of a statement that have their own columns (everything else is a constant field).
_KNOWN_KEYS = frozenset({"doc", "type", "args", "span", "sentence", "rule", "when", *STATEMENT_FIELDS})


def _ordered(roles: Iterable[str], fields: Iterable[str], order: tuple[str, ...] = ()) -> Layout:
    """The roles of `order` first, in that order, then others by name; fields by name."""
    roles = set(roles)
    return Layout(
        tuple(r for r in order if r in roles) + tuple(sorted(roles - set(order))),
        tuple(sorted(set(fields) - _KNOWN_KEYS)),
        order,
    )


def layout_of(book: RuleBook) -> Layout:
    """The roles and constant fields the statement rules of `book` can emit (cue rules,
    whose statements never reach the output, left out), in its declared role order."""
    schema = book.program.schema
    rules = [cr.rule for cr in book.program.statements if cr.rule.output != schema.cue_type]
    return _ordered(
        (role for r in rules for role, _slots in r.args),
        (name for r in rules for name, _value in r.fields),
        schema.roles,
    )


def resolve_layout(statements: Sequence[dict[str, Any]], rules: RuleBook | Layout | None) -> Layout:
    """The layout for `statements`: the rules' (or none if no rules are given) plus any
    role or field the statements have beyond it, so no value is dropped."""
    if rules is None:
        base = Layout()
    elif isinstance(rules, Layout):
        base = rules
    else:
        base = layout_of(rules)
    return base.with_statements(statements)


def rows(statements: Iterable[dict[str, Any]], layout: Layout) -> Iterator[list[Any]]:
    """One list per statement, in `layout.columns()` order: str, int, date or None."""
    for st in statements:
        span = st.get("span") or {}
        sentence = st.get("sentence") or {}
        rule = st.get("rule") or {}
        when = st.get("when")
        when = when if isinstance(when, dict) else {}
        bounds = when_bounds(when.get("value"))
        row: list[Any] = [
            _str(st.get("doc")),
            _str(st.get("type")),
            _str(st.get("polarity")),
            _str(st.get("modality")),
            _int(span.get("start")),
            _int(span.get("end")),
            _str(sentence.get("text")),
            _int(sentence.get("start")),
            _int(sentence.get("end")),
            _str(when.get("value")),
            bounds[0] if bounds else None,
            bounds[1] if bounds else None,
            _str(when.get("grain")),
            _str(when.get("text")),
            _int(when.get("start")),
            _int(when.get("end")),
            _str(rule.get("name")),
            _str(rule.get("file")),
            _int(rule.get("line")),
        ]
        row += [_str(st.get(f)) for f in layout.fields]
        args = st.get("args") or {}
        for role in layout.roles:
            arg = args.get(role)
            if not isinstance(arg, dict):
                row += [None] * len(ARG_PARTS)
                continue
            row += [
                _str(arg.get("text")),
                _str(arg.get("canonical")),
                _str(arg.get("type")),
                _int(arg.get("start")),
                _int(arg.get("end")),
                _str(arg.get("value")),
                json.dumps(arg["attrs"], ensure_ascii=False) if arg.get("attrs") else None,
            ]
        yield row


_DAY = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def when_bounds(value: Any) -> tuple[date, date] | None:
    """A `when` value (docs/dates.md: `2024-02-15`, `2023-06`, `2023`, or an interval
    `start/end` whose end is exclusive) -> (first day, first day after), half-open as
    character offsets are; None if it is not one of those."""
    if not isinstance(value, str):
        return None
    parts = value.split("/")
    try:
        if len(parts) == 2:
            first, end = _point(parts[0]), _point(parts[1])
            return (first[0], end[0]) if first and end and first[0] < end[0] else None
        return _point(value) if len(parts) == 1 else None
    except (ValueError, OverflowError):  # 2024-13-01, 9999-12-31 + 1 day
        return None


def _point(text: str) -> tuple[date, date] | None:
    m = _DAY.fullmatch(text)
    if not m:
        return None
    year = int(m[1])
    if m[3]:
        first = date(year, int(m[2]), int(m[3]))
        return first, first + timedelta(days=1)
    if m[2]:
        month = int(m[2])
        return date(year, month, 1), date(year + month // 12, month % 12 + 1, 1)
    return date(year, 1, 1), date(year + 1, 1, 1)


def _str(value: Any) -> str | None:
    """Strings as they are; numbers (a NUMBER's value) as JSON writes them; None stays."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def write_csv(statements: Iterable[dict[str, Any]], out: IO[str], layout: Layout) -> None:
    """The table as CSV: a header of the column names, then one line per statement; a null
    is an empty cell, a date is YYYY-MM-DD."""
    import csv

    writer = csv.writer(out)
    writer.writerow(layout.names())
    for row in rows(statements, layout):
        writer.writerow(["" if v is None else v.isoformat() if isinstance(v, date) else v for v in row])


def require_arrow() -> Any:
    """The pyarrow module (with its Parquet support); raises MissingArrow if it is missing."""
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401 - a pyarrow built without Parquet is no use here
    except ImportError:
        raise MissingArrow(f"Parquet and DataFrames need pyarrow: {INSTALL_HINT}") from None
    return pyarrow


def arrow_schema(layout: Layout) -> pyarrow.Schema:
    """The Arrow schema of the table (what the Parquet file declares)."""
    pa = require_arrow()
    types = {"string": pa.string(), "int64": pa.int64(), "date": pa.date32()}
    return pa.schema([pa.field(name, types[kind]) for name, kind in layout.columns()])


def to_arrow(statements: Iterable[dict[str, Any]], rules: RuleBook | Layout | None = None) -> pyarrow.Table:
    """The statements as an Arrow table (see `to_frame` for `rules`). Raises MissingArrow."""
    statements = list(statements)
    layout = resolve_layout(statements, rules)
    schema = arrow_schema(layout)
    columns: list[list[Any]] = [[] for _ in schema]
    for row in rows(statements, layout):
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    pa = require_arrow()
    return pa.Table.from_arrays(
        [pa.array(col, type=field.type) for col, field in zip(columns, schema, strict=True)],
        schema=schema,
    )


def write_parquet(
    statements: Iterable[dict[str, Any]], out: str | IO[bytes], rules: RuleBook | Layout | None = None
) -> None:
    """The table as a Parquet file written to `out` (a path or a binary file object; a path
    is not written atomically: output.atomic_writer does that). Raises MissingArrow."""
    table = to_arrow(statements, rules)
    import pyarrow.parquet as pq

    # Snappy and the writer's default format version: what DuckDB, pandas and Spark 3 all read.
    pq.write_table(table, out, compression="snappy")


def to_frame(
    statements: Iterable[dict[str, Any]], rules: RuleBook | Layout | None = None
) -> pandas.DataFrame:
    """Statements (dicts, as `RuleBook.extract` returns them or as read from JSONL) -> a
    pandas DataFrame with one row per statement and the columns of docs/tables.md.

    `rules`: the RuleBook that produced the statements, so that every role and field its
    rules can emit gets its columns (the same columns as `iedsl run -f parquet` with those
    rules); without it, the shipped pack's roles and whatever the statements hold. Integer
    columns are pandas' nullable Int64, text columns `string`, dates `datetime.date`: the
    frame equals `pandas.read_parquet(file, dtype_backend="numpy_nullable")` of the Parquet
    file. Raises MissingArrow without pyarrow and pandas (`pip install 'iedsl[arrow]'`).
    """
    table = to_arrow(statements, rules)
    try:
        import pandas as pd
    except ImportError:
        raise MissingArrow(f"DataFrames need pandas: {INSTALL_HINT}") from None
    pa = require_arrow()
    nullable = {pa.int64(): pd.Int64Dtype(), pa.string(): pd.StringDtype()}
    return table.to_pandas(types_mapper=nullable.get)
