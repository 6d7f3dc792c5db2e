"""Every table's Arrow schema, its field meanings and units, and the dictionary codes — in one place.

Conventions (Databento DBN names where a table corresponds): ``ts_event``/``ts_recv`` are
``timestamp[ns, UTC]``; prices are float64 on the instrument's price grid (``tick_size``; off-exchange
price-improved prints on a 1/100-cent grid); sizes are unsigned integers (shares); ``side`` is the
aggressor: ``A`` buyer lifted the ask, ``B`` seller hit the bid, ``N`` none/unknown; ``sequence`` is
monotone per table and (symbol, session) partition. Strings are dictionary-encoded with fixed
dictionaries (below) so every batch of a table shares one dictionary.
"""
from __future__ import annotations

import pyarrow as pa

from .errors import ConfigError, closest

__all__ = ["TABLES", "VENUES", "OFF_EXCHANGE_VENUES", "SIDES", "CONDITIONS", "schema", "describe",
           "table_names", "FieldDoc"]

TS = pa.timestamp("ns", tz="UTC")
SYM = pa.dictionary(pa.int32(), pa.string())
CODE = pa.dictionary(pa.int8(), pa.string())

# Venue codes are ISO 10383 MICs as Databento uses them. Index = code used inside kernels.
VENUES: tuple[str, ...] = (
    "XNAS",  # 0 Nasdaq
    "XNYS",  # 1 NYSE
    "ARCX",  # 2 NYSE Arca
    "BATS",  # 3 Cboe BZX
    "BATY",  # 4 Cboe BYX
    "EDGX",  # 5 Cboe EDGX
    "EDGA",  # 6 Cboe EDGA
    "IEXG",  # 7 IEX
    "MEMX",  # 8 MEMX
    "EPRL",  # 9 MIAX Pearl Equities
    "XBOS",  # 10 Nasdaq BX
    "XPSX",  # 11 Nasdaq PSX
    "XASE",  # 12 NYSE American
    "XCIS",  # 13 NYSE National
    "XCHI",  # 14 NYSE Chicago
    "LTSE",  # 15 Long-Term Stock Exchange
    "FINN",  # 16 FINRA/Nasdaq TRF Carteret   (off-exchange)
    "FINC",  # 17 FINRA/Nasdaq TRF Chicago    (off-exchange)
    "FINY",  # 18 FINRA/NYSE TRF              (off-exchange)
)
FIRST_OFF_EXCHANGE = 16
OFF_EXCHANGE_VENUES: tuple[str, ...] = VENUES[FIRST_OFF_EXCHANGE:]

SIDES: tuple[str, ...] = ("A", "B", "N")

# Sale-condition strings as printed on the consolidated tape (space-separated codes).
CONDITIONS: tuple[str, ...] = (
    "@",      # 0 regular sale
    "@ I",    # 1 regular, odd lot (< 100 shares)
    "F",      # 2 intermarket sweep (ISO)
    "F I",    # 3 intermarket sweep, odd lot
    "@ O",    # 4 opening print (primary listing market's open)
    "@ 6",    # 5 closing print (primary listing market's close)
)


class FieldDoc:
    """Meaning and unit of one column (used by ``fastsynth schema`` and the docs)."""

    def __init__(self, name: str, type_: pa.DataType, doc: str) -> None:
        self.name, self.type, self.doc = name, type_, doc


_TABLES: dict[str, tuple[str, list[FieldDoc]]] = {
    "equity_trades": (
        "Consolidated equity trade prints, lit exchanges and off-exchange (TRF), like DBN `trades`.",
        [
            FieldDoc("ts_event", TS, "matching-engine (or TRF report) time, ns since epoch UTC"),
            FieldDoc("ts_recv", TS, "time the consolidated feed delivered the print, ns UTC (>= ts_event)"),
            FieldDoc("symbol", SYM, "ticker"),
            FieldDoc("price", pa.float64(), "trade price, USD; on the tick grid for exchanges, 1/100 cent off-exchange"),
            FieldDoc("size", pa.uint32(), "shares"),
            FieldDoc("side", CODE, "aggressor: A = buyer lifted the ask, B = seller hit the bid, N = none/unknown"),
            FieldDoc("venue", CODE, "MIC of the exchange, or FINN/FINC/FINY for FINRA TRF (off-exchange) prints"),
            FieldDoc("conditions", CODE, "sale conditions as on the tape: @ regular, I odd lot, F ISO, O open, 6 close"),
            FieldDoc("sequence", pa.uint64(), "0-based print number within (symbol, session), monotone in ts_event"),
        ],
    ),
    "equity_quotes": (
        "National best bid and offer (NBBO) changes, like DBN `mbp-1` top level / `bbo`.",
        [
            FieldDoc("ts_event", TS, "time the NBBO changed, ns since epoch UTC"),
            FieldDoc("ts_recv", TS, "time the consolidated feed delivered it, ns UTC (>= ts_event)"),
            FieldDoc("symbol", SYM, "ticker"),
            FieldDoc("bid_px_00", pa.float64(), "best bid price, USD, on the tick grid"),
            FieldDoc("ask_px_00", pa.float64(), "best ask price, USD, on the tick grid (> bid)"),
            FieldDoc("bid_sz_00", pa.uint32(), "shares displayed at the best bid (at the venue shown)"),
            FieldDoc("ask_sz_00", pa.uint32(), "shares displayed at the best ask (at the venue shown)"),
            FieldDoc("bid_venue", CODE, "MIC of the exchange setting the best bid"),
            FieldDoc("ask_venue", CODE, "MIC of the exchange setting the best ask"),
            FieldDoc("sequence", pa.uint64(), "0-based quote number within (symbol, session), monotone in ts_event"),
        ],
    ),
    "bars_1m": (
        "One-minute OHLCV bars from the trade prints, like DBN `ohlcv-1m` (a bar only for minutes with trades).",
        [
            FieldDoc("ts_event", TS, "bar START, ns since epoch UTC (DBN convention)"),
            FieldDoc("symbol", SYM, "ticker"),
            FieldDoc("open", pa.float64(), "first trade price in the minute, USD"),
            FieldDoc("high", pa.float64(), "highest trade price, USD"),
            FieldDoc("low", pa.float64(), "lowest trade price, USD"),
            FieldDoc("close", pa.float64(), "last trade price, USD"),
            FieldDoc("volume", pa.uint64(), "shares traded"),
            FieldDoc("vwap", pa.float64(), "volume-weighted average price, USD"),
            FieldDoc("trade_count", pa.uint32(), "number of prints"),
        ],
    ),
}

TABLES: tuple[str, ...] = tuple(_TABLES)


def table_names() -> tuple[str, ...]:
    """Names of every table fastsynth can produce."""
    return TABLES


def _check(table: str) -> None:
    if table not in _TABLES:
        raise ConfigError("table", table, ", ".join(TABLES), closest(table, TABLES))


def schema(table: str) -> pa.Schema:
    """The Arrow schema of ``table`` (field docs in the field metadata).

    Example: ``fastsynth.schema("equity_trades").field("price").type`` is ``double``.
    """
    _check(table)
    title, fields = _TABLES[table]
    return pa.schema(
        [pa.field(f.name, f.type, nullable=False, metadata={"doc": f.doc}) for f in fields],
        metadata={"table": table, "doc": title},
    )


def describe(table: str) -> tuple[str, list[FieldDoc]]:
    """``(title, [FieldDoc, ...])`` for ``table``."""
    _check(table)
    return _TABLES[table]
