"""Write docs/schemas.md from fastsynth.schemas (the one place schemas live). A test keeps it in sync.

    python tools/make_schema_docs.py
"""
from __future__ import annotations

from pathlib import Path

from fastsynth import schemas

OUT = Path(__file__).resolve().parents[1] / "docs" / "schemas.md"


def render() -> str:
    lines = ["# Table schemas", "",
             "Generated from `src/fastsynth/schemas.py` by `tools/make_schema_docs.py`; "
             "`fastsynth schema TABLE` prints the same.", "",
             "Conventions: timestamps are `timestamp[ns, UTC]`; prices are float64 USD on the instrument's "
             "tick grid (off-exchange prints on a 1/100-cent grid); sizes are shares; strings are "
             "dictionary-encoded. Names follow Databento DBN where a table corresponds "
             "(`trades`, `mbp-1`/`bbo`, `ohlcv-1m`).", ""]
    for t in schemas.TABLES:
        title, fields = schemas.describe(t)
        lines += [f"## `{t}`", "", title, "", "| column | type | meaning |", "|---|---|---|"]
        lines += [f"| `{f.name}` | `{f.type}` | {f.doc} |" for f in fields]
        lines.append("")
    lines += ["# Derived (analytics) tables", "",
              "Written by `fastsynth analyze` and the `fastsynth.analytics` functions, never by `generate` "
              "(see docs/analytics.md).", ""]
    for t in schemas.ANALYTICS_TABLES:
        title, fields = schemas.describe(t)
        lines += [f"## `{t}`", "", title, "", "| column | type | meaning |", "|---|---|---|"]
        lines += [f"| `{f.name}` | `{f.type}` | {f.doc} |" for f in fields]
        lines.append("")
    lines += ["## Codes", "",
              "Venues (MIC): " + ", ".join(f"`{v}`" for v in schemas.VENUES) + ". Off-exchange (FINRA TRF): "
              + ", ".join(f"`{v}`" for v in schemas.OFF_EXCHANGE_VENUES) + ".", "",
              "Sides: `A` buyer lifted the ask, `B` seller hit the bid, `N` none (off-exchange prints carry no "
              "aggressor on the real tape, and none here).", "",
              "Sale conditions: " + ", ".join(f"`{c}`" for c in schemas.CONDITIONS)
              + " (`@` regular, `I` odd lot, `F` intermarket sweep, `O` opening, `6` closing).", "",
              "Parquet datasets add a `date` partition column (the session's New York date) from the path "
              "`<table>/date=YYYY-MM-DD/<SYMBOL>.parquet`.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    OUT.write_text(render())
    print(f"wrote {OUT}")
