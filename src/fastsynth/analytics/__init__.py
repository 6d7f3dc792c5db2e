"""Flow analytics over Arrow columns: the same on fastsynth output and on a user's real data.

Input column contracts: :mod:`fastsynth.analytics._columns` (``CONTRACTS``, ``RENAMES``); output tables:
``fastsynth.schema("equity_joins" | "option_joins" | "inferred_dark" | "candles")``. Every function takes
a ``pyarrow.Table`` (or ``RecordBatch``/``RecordBatchReader``) and returns a ``pyarrow.Table``; each has a
streaming class that takes time-ordered chunks, carries its state, and gives the whole-table output.
See docs/analytics.md.
"""
from __future__ import annotations

from ._columns import CONTRACTS, RENAMES, AnalyticsInputError, describe_contract
from .candles import CandleParams, CandleStream, candles
from .dark import DarkParams, DarkStream, infer_dark
from .joins import EquityJoinStream, JoinParams, OptionJoinStream, join_equity, join_options
from .filters import signal_filter
from .flow import FlowStream, flow
from .params import AnalyticsParams, load_params

__all__ = ["AnalyticsInputError", "CONTRACTS", "RENAMES", "describe_contract",
           "JoinParams", "join_equity", "join_options", "EquityJoinStream", "OptionJoinStream",
           "DarkParams", "infer_dark", "DarkStream",
           "CandleParams", "candles", "CandleStream",
           "flow", "FlowStream", "signal_filter", "AnalyticsParams", "load_params"]
