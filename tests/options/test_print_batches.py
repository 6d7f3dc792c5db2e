"""The print rows of several blocks made one batch (``block_rows`` + ``concat_rows`` + ``trades_batch`` /
``labels_batch``, as ``options.run_partition`` does) give the same tables as one batch per block (``block``)."""
from __future__ import annotations

import pyarrow as pa

from fastsynth import schemas
from fastsynth.options.prints import concat_rows

from .prints_synth import world


def test_rows_of_several_blocks_make_the_same_tables():
    w = world()
    per_block_trades, per_block_labels = w.run(want_labels=True)
    g = w.generator(want_labels=True)
    rows = [r for qb, und, s0, s1 in w.blocks() if (r := g.block_rows(qb, und, s0, s1)) is not None]
    assert len(rows) > 1
    r = concat_rows(rows)
    trades = pa.Table.from_batches([g.trades_batch(r)], schema=schemas.schema("option_trades"))
    labels = pa.Table.from_batches([g.labels_batch(r)], schema=schemas.schema("scenario_labels"))
    assert trades.equals(per_block_trades)
    assert labels.equals(per_block_labels)
    # two groups of blocks: the same rows again
    half = len(rows) // 2
    parts = [g.trades_batch(concat_rows(rows[:half])), g.trades_batch(concat_rows(rows[half:]))]
    assert pa.Table.from_batches(parts, schema=schemas.schema("option_trades")).equals(per_block_trades)
