"""Tests for ``fastsynth.engine`` (stream / generate / reader) and ``fastsynth.run``: the determinism
contract as properties, schema conformance, and invariants every generated table must satisfy.

The equities kernel is being tuned, so no test pins generated values: they check properties (same bytes
across batch sizes, stream vs batch, worker counts, a longer run has the same first session) and
invariants (ordering, sequence numbers, price grids, NBBO never crossed, bars agree with the trades).
Runs are small (a few low-volume symbols, one or two sessions) and cached per module.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastsynth
import strategies as fst
from fastsynth import ConfigError, Manifest, SymbolSpec, default_universe
from fastsynth.engine import plan
from fastsynth.run import run_to_parquet
from fastsynth.schemas import OFF_EXCHANGE_VENUES

TABLES = tuple(fastsynth.Manifest().tables)  # the default tables

try:  # rootdir-relative layout used by pytest's default "prepend" import mode
    from reference import bars as ref_bars
except ImportError:  # pragma: no cover - if tests/ becomes a package
    from tests.reference import bars as ref_bars

NS = 1_000_000_000
SEEDS = (11, 12)
ZZTK = SymbolSpec(symbol="ZZTK", price=40.0, annual_vol=0.3, beta=0.8, sector="Materials", adv=2e6, tick_size=0.05)


def one_day(seed: int, **kw) -> Manifest:
    # 2026-03-06 has a scheduled macro release (NFP), so every default table, events included, has rows
    return Manifest(seed=seed, symbols=["IBM"], **{"start": "2026-03-06", **kw})


# Invariant run: a full session then an early close (day after Thanksgiving), a ~$220 name, an $11 name
# whose spread sits at one tick, and a custom symbol on a 5-cent tick.
INVARIANT_MANIFEST = Manifest(seed=3, start="2026-11-25", days=2, symbols=["IBM", "F", "ZZTK"],
                              universe=[*(s for s in default_universe() if s.symbol in ("IBM", "F")), ZZTK])

_CACHE: dict[str, dict[str, pa.Table]] = {}


def generated(m: Manifest) -> dict[str, pa.Table]:
    """``fastsynth.generate(m)``, computed once per manifest for the whole module (deterministic data)."""
    h = m.content_hash()
    if h not in _CACHE:
        _CACHE[h] = fastsynth.generate(m)
    return _CACHE[h]


def digest(table: pa.Table) -> str:
    """SHA-256 of the Arrow IPC stream of the combined table (schema, metadata and every buffer)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table.combine_chunks())
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


def assert_same_table(got: pa.Table, want: pa.Table) -> None:
    assert got.schema.equals(want.schema, check_metadata=True)
    assert got.num_rows == want.num_rows
    assert got.combine_chunks().equals(want.combine_chunks())
    assert digest(got) == digest(want)


def collect(items) -> dict[str, list[pa.RecordBatch]]:
    out: dict[str, list[pa.RecordBatch]] = {}
    for t, b in items:
        out.setdefault(t, []).append(b)
    return out


def ints(col) -> np.ndarray:
    return col.cast(pa.int64()).to_numpy() if pa.types.is_timestamp(col.type) else col.to_numpy()


def strs(col) -> np.ndarray:
    return np.asarray(col.cast(pa.string()).to_numpy(zero_copy_only=False)).astype(str)


# ------------------------------------------------------------------------------------- determinism
@given(batch_rows=fst.batch_rows, seed=st.sampled_from(SEEDS))
def test_stream_batches_concatenate_to_generate(batch_rows, seed):
    m = one_day(seed)
    want = generated(m)
    got = collect(fastsynth.stream(m, batch_rows=batch_rows))
    assert set(got) == set(TABLES)
    for t in TABLES:
        batches = got[t]
        assert all(b.num_rows == batch_rows for b in batches[:-1])
        assert 0 < batches[-1].num_rows <= batch_rows
        assert_same_table(pa.Table.from_batches(batches, schema=fastsynth.schema(t)), want[t])


@pytest.mark.parametrize("batch_rows", [1, 2, 389, 390, 391])
def test_tiny_batches_of_one_table(batch_rows):
    m = one_day(SEEDS[0])
    got = collect(fastsynth.stream(m, batch_rows=batch_rows, tables=["bars_1m"]))
    assert set(got) == {"bars_1m"}
    assert_same_table(pa.Table.from_batches(got["bars_1m"]), generated(m)["bars_1m"])


def test_requested_tables_do_not_change_the_data():
    m = one_day(SEEDS[0])
    full = generated(m)
    for tabs in (["bars_1m"], ["equity_quotes"], ["bars_1m", "equity_trades"]):
        part = fastsynth.generate(m, tables=tabs)
        assert list(part) == tabs
        for t in tabs:
            assert_same_table(part[t], full[t])
    only = fastsynth.generate(m.replace(tables=["equity_trades"]))
    assert list(only) == ["equity_trades"]
    assert_same_table(only["equity_trades"], full["equity_trades"])


def test_two_runs_identical():
    m = one_day(SEEDS[1])
    a = fastsynth.generate(m)
    b = fastsynth.generate(m)
    assert {t: digest(x) for t, x in a.items()} == {t: digest(x) for t, x in b.items()}


def test_reader_equals_generate():
    m = one_day(SEEDS[0])
    for t in TABLES:
        r = fastsynth.reader(m, t, batch_rows=30_000)
        assert isinstance(r, pa.RecordBatchReader)
        assert r.schema.equals(fastsynth.schema(t), check_metadata=True)
        assert_same_table(r.read_all(), generated(m)[t])


def test_different_seeds_differ():
    a, b = generated(one_day(SEEDS[0])), generated(one_day(SEEDS[1]))
    for t in TABLES:
        if t in ("events", "option_contracts"):
            # the built-in event calendar depends on dates and names, not on the seed; so does the first
            # session's chain (listed around the universe's reference price, which opens the run)
            assert digest(a[t]) == digest(b[t])
            continue
        assert digest(a[t]) != digest(b[t])
    pa_, pb = a["equity_trades"].column("price").to_numpy(), b["equity_trades"].column("price").to_numpy()
    n = min(pa_.size, pb.size)
    assert not np.array_equal(pa_[:n], pb[:n])


def test_longer_run_has_the_same_first_session():
    m1 = Manifest(seed=SEEDS[0], start="2026-03-05", symbols=["IBM", "F"], days=1)   # day 2 has an event
    m2 = m1.replace(days=2)
    one, two = generated(m1), generated(m2)
    close = plan(m1).sessions[0].close_ns
    for t in TABLES:
        ts = ints(two[t].column("ts_event"))
        first = two[t].filter(pa.array(ts < close + NS))
        assert first.num_rows < two[t].num_rows  # the second session is there too
        assert_same_table(first, one[t])


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_parquet_bytes_independent_of_workers(tmp_path):
    m = Manifest(seed=SEEDS[0], symbols=["IBM", "F", "GS"], days=1)
    r1 = run_to_parquet(m, tmp_path / "w1", workers=1)
    r2 = run_to_parquet(m, tmp_path / "w2", workers=2)
    assert r1.rows == r2.rows and r1.partitions_written == r2.partitions_written == len(plan(m).partitions) == 4   # @session + 3 symbols
    f1, f2 = _files(tmp_path / "w1"), _files(tmp_path / "w2")
    assert sorted(f1) == sorted(f2)
    assert [k for k in f1 if f1[k] != f2[k]] == []
    # and the dataset holds exactly the generated rows
    import pyarrow.dataset as ds

    for t in TABLES:
        got = ds.dataset(tmp_path / "w1" / t, format="parquet", partitioning="hive").to_table()
        assert got.num_rows == generated(m)[t].num_rows == r1.rows[t]


def test_symbol_data_independent_of_other_symbols():
    alone = fastsynth.generate(Manifest(seed=5, symbols=["IBM"]), tables=["bars_1m"])["bars_1m"]
    both = fastsynth.generate(Manifest(seed=5, symbols=["JPM", "IBM"]), tables=["bars_1m"])["bars_1m"]
    ibm = both.filter(pc.equal(both.column("symbol").cast(pa.string()), "IBM"))
    assert np.array_equal(ibm.column("close").to_numpy(), alone.column("close").to_numpy())


def test_bad_arguments():
    m = one_day(SEEDS[0])
    for bad in (0, -1, True, 2.5):
        with pytest.raises(ConfigError) as e:
            next(iter(fastsynth.stream(m, batch_rows=bad)))
        assert e.value.field == "batch_rows"
        with pytest.raises(ConfigError):
            fastsynth.reader(m, "bars_1m", batch_rows=bad)
    with pytest.raises(ConfigError) as e:
        fastsynth.generate(m, tables=["equity_trade"])
    assert "did you mean 'equity_trades'?" in str(e.value)
    with pytest.raises(ConfigError):
        fastsynth.reader(m, "bars")
    with pytest.raises(ConfigError) as e:
        run_to_parquet(m, "unused", workers=0)
    assert e.value.field == "workers"


# ------------------------------------------------------------------------------- schema conformance
def test_every_batch_has_the_table_schema():
    m = INVARIANT_MANIFEST
    seen = set()
    for t, b in fastsynth.stream(m, batch_rows=50_000):
        assert b.schema.equals(fastsynth.schema(t), check_metadata=True), t
        assert b.num_rows > 0
        for field, col in zip(b.schema, b.columns):
            assert field.nullable or col.null_count == 0, (t, field.name)
        seen.add(t)
    assert seen == set(TABLES) - {"events"}   # no scheduled event in these two sessions
    for t, tbl in generated(m).items():
        assert tbl.schema.equals(fastsynth.schema(t), check_metadata=True)


# ------------------------------------------------------------------------------------ invariants
def partitions(m: Manifest, table: str):
    """``(partition, session, rows)`` for every (symbol, session) partition, in plan order, checking that
    the table is the concatenation of the partitions' rows (session-major, symbols in manifest order)."""
    p = plan(m)
    tbl = generated(m)[table]
    sym = strs(tbl.column("symbol"))
    ts = ints(tbl.column("ts_event"))
    out, pos = [], 0
    for part in p.partitions:
        if part.is_session:
            continue
        s = part.session
        n = 0
        while pos + n < tbl.num_rows and sym[pos + n] == part.symbol and ts[pos + n] < s.close_ns + NS:
            n += 1
        out.append((part, s, tbl.slice(pos, n)))
        pos += n
    assert pos == tbl.num_rows, "rows not in plan order (session-major, symbols in manifest order)"
    return out


@pytest.mark.parametrize("table", ["equity_trades", "equity_quotes"])
def test_event_order_sequence_and_session_bounds(table):
    for part, s, rows in partitions(INVARIANT_MANIFEST, table):
        assert rows.num_rows > 0, part
        ts, recv, seq = ints(rows.column("ts_event")), ints(rows.column("ts_recv")), rows.column("sequence")
        where = f"{table} {part.symbol} {part.date}"
        assert np.all(np.diff(ts) >= 0), where
        assert seq.type == pa.uint64() and np.array_equal(seq.to_numpy(), np.arange(rows.num_rows)), where
        assert np.all(recv >= ts), where
        for x in (ts, recv):
            assert s.open_ns <= x.min() and x.max() < s.close_ns + NS, where


def test_quotes_never_crossed_and_on_the_tick_grid():
    specs = {s.symbol: s for s in INVARIANT_MANIFEST.selected()}
    for part, _, rows in partitions(INVARIANT_MANIFEST, "equity_quotes"):
        bid, ask = rows.column("bid_px_00").to_numpy(), rows.column("ask_px_00").to_numpy()
        assert np.all(bid < ask), part
        assert np.all(bid > 0), part
        tick = specs[part.symbol].tick_size
        for px in (bid, ask):
            ticks = px / tick
            assert np.abs(ticks - np.round(ticks)).max() < 1e-9, part
        for c in ("bid_sz_00", "ask_sz_00"):
            assert rows.column(c).to_numpy().min() > 0, (part, c)
        venues = set(strs(rows.column("bid_venue"))) | set(strs(rows.column("ask_venue")))
        assert not venues & set(OFF_EXCHANGE_VENUES), part


def test_trade_prices_sizes_and_codes():
    specs = {s.symbol: s for s in INVARIANT_MANIFEST.selected()}
    for part, _, rows in partitions(INVARIANT_MANIFEST, "equity_trades"):
        px = rows.column("price").to_numpy()
        size = rows.column("size").to_numpy()
        venue = strs(rows.column("venue"))
        side = strs(rows.column("side"))
        cond = strs(rows.column("conditions"))
        off = np.isin(venue, OFF_EXCHANGE_VENUES)
        assert 0 < off.sum() < off.size, part  # both lit and TRF prints
        assert np.all(size > 0) and np.all(px > 0), part
        # lit prints on the instrument's tick grid (a cent for IBM/F: price * 100 integral)
        ticks = px[~off] / specs[part.symbol].tick_size
        assert np.abs(ticks - np.round(ticks)).max() < 1e-9, part
        if specs[part.symbol].tick_size == 0.01:
            cents = px[~off] * 100
            assert np.abs(cents - np.round(cents)).max() < 1e-9, part
        # off-exchange on the 1/100-cent grid: price * 10_000 integral (x ~ 1e6: rounding error ~1e-10)
        hc = px[off] * 10_000
        assert np.abs(hc - np.round(hc)).max() < 1e-6, part
        # the tape's codes: TRF prints and the listing exchange's opening/closing crosses (O, 6) carry
        # side N, other lit prints an aggressor; odd lots are flagged I
        cross = np.isin(cond, ["@ O", "@ 6"])
        assert list(cond[cross]) == ["@ O", "@ 6"], part
        assert set(venue[cross]) == {specs[part.symbol].listing}, part
        assert set(side[off]) == {"N"} and set(side[~off & ~cross]) <= {"A", "B"}, part
        is_odd = np.char.find(cond, "I") >= 0
        assert np.array_equal(is_odd, size < 100), part


def test_bars_agree_with_trades():
    trades = {(p.symbol, p.date): rows for p, _, rows in partitions(INVARIANT_MANIFEST, "equity_trades")}
    for part, s, bars in partitions(INVARIANT_MANIFEST, "bars_1m"):
        tr = trades[(part.symbol, part.date)]
        want = ref_bars.ohlcv(ints(tr.column("ts_event")), tr.column("price").to_numpy(),
                              tr.column("size").to_numpy(), s.open_ns, 60 * NS)
        got = {"ts": ints(bars.column("ts_event")), "open": bars.column("open").to_numpy(),
               "high": bars.column("high").to_numpy(), "low": bars.column("low").to_numpy(),
               "close": bars.column("close").to_numpy(), "volume": bars.column("volume").to_numpy(),
               "vwap": bars.column("vwap").to_numpy(), "count": bars.column("trade_count").to_numpy()}
        ref_bars.assert_bars_equal(got, want)
        assert s.open_ns <= got["ts"].min() and got["ts"].max() < s.close_ns + NS
        assert np.all((got["ts"] - s.open_ns) % (60 * NS) == 0)


def test_early_close_session_is_shorter():
    p = plan(INVARIANT_MANIFEST)
    full, early = p.sessions
    assert not full.early_close and early.early_close
    bars = {(part.symbol, part.date): rows.num_rows for part, _, rows in partitions(INVARIANT_MANIFEST, "bars_1m")}
    for sym in INVARIANT_MANIFEST.symbols:   # + 1: the closing cross prints at the close, in its own bar
        assert bars[(sym, early.date.isoformat())] <= early.seconds // 60 + 1
        assert bars[(sym, full.date.isoformat())] <= full.seconds // 60 + 1
        assert bars[(sym, full.date.isoformat())] > bars[(sym, early.date.isoformat())]


def test_subpackages_reachable_from_the_top_level():
    """README examples call fastsynth.analytics.flow(...) right after `import fastsynth`."""
    import fastsynth

    assert callable(fastsynth.analytics.flow)
    assert hasattr(fastsynth.options, "run_partition")
    with pytest.raises(AttributeError):
        fastsynth.no_such_thing
