"""Input column contracts of the analytics, and their validation.

The analytics read Arrow data (``pyarrow.Table``, ``RecordBatch`` or ``RecordBatchReader``) with the
columns below — fastsynth's own tables satisfy them as they are; real data usually needs a rename
(``rename={"ts_ns": "ts_event", ...}`` or a preset name such as ``"lean"``, see :data:`RENAMES`).

Every contract is checked before any kernel runs; a problem raises :class:`AnalyticsInputError`
naming the table, the column and the FIRST offending row (0-based, in the order given). Nothing is
silently dropped, repaired, or re-sorted in a way that changes results. The one row-level condition
that is kept and *flagged* instead of rejected is a crossed NBBO (bid > ask): real consolidated
feeds contain them, and the join reports them with ``nbbo_state = "crossed"`` and no placement.

Types accepted (coerced without loss, otherwise rejected):

* ``ts``: ``timestamp[*]`` (converted to ns) or any integer type holding ns since the epoch (UTC);
* ``price``: any floating or integer type (float64 after coercion), finite, >= 0;
* ``size``: any integer type, or a floating type whose values are all integral (real files often
  store sizes as double), >= 0;
* ``symbol``-like keys and codes: ``string``/``large_string`` or a dictionary of strings;
* ``instrument_id``: any integer type, >= 0 (uint64 after coercion).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ConfigError, FastsynthError

__all__ = ["AnalyticsInputError", "Col", "CONTRACTS", "RENAMES", "Columns", "read_input", "to_table",
           "check_columns", "describe_contract", "apply_rename"]


class AnalyticsInputError(ConfigError):
    """Bad analytics input: ``table``, ``column``, ``row`` (first offending row, or None) and ``problem``.

    ``str(err)`` is one line, e.g. ``equity_quotes.bid_px_00: row 17: bid 10.5 > ask 10.4 (crossed
    NBBO); allowed: bid <= ask``. It is a ``ConfigError`` so the CLI prints it and exits 2.
    """

    def __init__(self, table: str, column: str, row: int | None, problem: str, allowed: str) -> None:
        self.table, self.column, self.row, self.problem = table, column, row, problem
        self.field, self.value, self.allowed, self.hint = f"{table}.{column}", problem, allowed, ""
        where = f"row {row}: " if row is not None else ""
        FastsynthError.__init__(self, f"{table}.{column}: {where}{problem}; allowed: {allowed}")


@dataclass(frozen=True)
class Col:
    """One input column: ``name``, ``kind`` (ts | price | size | key | id | code), ``required``, ``doc``."""

    name: str
    kind: str
    required: bool
    doc: str


_ALLOWED = {
    "ts": "timestamp[ns] (any unit) or an integer of ns since the epoch UTC",
    "price": "a float or integer column",
    "size": "an integer column, or a float column with integral values",
    "key": "string or dictionary<string>",
    "code": "string or dictionary<string>",
    "id": "an integer column (uint64 ids)",
}

CONTRACTS: dict[str, tuple[Col, ...]] = {
    "equity_prints": (
        Col("ts_event", "ts", True, "execution (or TRF report) time"),
        Col("symbol", "key", True, "ticker; the join key"),
        Col("price", "price", True, "trade price, USD"),
        Col("size", "size", True, "shares"),
        Col("venue", "code", True, "exchange/TRF code (MIC, or a tape letter such as D for FINRA ADF/TRF)"),
        Col("ts_recv", "ts", False, "time the feed delivered the print (candles: late-print rule)"),
        Col("conditions", "code", False, "sale conditions (carried, not interpreted)"),
        Col("side", "code", False, "aggressor A/B/N (carried, not used: placement comes from the NBBO)"),
    ),
    "equity_nbbo": (
        Col("ts_event", "ts", True, "time the NBBO changed"),
        Col("symbol", "key", True, "ticker; the join key"),
        Col("bid_px_00", "price", True, "best bid, USD"),
        Col("ask_px_00", "price", True, "best ask, USD (bid > ask is kept and flagged as crossed)"),
        Col("bid_sz_00", "size", False, "shares at the best bid"),
        Col("ask_sz_00", "size", False, "shares at the best ask"),
    ),
    "option_prints": (
        Col("ts_event", "ts", True, "execution time"),
        Col("instrument_id", "id", True, "contract id; the join key"),
        Col("price", "price", True, "premium per share, USD"),
        Col("size", "size", True, "contracts"),
        Col("trade_id", "id", False, "print id (row index when absent)"),
        Col("underlying", "key", False, "underlying ticker (carried)"),
    ),
    "option_nbbo": (
        Col("ts_event", "ts", True, "time the contract's NBBO changed"),
        Col("instrument_id", "id", True, "contract id; the join key"),
        Col("bid_px", "price", True, "best bid, USD (0 = no bid)"),
        Col("ask_px", "price", True, "best ask, USD"),
        Col("bid_sz", "size", False, "contracts at the bid"),
        Col("ask_sz", "size", False, "contracts at the ask"),
    ),
}

# Named renames (source column -> contract column) for layouts seen in the wild.
RENAMES: dict[str, dict[str, str]] = {
    # QuantConnect/Lean (AlgoSeek) tick files, as in ../shared/data/real/equity_ibm_*.parquet
    "lean": {"ts_ns": "ts_event", "exchange": "venue", "cond": "conditions", "bid": "bid_px_00",
             "ask": "ask_px_00", "bid_size": "bid_sz_00", "ask_size": "ask_sz_00"},
    # Databento DBN trades / tbbo / mbp-1 via ``DBNStore.to_df()`` or ``to_parquet`` (prices as float):
    # names already match except the venue, which DBN carries as ``publisher_id`` (map it to a code first)
    # and the per-publisher sizes; ``raw_symbol``/``symbol`` depends on the stype.
    "databento": {"raw_symbol": "symbol", "publisher": "venue"},
}


def describe_contract(name: str) -> tuple[Col, ...]:
    """The columns of input contract ``name`` (equity_prints | equity_nbbo | option_prints | option_nbbo)."""
    if name not in CONTRACTS:
        raise ConfigError("contract", name, ", ".join(CONTRACTS))
    return CONTRACTS[name]


def to_table(data: object, what: str) -> pa.Table:
    """``pa.Table`` from a Table, RecordBatch, RecordBatchReader or list of batches (ConfigError otherwise)."""
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, pa.RecordBatchReader):
        return data.read_all()
    if isinstance(data, (list, tuple)) and data and all(isinstance(b, pa.RecordBatch) for b in data):
        return pa.Table.from_batches(list(data))
    raise ConfigError(what, type(data).__name__, "a pyarrow Table, RecordBatch or RecordBatchReader")


def apply_rename(table: pa.Table, rename: Mapping[str, str] | str | None, what: str) -> pa.Table:
    """Rename columns (``{source: contract}`` or a :data:`RENAMES` preset name); unknown sources are ignored."""
    if rename is None:
        return table
    if isinstance(rename, str):
        if rename not in RENAMES:
            raise ConfigError("rename", rename, "a mapping {source: column} or one of " + ", ".join(RENAMES))
        if rename == "databento":
            table = _dbn_side(table)
        rename = RENAMES[rename]
    if not isinstance(rename, Mapping):
        raise ConfigError("rename", rename, "a mapping {source: column} or a preset name")
    names = [rename.get(n, n) for n in table.column_names]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise AnalyticsInputError(what, dup[0], None, "the rename gives two columns this name", "unique names")
    return table.rename_columns(names)


def _dbn_side(table: pa.Table) -> pa.Table:
    """DBN's trade ``side`` is the side of the aggressing ORDER (``A`` = a sell order hit the bid, ``B`` = a
    buy order lifted the ask); fastsynth's is where the trade printed (``A`` = at the ask, buyer-initiated).
    Same letters, opposite meaning: swap A and B so the fallback direction reads right."""
    if "side" not in table.column_names:
        return table
    col = table.column("side")
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
            or pa.types.is_dictionary(col.type)):
        return table            # not letters (e.g. already codes): left to the column validation
    col = pc.cast(col, pa.string())
    out = pc.if_else(pc.equal(col, "A"), "B", pc.if_else(pc.equal(col, "B"), "A", col))
    return table.set_column(table.column_names.index("side"), "side", out)


class Columns:
    """Validated, coerced columns of one input: numpy arrays (``ts`` int64 ns, prices float64, sizes
    uint64, ids uint64) and, for string columns, ``(codes int32, dictionary list[str])``.
    ``arrow`` keeps the original Arrow column of each contract column (for carrying through)."""

    def __init__(self, contract: str, n: int) -> None:
        self.contract, self.n = contract, n
        self.arrays: dict[str, np.ndarray] = {}
        self.dicts: dict[str, list[str]] = {}

    def __contains__(self, name: str) -> bool:
        return name in self.arrays

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]


def _first(mask: np.ndarray) -> int:
    return int(np.argmax(mask))


def _chunked(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(col, pa.ChunkedArray):
        return col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    return col


def _coerce(what: str, c: Col, arr: pa.Array, out: Columns) -> None:
    t = arr.type
    if arr.null_count:
        row = _first(np.asarray(arr.is_null()))
        raise AnalyticsInputError(what, c.name, row, "null value", "no nulls in contract columns")
    bad = AnalyticsInputError(what, c.name, None, f"type {t}", _ALLOWED[c.kind])
    if c.kind == "ts":
        if pa.types.is_timestamp(t):
            arr = arr.cast(pa.timestamp("ns", tz=t.tz)) if t.unit != "ns" else arr
            a = np.asarray(arr.view(pa.int64()) if hasattr(arr, "view") else arr.cast(pa.int64()))
        elif pa.types.is_integer(t):
            a = np.asarray(arr.cast(pa.int64()))
        else:
            raise bad
        out.arrays[c.name] = np.ascontiguousarray(a, dtype=np.int64)
    elif c.kind == "price":
        if not (pa.types.is_floating(t) or pa.types.is_integer(t)):
            raise bad
        a = np.ascontiguousarray(arr.to_numpy(zero_copy_only=False), dtype=np.float64)
        badrow = ~np.isfinite(a) | (a < 0)
        if badrow.any():
            i = _first(badrow)
            raise AnalyticsInputError(what, c.name, i, f"price {float(a[i])!r}", "finite prices >= 0")
        out.arrays[c.name] = a
    elif c.kind in ("size", "id"):
        if pa.types.is_integer(t):
            a = arr.to_numpy(zero_copy_only=False)
            if a.dtype.kind == "i" and (a < 0).any():
                i = _first(a < 0)
                raise AnalyticsInputError(what, c.name, i, f"negative value {int(a[i])}", "values >= 0")
        elif pa.types.is_floating(t) and c.kind == "size":
            a = arr.to_numpy(zero_copy_only=False)
            badrow = ~np.isfinite(a) | (a < 0) | (a != np.floor(a))
            if badrow.any():
                i = _first(badrow)
                raise AnalyticsInputError(what, c.name, i, f"size {float(a[i])!r}", "whole numbers >= 0")
        else:
            raise bad
        out.arrays[c.name] = np.ascontiguousarray(a, dtype=np.uint64)
    else:  # key / code: strings -> codes + dictionary
        if pa.types.is_dictionary(t) and (pa.types.is_string(t.value_type) or pa.types.is_large_string(t.value_type)):
            d = arr
        elif pa.types.is_string(t) or pa.types.is_large_string(t):
            d = pc.dictionary_encode(arr)
        else:
            raise bad
        out.arrays[c.name] = np.ascontiguousarray(d.indices.to_numpy(zero_copy_only=False), dtype=np.int32)
        out.dicts[c.name] = [str(v) for v in d.dictionary.to_pylist()]


def check_columns(table: pa.Table, contract: str, what: str | None = None) -> Columns:
    """Validate ``table`` against ``contract`` and return its coerced :class:`Columns`.

    ``what`` names the table in messages (default: the contract name). Optional columns are coerced
    when present. Raises :class:`AnalyticsInputError` (missing column, wrong type, null, negative or
    non-finite value). Ordering and NBBO consistency are checked by the callers, per key.
    """
    what = what or contract
    cols = describe_contract(contract)
    names = set(table.column_names)
    for c in cols:
        if c.required and c.name not in names:
            raise AnalyticsInputError(what, c.name, None, "missing column (have: " + ", ".join(table.column_names)
                                      + ")", "the columns of the " + contract + " contract; use rename= to map yours")
    out = Columns(contract, table.num_rows)
    for c in cols:
        if c.name in names:
            _coerce(what, c, _chunked(table.column(c.name)), out)
    return out


def read_input(data: object, contract: str, rename: Mapping[str, str] | str | None = None,
               what: str | None = None) -> tuple[pa.Table, Columns]:
    """``(table, columns)``: ``data`` as a renamed ``pa.Table`` and its validated columns."""
    what = what or contract
    t = apply_rename(to_table(data, what), rename, what)
    return t, check_columns(t, contract, what)
