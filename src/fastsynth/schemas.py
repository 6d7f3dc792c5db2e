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

__all__ = ["TABLES", "DEFAULT_TABLES", "SESSION_TABLES", "OPTION_TABLES", "VENUES", "OPTION_VENUES", "RIGHTS",
           "OPTION_CONDITIONS", "PLACEMENTS", "EXPIRY_KINDS", "PHASES", "REGIMES", "EVENT_TYPES", "EVENT_TIMINGS",
           "PROFILES", "FAMILIES", "FAMILY_PROFILE", "OFF_EXCHANGE_VENUES", "SIDES", "CONDITIONS", "schema", "describe",
           "table_names", "FieldDoc", "ANALYTICS_TABLES"]

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


# ---- options and the regime engine -----------------------------------------------------------------

# US options exchanges (MICs). Index = code used inside kernels.
OPTION_VENUES: tuple[str, ...] = (
    "XCBO",  # 0 Cboe Options
    "C2OX",  # 1 Cboe C2
    "BATO",  # 2 Cboe BZX Options
    "EDGO",  # 3 Cboe EDGX Options
    "XISX",  # 4 Nasdaq ISE
    "GMNI",  # 5 Nasdaq GEMX
    "MCRY",  # 6 Nasdaq MRX
    "XPHO",  # 7 Nasdaq PHLX
    "XNDQ",  # 8 Nasdaq Options Market
    "XBXO",  # 9 Nasdaq BX Options
    "XMIO",  # 10 MIAX Options
    "MPRL",  # 11 MIAX Pearl Options
    "EMLD",  # 12 MIAX Emerald
    "SPHR",  # 13 MIAX Sapphire
    "ARCO",  # 14 NYSE Arca Options
    "AMXO",  # 15 NYSE American Options
    "XBOX",  # 16 BOX Options
    "MXOP",  # 17 MEMX Options
)
RIGHTS: tuple[str, ...] = ("C", "P")
# OPRA-style trade conditions (the subset a synthetic tape uses).
OPTION_CONDITIONS: tuple[str, ...] = (
    "AUTO",  # 0 regular electronic execution
    "ISOI",  # 1 intermarket sweep order (one leg of a sweep across exchanges)
    "SLAN",  # 2 single-leg auction (price-improvement auction), non-ISO
    "MLET",  # 3 multi-leg electronic (spread / straddle / box leg)
    "MLAT",  # 4 multi-leg auction
    "TLET",  # 5 stock-option (tied to a stock leg: buy-write, conversion)
)
# Placement of a price against the NBBO at print time (generation and analytics share the rule).
PLACEMENTS: tuple[str, ...] = ("AA", "A", "MID", "B", "BB")
EXPIRY_KINDS: tuple[str, ...] = ("daily", "weekly", "monthly", "quarterly", "leaps")
PHASES: tuple[str, ...] = ("open", "midday", "power_hour", "after_event")
REGIMES: tuple[str, ...] = ("trend_up", "trend_down", "mean_revert", "retail_chase", "event_ramp",
                            "dealer_gamma", "arb_calm")
EVENT_TYPES: tuple[str, ...] = ("CPI", "NFP", "FOMC", "EARNINGS")
EVENT_TIMINGS: tuple[str, ...] = ("pre_open", "intraday", "after_close")
PROFILES: tuple[str, ...] = ("institutional_directional", "retail_whale", "event_driven", "vol_seller",
                             "arbitrage", "hedge_reactive", "neutral_noise")
FAMILIES: tuple[str, ...] = (
    "call_sweep", "put_sweep", "ask_lift_accumulation", "far_dated_conviction",          # institutional_directional
    "0dte_call_chase", "short_dated_put_panic", "attention_contract_spike",              # retail_whale
    "earnings_vol_probe", "pre_event_directional_ramp", "post_gap_followthrough",        # event_driven
    "covered_call_overwrite", "cash_secured_put_write", "short_straddle_harvest",         # vol_seller
    "parity_vertical", "conversion_reversal", "box_spread",                              # arbitrage
    "gamma_pinch_call_hedge", "reactive_put_wall", "dealer_unwind",                      # hedge_reactive
    "single_print_mid", "two_sided_scalp", "stale_quote_noise",                          # neutral_noise
)
# family index -> profile index (3-4 families per profile, in the order above)
FAMILY_PROFILE: tuple[int, ...] = (0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6)

OSI = pa.string()
SYMS = pa.list_(pa.string())


class FieldDoc:
    """Meaning and unit of one column (used by ``fastsynth schema`` and the docs)."""

    def __init__(self, name: str, type_: pa.DataType, doc: str, nullable: bool = False) -> None:
        self.name, self.type, self.doc, self.nullable = name, type_, doc, nullable


_TABLES: dict[str, tuple[str, list[FieldDoc]]] = {
    "equity_trades": (
        "Consolidated equity trade prints, lit exchanges and off-exchange (TRF), like DBN `trades`.",
        [
            FieldDoc("ts_event", TS, "matching-engine (or TRF report) time, ns since epoch UTC"),
            FieldDoc("ts_recv", TS, "time the consolidated feed delivered the print, ns UTC (>= ts_event)"),
            FieldDoc("symbol", SYM, "ticker"),
            FieldDoc("price", pa.float64(), "trade price, USD; on the tick grid for exchanges, 1/100 cent off-exchange"),
            FieldDoc("size", pa.uint32(), "shares"),
            FieldDoc("side", CODE, "aggressor: A = buyer lifted the ask, B = seller hit the bid, N = none/unknown (NOT DBN's convention, where A = sell aggressor)"),
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
    "regime": (
        "The shared regime engine's session state, one row per minute of each session (session-wide).",
        [
            FieldDoc("ts_event", TS, "minute START, ns since epoch UTC"),
            FieldDoc("phase", CODE, "session phase: open | midday | power_hour | after_event"),
            FieldDoc("regime", CODE, "trend_up | trend_down | mean_revert | retail_chase | event_ramp | dealer_gamma | arb_calm"),
            FieldDoc("volatility_level", pa.float64(), "multiplier of every symbol's volatility (1 = normal)"),
            FieldDoc("liquidity_level", pa.float64(), "multiplier of arrival rates and displayed depth (1 = normal)"),
            FieldDoc("quote_cleanliness", pa.float64(), "0..1: 1 = tight, fresh quotes; lower = wider, staler, more missing"),
            FieldDoc("focus_symbols", SYMS, "symbols the current regime concentrates on"),
            FieldDoc("event_symbols", SYMS, "symbols with a scheduled event in play (ramp or aftermath)"),
            FieldDoc("seed_bucket", pa.uint32(), "index of the regime segment within the session (changes at each switch)"),
        ],
    ),
    "events": (
        "Scheduled events that drive event_ramp / after_event: macro releases and earnings (session-wide).",
        [
            FieldDoc("ts_event", TS, "scheduled release time, ns UTC (08:30 ET for CPI/NFP, 14:00 ET for FOMC; "
                                     "earnings before the open or after the close)"),
            FieldDoc("event_type", CODE, "CPI | NFP | FOMC | EARNINGS"),
            FieldDoc("symbol", OSI, "the single name for EARNINGS; '*' (all symbols) for macro releases"),
            FieldDoc("timing", CODE, "pre_open | intraday | after_close"),
            FieldDoc("jump_sd", pa.float64(), "sd of the price jump at the release, in the symbol's daily sds"),
            FieldDoc("iv_runup", pa.float64(), "relative IV run-up into the release of the expiry spanning it (0.2 = +20%)"),
            FieldDoc("iv_crush", pa.float64(), "relative IV drop right after the release (0.3 = -30%)"),
            FieldDoc("spread_widen", pa.float64(), "spread multiplier around the release (1.5 = 50% wider)"),
        ],
    ),
    "option_contracts": (
        "Listed option contracts of each underlying for a session (the chain), like DBN `definition`.",
        [
            FieldDoc("ts_event", TS, "session open, ns UTC (the chain as listed that session)"),
            FieldDoc("underlying", SYM, "underlying ticker"),
            FieldDoc("instrument_id", pa.uint64(), "stable contract id: first 8 bytes of BLAKE2b(OSI symbol), same every session"),
            FieldDoc("symbol", OSI, "OSI symbol, e.g. 'AAPL  260320C00150000' (root padded to 6, YYMMDD, C/P, strike x 1000 in 8 digits)"),
            FieldDoc("expiration", pa.date32(), "expiration date (last trading day)"),
            FieldDoc("strike", pa.float64(), "strike price, USD"),
            FieldDoc("right", CODE, "C = call, P = put"),
            FieldDoc("expiry_kind", CODE, "daily | weekly | monthly | quarterly | leaps"),
            FieldDoc("dte", pa.int32(), "calendar days to expiration from the session date (0 = same-day expiry)"),
            FieldDoc("multiplier", pa.uint16(), "shares per contract (100)"),
        ],
    ),
    "option_quotes": (
        "Option NBBO changes per contract (OPRA-style consolidated best bid/offer), thinned to realistic rates.",
        [
            FieldDoc("ts_event", TS, "time the contract's NBBO changed, ns UTC"),
            FieldDoc("ts_recv", TS, "time the feed delivered it, ns UTC (>= ts_event)"),
            FieldDoc("underlying", SYM, "underlying ticker"),
            FieldDoc("instrument_id", pa.uint64(), "contract id (see option_contracts)"),
            FieldDoc("bid_px", pa.float64(), "best bid, USD per share (0 = no bid)"),
            FieldDoc("ask_px", pa.float64(), "best ask, USD per share (>= bid)"),
            FieldDoc("bid_sz", pa.uint32(), "contracts at the best bid"),
            FieldDoc("ask_sz", pa.uint32(), "contracts at the best ask"),
            FieldDoc("sequence", pa.uint64(), "0-based quote number within (underlying, session), monotone in ts_event"),
        ],
    ),
    "option_trades": (
        "Option prints (OPRA time & sales) with their execution context. Public columns only: the scenario "
        "that produced a print is never on this table (see the opt-in scenario_labels).",
        [
            FieldDoc("ts_event", TS, "execution time, ns UTC"),
            FieldDoc("ts_recv", TS, "time the feed delivered the print, ns UTC (>= ts_event)"),
            FieldDoc("trade_id", pa.uint64(), "print id, unique within the run (key of scenario_labels)"),
            FieldDoc("underlying", SYM, "underlying ticker"),
            FieldDoc("instrument_id", pa.uint64(), "contract id (see option_contracts)"),
            FieldDoc("symbol", OSI, "OSI symbol of the contract"),
            FieldDoc("expiration", pa.date32(), "expiration date"),
            FieldDoc("strike", pa.float64(), "strike, USD"),
            FieldDoc("right", CODE, "C = call, P = put"),
            FieldDoc("price", pa.float64(), "premium per share, USD (x multiplier x size = notional)"),
            FieldDoc("size", pa.uint32(), "contracts"),
            FieldDoc("side", CODE, "aggressor: A = buyer lifted the offer, B = seller hit the bid, N = unknown/cross (NOT DBN's convention, where A = sell aggressor)"),
            FieldDoc("venue", CODE, "MIC of the options exchange"),
            FieldDoc("conditions", CODE, "AUTO regular, ISOI sweep leg, SLAN auction, MLET/MLAT multi-leg, TLET stock-option"),
            FieldDoc("structure_id", pa.uint64(), "legs of one multi-leg order share it; 0 = single-leg"),
            FieldDoc("bid_px", pa.float64(), "contract NBBO bid at the print, USD (null = no quote yet)", nullable=True),
            FieldDoc("ask_px", pa.float64(), "contract NBBO ask at the print, USD (null = no quote yet)", nullable=True),
            FieldDoc("nbbo_age_ns", pa.int64(), "age of that NBBO at the print, ns (null = no quote yet)", nullable=True),
            FieldDoc("underlying_px", pa.float64(), "underlying NBBO midpoint at the print, USD"),
            FieldDoc("underlying_age_ns", pa.int64(), "age of that underlying quote at the print, ns"),
            FieldDoc("iv", pa.float64(), "Black-Scholes implied volatility of the print price (null = no solution)", nullable=True),
            FieldDoc("delta", pa.float64(), "Black-Scholes delta at the print's IV (null when iv is null)", nullable=True),
            FieldDoc("sequence", pa.uint64(), "0-based print number within (underlying, session), monotone in ts_event"),
        ],
    ),
    "scenario_labels": (
        "OPT-IN ground truth for option_trades (not produced by default): the hidden scenario behind each print.",
        [
            FieldDoc("trade_id", pa.uint64(), "the print (option_trades.trade_id)"),
            FieldDoc("ts_event", TS, "the print's ts_event"),
            FieldDoc("underlying", SYM, "underlying ticker"),
            FieldDoc("family", CODE, "hidden scenario family (e.g. call_sweep, box_spread, single_print_mid)"),
            FieldDoc("profile", CODE, "public profile the family belongs to, or neutral_noise"),
            FieldDoc("intended_placement", CODE, "AA | A | MID | B | BB: where the generator placed the price vs the NBBO"),
            FieldDoc("burst_id", pa.uint64(), "prints of one scenario burst share it (0 = background noise)"),
        ],
    ),
}

TABLES: tuple[str, ...] = tuple(_TABLES)
# Produced unless the manifest lists tables explicitly (scenario_labels is opt-in ground truth).
DEFAULT_TABLES: tuple[str, ...] = tuple(t for t in TABLES if t != "scenario_labels")
SESSION_TABLES: tuple[str, ...] = ("regime", "events")   # one per session, not per symbol
OPTION_TABLES: tuple[str, ...] = ("option_contracts", "option_quotes", "option_trades", "scenario_labels")

# ---- derived (analytics) tables: written by `fastsynth analyze`, never by `generate` --------------------

_JOIN_FIELDS = [
    FieldDoc("price", pa.float64(), "print price, USD"),
    FieldDoc("size", pa.uint64(), "print size (shares or contracts)"),
    FieldDoc("bid_px", pa.float64(), "NBBO bid in force at the print (null unless join_quality = fresh)", nullable=True),
    FieldDoc("ask_px", pa.float64(), "NBBO ask in force at the print (null unless fresh)", nullable=True),
    FieldDoc("bid_sz", pa.uint64(), "size at that bid (0 when the input has no sizes; null unless fresh)", nullable=True),
    FieldDoc("ask_sz", pa.uint64(), "size at that ask (null unless fresh)", nullable=True),
    FieldDoc("spread", pa.float64(), "ask - bid, USD (negative when crossed; null unless fresh)", nullable=True),
    FieldDoc("quote_age_ns", pa.int64(), "print ts - quote ts, ns (null when missing; reported when stale)",
             nullable=True),
    FieldDoc("placement", CODE, "AA | A | MID | B | BB by the shared placement rule (null unless fresh and "
                                "not crossed)", nullable=True),
    FieldDoc("join_quality", CODE, "fresh (quote age <= max age) | stale (older: NBBO columns null) | "
                                   "missing (no quote yet for the key)"),
    FieldDoc("nbbo_state", CODE, "normal | locked (bid = ask) | crossed (bid > ask: kept and flagged); null "
                                 "unless fresh", nullable=True),
]
_ANALYTICS: dict[str, tuple[str, list[FieldDoc]]] = {
    "equity_joins": (
        "Equity prints as-of joined to the equity NBBO of their symbol, bounded by a max quote age "
        "(derived: fastsynth analyze / fastsynth.analytics.join_equity).",
        [
            FieldDoc("ts_event", TS, "print time, ns UTC"),
            FieldDoc("symbol", SYM, "ticker"),
            FieldDoc("venue", SYM, "venue code as in the input (MIC, or a tape letter on real data)"),
            FieldDoc("print_row", pa.uint64(), "0-based row of the print in the input (per partition file)"),
            *_JOIN_FIELDS,
        ],
    ),
    "option_joins": (
        "Option prints as-of joined to their contract's NBBO (by instrument_id), bounded by a max quote age "
        "(derived: fastsynth.analytics.join_options).",
        [
            FieldDoc("ts_event", TS, "print time, ns UTC"),
            FieldDoc("instrument_id", pa.uint64(), "contract id"),
            FieldDoc("trade_id", pa.uint64(), "the input's trade_id (its row index when absent)"),
            FieldDoc("underlying", SYM, "underlying ticker (null when the input has none)", nullable=True),
            *_JOIN_FIELDS,
        ],
    ),
    "inferred_dark": (
        "Dark (off-exchange) activity inferred from off-exchange equity prints joined to the NBBO: single "
        "blocks and same-side accumulation within a window (derived: fastsynth.analytics.infer_dark).",
        [
            FieldDoc("ts_event", TS, "time of the print that triggered the event, ns UTC"),
            FieldDoc("symbol", SYM, "ticker"),
            FieldDoc("kind", CODE, "block (one print >= min block size) | accumulation (>= N prints and >= size "
                                   "on one side within the window)"),
            FieldDoc("side", CODE, "buy (at/near/above the ask) | sell (at/near/below the bid) | unknown"),
            FieldDoc("size", pa.uint64(), "shares in the evidence prints"),
            FieldDoc("notional", pa.float64(), "sum of price x size of the evidence prints, USD"),
            FieldDoc("vwap", pa.float64(), "notional / size, USD"),
            FieldDoc("print_count", pa.uint32(), "number of prints in the event (evidence may list fewer)"),
            FieldDoc("first_ts", TS, "time of the event's first print, ns UTC"),
            FieldDoc("evidence_rows", pa.list_(pa.uint64()), "print_row of the evidence prints (the last "
                                                               "max_evidence of them), in time order"),
            FieldDoc("confidence", pa.float64(), "0..1 score (quote freshness, size and count versus thresholds)"),
            FieldDoc("reason", pa.string(), "one-line human-readable explanation"),
        ],
    ),
    "candles": (
        "OHLCV candles of the equity prints at several intervals, with late-print accounting "
        "(derived: fastsynth.analytics.candles).",
        [
            FieldDoc("ts_event", TS, "bar START (epoch-aligned multiple of the interval), ns UTC"),
            FieldDoc("symbol", SYM, "ticker"),
            FieldDoc("interval_ms", pa.uint32(), "bar length, ms"),
            FieldDoc("open", pa.float64(), "first print price in the bar, USD (null: every print was late)",
                     nullable=True),
            FieldDoc("high", pa.float64(), "highest print price, USD (null as open)", nullable=True),
            FieldDoc("low", pa.float64(), "lowest print price, USD (null as open)", nullable=True),
            FieldDoc("close", pa.float64(), "last print price, USD (null as open)", nullable=True),
            FieldDoc("volume", pa.uint64(), "shares of the prints counted in the OHLC"),
            FieldDoc("vwap", pa.float64(), "volume-weighted average price of those prints, USD (null as open)",
                     nullable=True),
            FieldDoc("trade_count", pa.uint32(), "prints counted in the OHLC"),
            FieldDoc("late_prints", pa.uint32(), "prints of this bar received (ts_recv) after bar end + max lateness"),
            FieldDoc("late_volume", pa.uint64(), "shares of those late prints"),
        ],
    ),
}
# flow analytics (engineer A2: analytics/packets, structures, classify, filters; fastsynth.analytics.flow)
FLOW_STRUCTURES: tuple[str, ...] = ("single", "vertical", "straddle", "strangle", "conversion", "box", "calendar",
                                    "stock_tied", "complex")
JOIN_QUALITIES: tuple[str, ...] = ("fresh", "stale", "missing")
HIT_KINDS: tuple[str, ...] = ("sweep", "spike", "0dte")
DIRECTIONS: tuple[str, ...] = ("bearish", "neutral", "bullish")     # code = direction + 1
OUTCOMES: tuple[str, ...] = ("emitted", "abstained")
SIGNAL_REASONS: tuple[str, ...] = (
    "mode:all", "keep:auto-large", "keep:ask-side", "keep:sweep-or-iso", "keep:large-contract-count",
    "reject:min-notional", "reject:etf-min-notional", "reject:bid-side-min-notional", "reject:mid-min-notional",
    "reject:missing-nbbo-min-notional", "reject:no-signal-rule")
_IDS = pa.list_(pa.uint64())
_ANALYTICS.update({
    "flow_prints": (
        "Every option print with its flow context: packet, placement, join quality and the signal-filter "
        "decision. The raw view is all rows; the signal view is the rows with signal = true (derived: "
        "fastsynth.analytics.flow).",
        [
            FieldDoc("ts_event", TS, "print time, ns UTC"),
            FieldDoc("trade_id", pa.uint64(), "the print's trade_id (its row index when the input has none)"),
            FieldDoc("underlying", SYM, "underlying ticker"),
            FieldDoc("instrument_id", pa.uint64(), "contract id"),
            FieldDoc("packet_id", pa.uint64(), "the flow packet of the print (flow_packets.packet_id)"),
            FieldDoc("notional", pa.float64(), "price x size x 100, USD"),
            FieldDoc("placement", CODE, "AA | A | MID | B | BB against the print's NBBO (shared rule); null when "
                                        "the quote is missing or unusable", nullable=True),
            FieldDoc("join_quality", CODE, "fresh (NBBO age <= cluster.nbbo_max_age_ms) | stale | missing"),
            FieldDoc("signal", pa.bool_(), "passes the signal filter of the chosen mode (smart-money | balanced | all)"),
            FieldDoc("signal_reason", CODE, "the decisive rule: the reject rule that failed, else the first keep "
                                            "rule (keep:auto-large, keep:ask-side, keep:sweep-or-iso, "
                                            "keep:large-contract-count), or mode:all"),
        ],
    ),
    "flow_packets": (
        "Flow packets: option prints clustered by contract (or structure) within a time window, with their "
        "aggregates, aggressor mix, NBBO coverage, IV and underlying moves and baseline z-scores (derived: "
        "fastsynth.analytics.flow).",
        [
            FieldDoc("packet_id", pa.uint64(), "0-based, in the order packets open (first print time per underlying)"),
            FieldDoc("ts_event", TS, "first print, ns UTC"),
            FieldDoc("ts_end", TS, "last print, ns UTC"),
            FieldDoc("underlying", SYM, "underlying ticker"),
            FieldDoc("instrument_id", pa.uint64(), "contract of the first leg"),
            FieldDoc("structure_id", pa.uint64(), "the prints' structure id; 0 = single contract; bit 62 set = "
                                                  "synthetic id of a structure detected by time + leg pattern"),
            FieldDoc("structure", CODE, "single | vertical | straddle | strangle | conversion | box | calendar | "
                                        "stock_tied | complex"),
            FieldDoc("legs", pa.uint8(), "distinct contracts traded (counted up to 4)"),
            FieldDoc("right", CODE, "C | P of the first leg"),
            FieldDoc("strike", pa.float64(), "strike of the first leg, USD"),
            FieldDoc("expiration", pa.date32(), "expiration of the first leg"),
            FieldDoc("dte", pa.int32(), "calendar days from the print's UTC date to expiration"),
            FieldDoc("otm_pct", pa.float64(), "out-of-the-money distance of the first leg vs the underlying: "
                                              "K/S - 1 for calls, 1 - K/S for puts (negative = in the money)",
                     nullable=True),
            FieldDoc("atm_distance", pa.float64(), "|K/S - 1|", nullable=True),
            FieldDoc("prints", pa.uint32(), "prints in the packet"),
            FieldDoc("size", pa.uint64(), "contracts"),
            FieldDoc("premium", pa.float64(), "sum of price x size x 100, USD"),
            FieldDoc("max_print_size", pa.uint32(), "largest print, contracts"),
            FieldDoc("venues", pa.uint8(), "distinct exchanges"),
            FieldDoc("iso_prints", pa.uint32(), "prints with condition ISOI"),
            FieldDoc("auction_prints", pa.uint32(), "prints with condition SLAN"),
            FieldDoc("multileg_prints", pa.uint32(), "prints with condition MLET/MLAT"),
            FieldDoc("stock_tied_prints", pa.uint32(), "prints with condition TLET"),
            FieldDoc("sweep", pa.bool_(), "several venues with ISO legs, or 3+ venues within 50 ms"),
            FieldDoc("ask_ratio", pa.float64(), "share of the size placed against a quote (fresh or stale) at A/AA"),
            FieldDoc("bid_ratio", pa.float64(), "share of the placed size at B/BB"),
            FieldDoc("mid_ratio", pa.float64(), "share of the placed size strictly inside the spread"),
            FieldDoc("aggressor_ratio", pa.float64(), "max(ask_ratio, bid_ratio)"),
            FieldDoc("nbbo_coverage", pa.float64(), "share of prints with a fresh NBBO"),
            FieldDoc("iv_first", pa.float64(), "IV of the first print with one", nullable=True),
            FieldDoc("iv_change", pa.float64(), "IV of the last print minus the first (vol points as fractions)",
                     nullable=True),
            FieldDoc("underlying_px", pa.float64(), "underlying mid at the first print, USD", nullable=True),
            FieldDoc("underlying_move_bps", pa.float64(), "underlying move from first to last print, bps",
                     nullable=True),
            FieldDoc("underlying_move_before_bps", pa.float64(), "underlying move over the preceding 1-2 lookbacks "
                                                                 "(cluster.underlying_lookback_s), bps", nullable=True),
            FieldDoc("delta", pa.float64(), "size-weighted mean |delta|", nullable=True),
            FieldDoc("premium_z", pa.float64(), "z-score of log premium vs the rolling baseline of (underlying, "
                                                "right, DTE bucket); null below the minimum samples", nullable=True),
            FieldDoc("size_z", pa.float64(), "z-score of log size vs the same baseline", nullable=True),
            FieldDoc("baseline_samples", pa.uint32(), "packets in that baseline window"),
            FieldDoc("trade_ids", _IDS, "the packet's print ids (first cluster.max_evidence)"),
        ],
    ),
    "classifier_hits": (
        "Rule classifier hits on flow packets: sweep, spike and 0DTE, with the source's parameters, a confidence "
        "and the evidence prints (derived: fastsynth.analytics.flow).",
        [
            FieldDoc("ts_event", TS, "last print of the packet, ns UTC"),
            FieldDoc("underlying", SYM, "underlying ticker"),
            FieldDoc("packet_id", pa.uint64(), "flow_packets.packet_id"),
            FieldDoc("instrument_id", pa.uint64(), "contract of the packet's first leg"),
            FieldDoc("kind", CODE, "sweep | spike | 0dte"),
            FieldDoc("direction", CODE, "bullish | bearish | neutral (calls bought / puts sold = bullish)"),
            FieldDoc("confidence", pa.float64(), "0..1: how far the packet clears the thresholds"),
            FieldDoc("premium", pa.float64(), "packet premium, USD"),
            FieldDoc("size", pa.uint64(), "packet contracts"),
            FieldDoc("premium_z", pa.float64(), "packet premium z (null below min samples)", nullable=True),
            FieldDoc("reason", pa.string(), "one-line human-readable explanation"),
            FieldDoc("evidence", _IDS, "trade ids of the packet's prints"),
        ],
    ),
    "smart_money_events": (
        "Smart-money profile events: an episode of flow (packets of one contract or structure, gaps <= "
        "cluster.episode_gap_ms) matched to one of the six public profiles with a confidence, or recorded as "
        "abstained with its reason (derived: fastsynth.analytics.flow). Reads public columns only.",
        [
            FieldDoc("ts_event", TS, "emission time (the print that made the episode qualify), or for an abstention "
                                     "the time the episode closed, ns UTC"),
            FieldDoc("underlying", SYM, "underlying ticker"),
            FieldDoc("instrument_id", pa.uint64(), "contract of the episode's first leg"),
            FieldDoc("structure_id", pa.uint64(), "structure id of the episode (0 = single contract)"),
            FieldDoc("outcome", CODE, "emitted | abstained"),
            FieldDoc("profile", CODE, "institutional_directional | retail_whale | event_driven | vol_seller | "
                                      "arbitrage | hedge_reactive: the (best candidate) profile"),
            FieldDoc("confidence", pa.float64(), "0..1 score of that profile"),
            FieldDoc("runner_up", CODE, "the second-best profile"),
            FieldDoc("runner_up_confidence", pa.float64(), "its score"),
            FieldDoc("direction", CODE, "bullish | bearish | neutral"),
            FieldDoc("structure", CODE, "structure of the episode (see flow_packets.structure)"),
            FieldDoc("prints", pa.uint32(), "prints in the episode so far"),
            FieldDoc("packets", pa.uint32(), "packets in the episode so far"),
            FieldDoc("premium", pa.float64(), "episode premium so far, USD"),
            FieldDoc("size", pa.uint64(), "episode contracts so far"),
            FieldDoc("first_packet_id", pa.uint64(), "first packet of the episode"),
            FieldDoc("reason", pa.string(), "one-line human-readable reason (the pattern and its numbers, or why "
                                            "it abstained)"),
            FieldDoc("evidence", _IDS, "trade ids of the episode's prints (first cluster.max_evidence)"),
        ],
    ),
})
ANALYTICS_TABLES: tuple[str, ...] = tuple(_ANALYTICS)


def table_names() -> tuple[str, ...]:
    """Names of every table fastsynth can produce."""
    return TABLES


def _check(table: str) -> None:
    if table not in _TABLES and table not in _ANALYTICS:
        raise ConfigError("table", table, ", ".join(TABLES + ANALYTICS_TABLES), closest(table, TABLES + ANALYTICS_TABLES))


def schema(table: str) -> pa.Schema:
    """The Arrow schema of ``table`` (field docs in the field metadata).

    Example: ``fastsynth.schema("equity_trades").field("price").type`` is ``double``.
    """
    _check(table)
    s = _SCHEMA_CACHE.get(table)
    if s is None:   # pa.Schema is immutable: build each once (engines call this for every batch)
        title, fields = _TABLES[table] if table in _TABLES else _ANALYTICS[table]
        s = _SCHEMA_CACHE[table] = pa.schema(
            [pa.field(f.name, f.type, nullable=f.nullable, metadata={"doc": f.doc}) for f in fields],
            metadata={"table": table, "doc": title},
        )
    return s


_SCHEMA_CACHE: dict[str, pa.Schema] = {}


def describe(table: str) -> tuple[str, list[FieldDoc]]:
    """``(title, [FieldDoc, ...])`` for ``table``."""
    _check(table)
    return _TABLES[table] if table in _TABLES else _ANALYTICS[table]
