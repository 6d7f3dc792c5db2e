"""The ``fastsynth`` command line: generate, inspect, schema, warmup, bench.

Errors the user can fix (bad values, unusable output paths) print one line and exit with status 2.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from .errors import ConfigError, FastsynthError, OutputError
from .manifest import FORMATS, MODES, Manifest, load_manifest, manifest_from_data
from .schemas import TABLES

DEFAULT_OUT = "fastsynth-data"


class _Cmd(click.Command):
    """Turn fastsynth errors into one clear line and exit status 2 (no traceback)."""

    def invoke(self, ctx: click.Context):
        from ._signals import Interrupted, stop_on_signals

        try:
            with stop_on_signals():          # SIGINT/SIGTERM: clean up, then exit 128+signal (not "Aborted!")
                return super().invoke(ctx)
        except FastsynthError as e:
            click.echo(f"fastsynth: error: {e.cli_message()}", err=True)
            ctx.exit(2)
        except Interrupted as e:
            click.echo(getattr(e, "report", None) or f"fastsynth: interrupted by {e.name}; stopped", err=True)
            ctx.exit(e.exit_code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fastsynth")
def main() -> None:
    """fastsynth: deterministic synthetic US market data — equity NBBO quotes, trade prints and 1-minute
    bars, option chains, option NBBO and prints driven by one market regime — and flow analytics.

    Same manifest, same bytes. Start with `fastsynth generate` (one session of the built-in universe into
    ./fastsynth-data as Parquet), then `fastsynth inspect fastsynth-data`.
    """


def _split(value: str | None, option: str) -> list[str] | None:
    """``"SPY, AAPL"`` -> ``["SPY", "AAPL"]``; an empty entry (``SPY,,AAPL``, a trailing comma) is an error
    rather than silently dropped: it usually means a variable expanded to nothing."""
    if value is None:
        return None
    items = [v.strip() for v in value.split(",")]
    if not all(items):
        raise ConfigError(option, value, "comma-separated names with no empty entries",
                          "e.g. equity_trades,bars_1m" if option == "--tables" else "e.g. SPY,AAPL,NVDA")
    return items


def _default_tables() -> list[str]:
    import msgspec

    return next(f for f in msgspec.structs.fields(Manifest) if f.name == "tables").default_factory()


# Manifest field -> the generate option that sets it: errors about a value typed on the command line
# name the option the user typed (--date, not the manifest's `start`).
_OPTION_OF = {"start": "--date", "days": "--days", "symbols": "--symbols", "seed": "--seed", "mode": "--mode",
              "tables": "--tables", "format": "--format", "workers": "--workers"}


@main.command(cls=_Cmd, epilog="""\b
Examples:
  fastsynth generate
  fastsynth generate --date 2026-03-02 --days 5 --symbols SPY,AAPL,NVDA --seed 7 --mode active \\
      --tables equity_trades,equity_quotes,bars_1m --format parquet --out data/
  fastsynth generate --manifest run.yaml --out data/
  fastsynth generate --symbols SPY --tables equity_trades --format ndjson --out - | head
""")
@click.option("--manifest", "manifest_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Read the run from a manifest file (.json, .yaml, .toml); options given here override it. "
                   "Example: --manifest run.yaml")
@click.option("--date", "--start", "start", metavar="YYYY-MM-DD",
              help="First session: a NYSE trading day (weekends and holidays are refused, naming the nearest "
                   "sessions). Default: 2026-03-02. Example: --date 2026-03-02")
@click.option("--days", type=str, metavar="N",
              help="Number of consecutive sessions, 1..10000. Default: 1. Example: --days 5")
@click.option("--symbols", metavar="SYM,SYM,...",
              help="Tickers from the universe, comma-separated, any case. Default: all 35 built-in names. "
                   "Example: --symbols SPY,AAPL,NVDA")
@click.option("--seed", type=str, metavar="INT",
              help="Any integer 0..2**63-1; same seed + same options = same bytes. Default: 0. Example: --seed 7")
@click.option("--mode", metavar="|".join(MODES),
              help=f"Activity scale: {' | '.join(MODES)} (1x, 4x, 20x arrivals). Default: realistic. "
                   "Example: --mode active")
@click.option("--tables", metavar="T,T,...",
              help=f"Tables to write, comma-separated, from: {', '.join(TABLES)}. "
                   f"Default: {','.join(_default_tables())}. Example: --tables equity_trades,bars_1m")
@click.option("--format", "fmt", metavar="|".join(FORMATS),
              help=f"Output format: {' | '.join(FORMATS)} (Parquet: a zstd dataset; ipc: Arrow IPC streams; "
                   "ndjson: one JSON object per line, timestamps as int64 ns since the epoch — above 2**53, "
                   "so parse them as 64-bit integers, not doubles). Default: parquet. Example: --format ndjson")
@click.option("--out", default=DEFAULT_OUT, show_default=True, metavar="DIR",
              help="Output directory (Parquet: <table>/date=D/<SYM>.parquet; ipc/ndjson: <table>.arrows / "
                   "<table>.ndjson; each with _fastsynth_manifest.json and, once finished, _SUCCESS); "
                   "'-' = stdout for ipc/ndjson (a pure stream). Example: --out data/")
@click.option("--overwrite", is_flag=True,
              help="Replace a previous fastsynth run in --out (never deletes files fastsynth did not write).")
@click.option("--workers", type=str, default=None, metavar="N",
              help="Partitions generated and encoded in parallel, Parquet only (default: one per core). "
                   "Same bytes for any N. Example: --workers 2")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on success.")
def generate(manifest_path, start, days, symbols, seed, mode, tables, fmt, out, overwrite, workers, quiet) -> None:
    """Generate a synthetic session (or several) into --out.

    Without options: one US session (2026-03-02) of the built-in 35-name universe, realistic activity,
    the default tables, as a zstd Parquet dataset under ./fastsynth-data. An interrupted run resumes where
    it stopped when started again with the same options; a finished one is left as it is (nothing to do, exit 0) unless --overwrite.
    """
    given = {f for f, v in (("start", start), ("days", days), ("symbols", symbols), ("seed", seed),
                            ("mode", mode), ("tables", tables), ("format", fmt), ("workers", workers))
             if v is not None}
    try:
        _generate(manifest_path, start, days, symbols, seed, mode, tables, fmt, out, overwrite, workers, quiet)
    except ConfigError as e:
        names = {str(manifest_path), str(Path(manifest_path))} if manifest_path else set()
        if e.field == "manifest" and e.value in names:                               # the file itself
            raise ConfigError("--manifest", e.value, e.allowed, e.hint) from None
        if e.field in names:                                                         # its top level
            raise ConfigError("--manifest", e.field, e.allowed, f"it holds {e.value}") from None
        if e.field in given:
            raise ConfigError(_OPTION_OF[e.field], e.value, e.allowed, e.hint) from None
        if getattr(e, "in_manifest_file", False):    # a value inside the file: say which file
            where = f"--manifest {manifest_path}"
            field = f"field name in {where}" if e.field == "manifest" else f"{e.field} in {where}"
            raise ConfigError(field, e.value, e.allowed, e.hint) from None
        raise
    except OutputError as e:
        msg = str(e)
        if msg.startswith("out: "):       # the library names its parameter; the CLI user typed --out
            raise OutputError("--out: " + msg[5:]) from None
        raise


def _generate(manifest_path, start, days, symbols, seed, mode, tables, fmt, out, overwrite, workers, quiet) -> None:
    from .run import run_to_parquet, run_to_stream

    data: dict = {}
    if manifest_path:
        try:
            m0 = load_manifest(manifest_path)
        except ConfigError as e:
            e.in_manifest_file = True
            raise
        import msgspec

        data = msgspec.to_builtins(m0)
    if start is not None:
        data["start"] = start
    if days is not None:
        data["days"] = _int("days", days)
    if symbols is not None:
        data["symbols"] = _match_case(_split(symbols, "--symbols"), data.get("universe"))
    if seed is not None:
        data["seed"] = _int("seed", seed)
    if mode is not None:
        data["mode"] = mode
    if tables is not None:
        data["tables"] = _table_case(_split(tables, "--tables"))
    if fmt is not None:
        data["format"] = fmt
    try:
        m = manifest_from_data(data, source="options")
    except ConfigError as e:
        e.in_manifest_file = bool(manifest_path)      # unless the field is one an option set (see generate)
        raise
    if str(out) == "-" and m.format == "parquet":
        raise ConfigError("--out", "-", "a directory for Parquet (stdout takes --format ipc or ndjson)")
    if str(out) == "-" and m.format == "ipc" and len(m.tables) != 1:
        raise ConfigError("--tables", m.tables, "exactly one table with --format ipc --out -",
                          "stdout carries one Arrow IPC stream: pass e.g. --tables equity_trades, "
                          "or write several tables to a directory")
    t0 = time.perf_counter()
    if workers is not None:
        workers = _int("workers", workers)
    from .calendar import sessions

    sessions(m.start, m.days)       # a bad --date/--days fails here, before any output or helper process
    from ._signals import Interrupted

    try:
        if m.format == "parquet":
            if overwrite:
                from .sinks._rundir import clear_stream_run

                clear_stream_run(out)       # a previous IPC/NDJSON run there: its files, not the user's
            res = run_to_parquet(m, out, overwrite=overwrite, workers=workers)
        else:
            res = run_to_stream(m, out, overwrite=overwrite)
    except Interrupted as e:
        e.report = _interrupted_report(e, m, out)
        raise
    if quiet or str(out) == "-":
        return
    if getattr(res, "already_complete", False):
        click.echo(f"fastsynth: {out} already holds this run, complete (manifest {m.content_hash()[:12]}); "
                   f"nothing to do (--overwrite regenerates it)")
        return
    total = sum(res.rows.values())
    dt = time.perf_counter() - t0
    click.echo(f"fastsynth: wrote {total:,} rows ({', '.join(f'{t} {n:,}' for t, n in res.rows.items())}) "
               f"to {out} in {dt:.2f} s ({total / max(dt, 1e-9) / 1e6:.1f} M rows/s); manifest {m.content_hash()[:12]}")
    if res.partitions_skipped:
        click.echo(f"fastsynth: resumed: {res.partitions_skipped} finished partitions kept")


def _interrupted_report(e, m: Manifest, out) -> str:
    """The one line printed when SIGINT/SIGTERM stopped a generate run (after its cleanup)."""
    head = f"fastsynth: interrupted by {e.name}"
    if str(out) == "-":
        return f"{head}; the {m.format} stream on stdout is incomplete"
    from .sinks import MANIFEST_NAME, ParquetDatasetSink, read_manifest

    root = Path(out).expanduser()
    try:
        same_run = (root / MANIFEST_NAME).is_file() and read_manifest(root)[0] == m.content_hash()
    except FastsynthError:
        same_run = False
    if not same_run:
        return f"{head} before anything was written to {out}; run the same command again to start over"
    if m.format != "parquet":
        return (f"{head}: unfinished files removed, the run's manifest kept in {out}; run the same command "
                f"again to write the {m.format} files (one pass each, so from the start)")
    n = len(ParquetDatasetSink(root, m.tables).completed_partitions())
    return (f"{head}: kept {n} finished partition{'s' if n != 1 else ''} and the run state in {out}, "
            f"unfinished files removed; run the same command again to resume")


def _load_params(path: str):
    """Analytics parameters from ``--params``; an error about a value inside the file says which file
    (``candles.late in --params a.yaml: got 'x'; ...``); one about the file itself names ``--params``."""
    from .analytics.params import load_params

    try:
        return load_params(path)
    except ConfigError as e:
        if e.field == "params":
            raise ConfigError("--params", e.value, e.allowed, e.hint) from None
        raise ConfigError(f"{e.field} in --params {path}", e.value, e.allowed, e.hint) from None


def _table_case(tables: list[str] | None) -> list[str] | None:
    """Table names typed in any case (``Equity_Trades``) as fastsynth spells them (``equity_trades``)."""
    if tables is None:
        return None
    return [t.lower() if t not in TABLES and t.lower() in TABLES else t for t in tables]


def _flag_errors(flags: dict[str, str], out: str | None = None):
    """Errors about values the user typed, named by the flag typed (``--date``, not the internal field
    ``start``); with ``out``, OutputErrors name ``--out`` and its value (not a staging temp path)."""
    import contextlib
    import re

    @contextlib.contextmanager
    def cm():
        try:
            yield
        except ConfigError as e:
            if e.field not in flags:
                raise
            raise ConfigError(flags[e.field], e.value, e.allowed, e.hint) from None
        except OutputError as e:
            if out is None:
                raise
            msg = str(e)
            name = re.escape(Path(out).name)
            msg = re.sub(r"(?:[^\s'\"]*/)?\." + name + r"\.tmp-\d+-\d+", lambda _: str(out), msg)
            if msg.startswith("out: "):
                msg = "--out: " + msg[5:]
            raise OutputError(msg) from None
    return cm()


def _match_case(symbols: list[str] | None, universe: list | None) -> list[str] | None:
    """Symbols typed in any case (``aapl``) resolved to the universe's spelling (``AAPL``) when exactly
    one symbol of the universe matches ignoring case; anything else is left for the manifest to judge."""
    if symbols is None:
        return None
    if universe is None:
        from .manifest import default_universe

        names = [s.symbol for s in default_universe()]
    else:
        names = [u.get("symbol") for u in universe if isinstance(u, dict)]
    by_upper: dict[str, list[str]] = {}
    for n in names:
        if isinstance(n, str):
            by_upper.setdefault(n.upper(), []).append(n)
    out = []
    for s in symbols:
        cands = by_upper.get(s.upper(), [])
        out.append(s if s in names or len(cands) != 1 else cands[0])
    return out


_INT_RANGES = {"days": "an integer from 1 to 10000", "seed": "an integer from 0 to 2**63-1",
               "workers": "an integer >= 1"}


def _int(field: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(field, value, _INT_RANGES.get(field, "an integer")) from None


@main.command(cls=_Cmd)
@click.argument("data_dir", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def inspect(data_dir: str, as_json: bool) -> None:
    """Summarize a generated dataset: rows per table, time span, symbols, quick realism figures.

    DATA_DIR is a `fastsynth generate --out` directory: Parquet, or IPC / NDJSON (rows, span, days and
    symbols; the realism figures are computed for Parquet only). An unfinished run is flagged."""
    from .inspect import inspect_dataset, format_report

    with _flag_errors({"data_dir": "DATA_DIR"}):
        rep = inspect_dataset(Path(data_dir))
    if as_json:
        import json

        click.echo(json.dumps(rep, indent=1, default=str))
    else:
        click.echo(format_report(rep))


@main.command(cls=_Cmd, epilog="""\b
Examples:
  fastsynth generate --symbols IBM --out data/ && fastsynth analyze data/ --out derived/
  fastsynth analyze my_prints/ --out derived/ --params analytics.yaml --rename lean
""")
@click.argument("data_dir", type=click.Path())
@click.option("--out", required=True, help="Output directory for the derived tables (hive Parquet).")
@click.option("--params", "params_path", type=click.Path(dir_okay=False),
              help="Analytics parameters (.json/.yaml/.toml; sections join, dark, candles, ...).")
@click.option("--rename", metavar="PRESET", help="Column-name preset for user data (e.g. lean).")
@click.option("--overwrite", is_flag=True, help="Replace a previous analyze output in --out.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on success.")
def analyze(data_dir, out, params_path, rename, overwrite, quiet) -> None:
    """Derive print-to-NBBO joins, inferred dark events and candles (and option flow) from a dataset.

    DATA_DIR is a `fastsynth generate` output or a user dataset in the same layout (see docs/analytics.md).
    Bad input prints one line naming the table, column and first offending row, exits 2, writes nothing.
    """
    from .analytics.io import analyze_dataset
    from .analytics.params import AnalyticsParams

    with _flag_errors({"params": "--params", "rename": "--rename", "out": "--out"}, out=out):
        params = _load_params(params_path) if params_path else AnalyticsParams()
        t0 = time.perf_counter()
        res = analyze_dataset(data_dir, out, params, rename=rename, overwrite=overwrite)
    if not quiet:
        click.echo(f"fastsynth: analyzed {res.partitions} partition(s) in {time.perf_counter() - t0:.2f} s: "
                   + ", ".join(f"{t} {n:,}" for t, n in res.rows.items()) + f" rows -> {out}")
        for why in res.skipped:
            click.echo(f"fastsynth: skipped {why}")


@main.command(cls=_Cmd)
@click.argument("table")
def schema(table: str) -> None:
    """Print a table's columns: name, Arrow type and meaning (with units)."""
    from .schemas import describe

    if table not in TABLES and table.lower() in TABLES:
        table = table.lower()
    title, fields = describe(table)
    click.echo(f"{table}: {title}")
    w = max(len(f.name) for f in fields)
    tw = max(len(str(f.type)) for f in fields)
    for f in fields:
        click.echo(f"  {f.name:<{w}}  {str(f.type):<{tw}}  {f.doc}")


# Fields of the manifest / parameters that evaluate builds from its options -> the option.
_EVALUATE_FLAGS = {"seed": "--seed", "start": "--date", "date": "--date", "symbols": "--symbols",
                   "preset": "--preset", "control.preset_id": "--preset", "params": "--params"}


@main.command(cls=_Cmd, epilog="""\b
Example:
  fastsynth evaluate --seed 7 --date 2026-03-03 --symbols AAPL
""")
@click.option("--seed", default="7", show_default=True, metavar="INT", help="Manifest seed.")
@click.option("--date", default="2026-03-03", show_default=True, metavar="YYYY-MM-DD", help="Session date.")
@click.option("--symbols", default=None, metavar="SYM,SYM", help="Symbols (default: the default universe).")
@click.option("--preset", default=None, metavar="NAME", help="Control preset (balanced_demo, event_day, ...).")
@click.option("--params", "params_path", default=None, type=click.Path(), metavar="FILE",
              help="Analytics parameters (.json/.yaml/.toml).")
def evaluate(seed, date, symbols, preset, params_path) -> None:
    """Generate a labeled session, classify it from public columns, print precision/recall per profile and
    family, the confusion matrix, the noise false-positive rate and placement agreement."""
    from .analytics.evaluate import format_report, run_evaluate

    with _flag_errors(_EVALUATE_FLAGS):
        params = _load_params(params_path) if params_path else None
        rep, _ = run_evaluate(seed=_int("seed", seed), date=date,
                              symbols=_match_case(_split(symbols, "--symbols"), None), preset=preset, params=params)
    click.echo(format_report(rep))


@main.command(cls=_Cmd)
def warmup() -> None:
    """Compile the generation and analytics kernels into Numba's on-disk cache (once after install, or
    before fanning out): later `generate` and `analyze` runs start without compiling.

    With an empty cache the options kernels compile in a second process meanwhile (both cores)."""
    from .engine import generate as _gen

    t0 = time.perf_counter()
    tabs = _gen(Manifest(seed=0, symbols=["IBM"], days=1))   # runs (so compiles) every generate kernel
    t1 = time.perf_counter()
    from .analytics.io import analyze_tables

    analyze_tables(tabs)                                     # and every kernel `fastsynth analyze` runs
    click.echo(f"fastsynth: kernels ready in {time.perf_counter() - t0:.1f} s (generation {t1 - t0:.1f} s, "
               f"analytics {time.perf_counter() - t1:.1f} s)")


@main.command(cls=_Cmd)
@click.option("--rounds", type=int, default=7, show_default=True, help="Interleaved rounds per case.")
@click.option("--quick", is_flag=True, help="Fewer rows per case (a smoke run).")
def bench(rounds: int, quick: bool) -> None:
    """Measure throughput: kernels, Arrow stream, Parquet end to end, each beside its same-run ceiling."""
    from .bench import format_table, run_bench

    click.echo(format_table(run_bench(rounds=rounds, quick=quick)))


def entry() -> None:
    """The ``fastsynth`` console script: :func:`main` in a process of its own, which may skip the shutdown
    collections over Numba's objects (``_fast_exit``; not done when ``main`` is invoked in a host
    process, e.g. by click's CliRunner)."""
    from ._fast_exit import install

    install()
    main()


if __name__ == "__main__":  # pragma: no cover
    entry()
