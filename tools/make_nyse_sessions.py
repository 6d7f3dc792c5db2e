"""Regenerate ``src/fastsynth/data/nyse_sessions.json`` from exchange_calendars' XNYS calendar.

Usage: ``python tools/make_nyse_sessions.py [--first 2000] [--last 2035] [--out PATH]``.
The file lists, per year, the weekday closures (with names) and the early closes (with their ET
close time); everything else Monday-Friday is a 09:30-16:00 ET session. ``tests/test_calendar.py``
checks the shipped file against exchange_calendars, so rerun this after upgrading it.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import exchange_calendars as xc

from fastsynth.calendar import _DATA_PATH, _build_table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--first", type=int, default=2000, help="first year (default 2000)")
    ap.add_argument("--last", type=int, default=2035, help="last year (default 2035)")
    ap.add_argument("--out", type=Path, default=_DATA_PATH, help=f"output file (default {_DATA_PATH})")
    args = ap.parse_args()
    years = _build_table(args.first, args.last)
    # One line per year: small, and diffs show exactly which year changed.
    lines = [f"  {json.dumps(y)}: {json.dumps(v, separators=(',', ':'), ensure_ascii=False)}"
             for y, v in years.items()]
    head = {"source": f"exchange_calendars {xc.__version__} XNYS", "first": args.first, "last": args.last,
            "open": "09:30", "close": "16:00"}
    text = json.dumps(head)[:-1] + ', "years": {\n' + ",\n".join(lines) + "\n}}\n"
    json.loads(text)  # never write a file the loader cannot read
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}: {args.first}..{args.last}, {len(text)} bytes")


if __name__ == "__main__":
    main()
