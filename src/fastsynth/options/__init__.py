"""The options tape of one underlying in one session: chain, IV surface, NBBO and prints.

``run_partition(p, part, sym_code, tables)`` yields ``("option_contracts", batch)`` once, then per
300-second block ``("option_quotes", batch)``, ``("option_trades", batch)`` and
``("scenario_labels", batch)`` (each only when requested and non-empty; the prints of several blocks, up to
``PRINT_BATCH_ROWS``, go out as one batch). The chain
(``options.chain``), the surface (``options.surface``) and the quotes (``options.quotes``,
``kernels.option_quotes``) are built here; prints come from ``options.prints.PrintGenerator``.

Determinism: every random draw is keyed by (seed, "options", symbol, date, purpose); the quote tape is
always simulated in full (it is the prints' context), so no table's bytes depend on which other tables
are requested, and blocks are fixed 300-second spans, so batch size never matters.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from .. import schemas
from .._arrow import dict_array, num_array, py_array, ts_array

__all__ = ["run_partition", "BLOCK_SECONDS", "contracts_batch", "quotes_batch", "partition_chain"]

BLOCK_SECONDS = 300
_RIGHTS = py_array(schemas.RIGHTS)
_KINDS = py_array(schemas.EXPIRY_KINDS)


def _date32(days: np.ndarray) -> pa.Array:
    days = np.ascontiguousarray(days, np.int32)
    return pa.Array.from_buffers(pa.date32(), len(days), [None, pa.py_buffer(days)])


def partition_chain(p: Any, part: Any):
    """The chain of ``part`` (an underlying in a session) around the plan's opening price, with the
    session close and the surface's rate / dividend yield attached."""
    from .chain import build_chain
    from .surface import surface_params

    spec = p.specs[part.symbol]
    day = p.market.days[part.day_index]
    sp = surface_params(spec)
    ch = build_chain(spec, part.session.date, float(day.open_price[part.symbol]))
    return dataclasses.replace(ch, close_ns=int(part.session.close_ns), rate=sp.r, div_yield=sp.q)


def contracts_batch(chain: Any, open_ns: int, sym_code: int, sym_dict: pa.Array) -> pa.RecordBatch:
    n = len(chain)
    cols = [ts_array(np.full(n, open_ns, np.int64)), dict_array(np.full(n, sym_code, np.int32), sym_dict),
            num_array(chain.instrument_id), chain.symbol, _date32(chain.expiration), num_array(chain.strike),
            dict_array(chain.right, _RIGHTS), dict_array(chain.kind, _KINDS), num_array(chain.dte),
            num_array(np.full(n, 100, np.uint16))]
    return pa.RecordBatch.from_arrays(cols, schema=schemas.schema("option_contracts"))


def quotes_batch(qb: Any, chain: Any, seq0: int, sym_code: int, sym_dict: pa.Array) -> pa.RecordBatch:
    n = len(qb)
    cols = [ts_array(qb.ts), ts_array(qb.recv), dict_array(np.full(n, sym_code, np.int32), sym_dict),
            num_array(chain.instrument_id[qb.contract]), num_array(qb.bid), num_array(qb.ask),
            num_array(qb.bid_sz), num_array(qb.ask_sz), num_array(np.arange(seq0, seq0 + n, dtype=np.uint64))]
    return pa.RecordBatch.from_arrays(cols, schema=schemas.schema("option_quotes"))


def _print_generator(p: Any, part: Any, sym_code: int, chain: Any, want_labels: bool):
    from .prints import PrintGenerator

    return PrintGenerator(p, part, sym_code, chain, want_labels=want_labels)


def run_partition(p: Any, part: Any, sym_code: int, tables: tuple[str, ...]) -> Iterator[tuple[str, pa.RecordBatch]]:
    """Batches of the options tables of one (underlying, session) partition, in time order."""
    from .quotes import Quoter

    sess = part.session
    chain = partition_chain(p, part)
    sym_dict = p.symbol_dictionary
    if "option_contracts" in tables:
        yield "option_contracts", contracts_batch(chain, int(sess.open_ns), sym_code, sym_dict)
    want_q = "option_quotes" in tables
    want_t = "option_trades" in tables
    want_l = "scenario_labels" in tables
    if not (want_q or want_t or want_l):
        return
    quoter = Quoter(p, part, chain)
    prints = _print_generator(p, part, sym_code, chain, want_l) if (want_t or want_l) else None
    seq = 0
    n = sess.seconds
    rows: list[dict[str, np.ndarray]] = []     # print rows of blocks not yet made batches
    n_rows = 0
    for s0 in range(0, n, BLOCK_SECONDS):
        s1 = min(n, s0 + BLOCK_SECONDS)
        qb = quoter.block(s0, s1)
        if want_q and len(qb):
            yield "option_quotes", quotes_batch(qb, chain, seq, sym_code, sym_dict)
        seq += len(qb)
        if prints is not None:
            r = prints.block_rows(qb, qb, s0, s1)
            if r is not None:
                rows.append(r)
                n_rows += r["ts"].shape[0]
            # the prints of several blocks go out as one batch (a block has only a few hundred: wrapping
            # ~25 Arrow arrays per block cost more than the rows); same rows, same order, same tables
            if rows and (n_rows >= PRINT_BATCH_ROWS or s1 >= n):
                yield from _print_batches(prints, rows, want_t, want_l)
                rows, n_rows = [], 0


PRINT_BATCH_ROWS = 65_536   # option_trades / scenario_labels: a batch once this many rows are pending, and at the end


def _print_batches(prints: Any, rows: list[dict[str, np.ndarray]], want_t: bool, want_l: bool):
    from .prints import concat_rows

    r = concat_rows(rows)
    if want_t:
        yield "option_trades", prints.trades_batch(r)
    if want_l:
        yield "scenario_labels", prints.labels_batch(r)
