"""End-to-end tests of the ``fastsynth`` command line, run in subprocesses exactly as a user would
(``python -m fastsynth.cli ...``), plus two source-level guards: ``import fastsynth`` stays cheap, and
every kernel goes through the one decorator module ``kernels/_jit.py``.

Runs are small (IBM, optionally F, one session) so each subprocess takes about a second.
"""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

import fastsynth
from fastsynth import Manifest
from fastsynth.sinks import MANIFEST_NAME, SUCCESS_NAME

KERNELS_DIR = Path(fastsynth.__file__).parent / "kernels"


def cli(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fastsynth.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "PYTHONWARNINGS": "error"})


def ok(res: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert res.returncode == 0, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    return res


def one_line_error(res: subprocess.CompletedProcess) -> str:
    """A user error: non-zero exit, exactly one stderr line, no traceback, nothing on stdout."""
    assert res.returncode != 0, res.stdout
    assert "Traceback" not in res.stderr, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("fastsynth: error: "), lines[0]
    assert res.stdout == ""
    return lines[0]


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------------------------- happy paths
@pytest.mark.slow
def test_generate_then_inspect(tmp_path):
    res = ok(cli("generate", "--symbols", "IBM", "--seed", "4", "--tables", "equity_trades,bars_1m",
                 "--out", "data", cwd=tmp_path))
    assert "wrote" in res.stdout and "rows" in res.stdout
    root = tmp_path / "data"
    assert (root / SUCCESS_NAME).is_file() and (root / MANIFEST_NAME).is_file()
    want = fastsynth.generate(Manifest(seed=4, symbols=["IBM"], tables=["equity_trades", "bars_1m"]))
    for t, tbl in want.items():
        assert (root / t / "date=2026-03-02" / "IBM.parquet").is_file()
        got = ds.dataset(root / t, format="parquet", partitioning="hive").to_table()
        assert got.num_rows == tbl.num_rows > 0
    assert not (root / "equity_quotes").exists()
    rep = ok(cli("inspect", "data", cwd=tmp_path)).stdout
    for t, tbl in want.items():
        line = next(ln for ln in rep.splitlines() if ln.strip().startswith(t))
        assert f"{tbl.num_rows:,} rows" in line
    js = json.loads(ok(cli("inspect", "--json", "data", cwd=tmp_path)).stdout)
    assert js["tables"]["bars_1m"]["rows"] == want["bars_1m"].num_rows
    assert js["tables"]["bars_1m"]["symbols"] == ["IBM"]


def test_schema_lists_fields(tmp_path):
    out = ok(cli("schema", "equity_trades", cwd=tmp_path)).stdout
    assert out.startswith("equity_trades: ")
    body = out.splitlines()[1:]
    assert [ln.split()[0] for ln in body] == fastsynth.schema("equity_trades").names
    assert any("double" in ln for ln in body if ln.split()[0] == "price")
    err = one_line_error(cli("schema", "equity_trade", cwd=tmp_path))
    assert "'equity_trade'" in err and "did you mean 'equity_trades'?" in err


def test_ndjson_to_stdout(tmp_path):
    res = ok(cli("generate", "--format", "ndjson", "--out", "-", "--symbols", "IBM", "--tables", "bars_1m",
                 cwd=tmp_path))
    rows = [json.loads(ln) for ln in res.stdout.splitlines()]
    want = fastsynth.generate(Manifest(symbols=["IBM"], tables=["bars_1m"]))["bars_1m"]
    assert len(rows) == want.num_rows > 0
    assert all(list(r) == want.schema.names for r in rows)
    assert {r["symbol"] for r in rows} == {"IBM"}
    assert [r["close"] for r in rows] == want.column("close").to_pylist()
    assert [r["ts_event"] for r in rows] == want.column("ts_event").cast(pa.int64()).to_pylist()
    assert list(tmp_path.iterdir()) == []  # nothing written to the working directory


def test_ipc_directory(tmp_path):
    ok(cli("generate", "--format", "ipc", "--out", "arrows", "--symbols", "IBM", "--seed", "6",
           "--tables", "equity_trades,bars_1m", "-q", cwd=tmp_path))
    root = tmp_path / "arrows"
    assert sorted(p.name for p in root.iterdir()) == sorted([MANIFEST_NAME, SUCCESS_NAME, "bars_1m.arrows",
                                                             "equity_trades.arrows"])
    want = fastsynth.generate(Manifest(seed=6, symbols=["IBM"], tables=["equity_trades", "bars_1m"]))
    for t, tbl in want.items():
        with pa.OSFile(str(root / f"{t}.arrows")) as f:
            got = pa.ipc.open_stream(f).read_all()
        assert got.schema.equals(fastsynth.schema(t))
        assert got.combine_chunks().equals(tbl.combine_chunks())  # same bytes in another process


def test_rerun_without_overwrite(tmp_path):
    args = ("generate", "--symbols", "IBM", "--tables", "bars_1m", "--out", "d", "-q")
    ok(cli(*args, cwd=tmp_path))
    before = files(tmp_path / "d")
    res = ok(cli(*args[:-1], cwd=tmp_path))        # same run again: nothing to do, exit 0 (make-style)
    assert "already holds this run, complete" in res.stdout and "nothing to do" in res.stdout
    assert files(tmp_path / "d") == before
    ok(cli(*args, "--overwrite", cwd=tmp_path))
    after = files(tmp_path / "d")
    after.pop(SUCCESS_NAME), before.pop(SUCCESS_NAME)
    assert after == before


@pytest.mark.slow
def test_resume_after_interruption(tmp_path):
    args = ("generate", "--symbols", "IBM,F", "--seed", "2", "--tables", "equity_trades,bars_1m", "--out", "d")
    first = ok(cli(*args, cwd=tmp_path))
    assert "resumed" not in first.stdout
    root = tmp_path / "d"
    complete = files(root)
    complete.pop(SUCCESS_NAME)
    # simulate a run killed before it finished partition F: no _SUCCESS, no F files
    (root / SUCCESS_NAME).unlink()
    removed = [p for p in root.rglob("F.parquet")]
    assert len(removed) == 2
    for p in removed:
        p.unlink()
    again = ok(cli(*args, cwd=tmp_path))
    assert "resumed" in again.stdout and "1 finished partition" in again.stdout
    assert (root / SUCCESS_NAME).is_file()
    now = files(root)
    now.pop(SUCCESS_NAME)
    assert now == complete  # complete and byte-identical
    # and complete means: a third run sees a finished dataset and does nothing
    assert "nothing to do" in ok(cli(*args, cwd=tmp_path)).stdout
    assert files(root) == {**now, SUCCESS_NAME: files(root)[SUCCESS_NAME]}


# -------------------------------------------------------------------------------------- bad inputs
BAD = {
    "unknown symbol": (["--symbols", "IBM,IBMM"], ["--symbols: ", "'IBMM'", "did you mean 'IBM'?"]),
    "weekend date": (["--date", "2026-03-07"], ["--date: ", "2026-03-07", "2026-03-06", "2026-03-09"]),
    "holiday date": (["--date", "2026-07-03"], ["--date: ", "2026-07-03", "2026-07-02", "2026-07-06"]),
    "zero days": (["--days", "0"], ["--days: ", "got 0", "1 to 10000"]),
    "negative days": (["--days", "-3"], ["--days: ", "got -3", "1 to 10000"]),
    "non-numeric days": (["--days", "two"], ["--days: ", "'two'", "an integer from 1 to 10000"]),
    "unknown table": (["--tables", "bars_1m,equity_trade"], ["--tables: ", "'equity_trade'", "did you mean 'equity_trades'?"]),
    "unknown format": (["--format", "csv"], ["--format: ", "'csv'", "parquet | ipc | ndjson"]),
    "unknown mode": (["--mode", "fire"], ["--mode: ", "'fire'", "realistic | active | firehose"]),
    "non-numeric seed": (["--seed", "abc"], ["--seed: ", "'abc'", "an integer from 0"]),
    "negative seed": (["--seed", "-1"], ["--seed: ", "-1"]),
    "parquet to stdout": (["--out", "-"], ["--out", "'-'"]),
    "zero workers": (["--workers", "0"], ["--workers: ", "0"]),
    "malformed date": (["--date", "2026-3-2"], ["--date: ", "'2026-3-2'", "YYYY-MM-DD"]),
    "date out of range": (["--date", "1800-01-02"], ["--date: ", "'1800-01-02'"]),
    "too many days": (["--days", "100000"], ["--days: ", "100000"]),
    "ipc stdout, several tables": (["--format", "ipc", "--out", "-"], ["tables", "exactly one table"]),
    "unknown symbol, wrong case": (["--symbols", "ibmm"], ["--symbols: ", "'ibmm'", "did you mean 'IBM'?"]),
    # lists read as plain comma lists, not Python reprs
    "duplicate tables": (["--tables", "bars_1m,bars_1m"], ["--tables: got bars_1m, bars_1m; allowed: each table"]),
    "ipc stdout, two tables": (["--format", "ipc", "--out", "-", "--tables", "bars_1m,equity_trades"],
                               ["--tables: got bars_1m, equity_trades; allowed: exactly one table"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_option(tmp_path, case):
    args, needles = BAD[case]
    if "--out" not in args:
        args = [*args, "--out", "out"]
    if "--symbols" not in args:
        args = [*args, "--symbols", "IBM"]
    res = cli("generate", *args, cwd=tmp_path)
    err = one_line_error(res)
    assert res.returncode == 2
    for s in needles:
        assert s in err, (s, err)
    assert "['" not in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == [], "a failed run left output behind"


def test_non_numeric_workers(tmp_path):
    err = one_line_error(cli("generate", "--workers", "abc", "--symbols", "IBM", "--out", "out", cwd=tmp_path))
    assert "workers" in err and "'abc'" in err


def test_inspect_missing_directory(tmp_path):
    err = one_line_error(cli("inspect", "nothere", cwd=tmp_path))
    assert "'nothere'" in err


@pytest.mark.parametrize("name,text,needles", [
    ("bad.json", '{"seed": 1,', ["manifest", "bad.json", "valid JSON"]),
    ("bad.yaml", "seed: [1, 2\nsymbols: [IBM]\n", ["manifest", "bad.yaml", "valid YAML"]),
    ("bad.toml", "seed = \n", ["manifest", "bad.toml", "valid TOML"]),
    ("unknown.json", '{"seed": 1, "sedd": 2, "symbols": ["IBM"]}', ["field name in --manifest unknown.json: got 'sedd'", "did you mean 'seed'?"]),
    ("unknown.yaml", "symbol: [IBM]\n", ["'symbol'", "did you mean 'symbols'?"]),
    ("badvalue.toml", 'symbols = ["IBM"]\ndays = 0\n', ["days", "got 0"]),
    # type errors in plain words, naming the manifest field (not msgspec's "Expected `int`")
    ("badtype.yaml", "seed: abc\nsymbols: [IBM]\n", ["seed in --manifest badtype.yaml: got 'abc'", "an integer", "got a string"]),
    ("badlist.json", '{"symbols": "IBM"}', ["symbols in --manifest badlist.json: got 'IBM'", "a list", "got a string"]),
    ("badnested.json", '{"symbols": ["IBM"], "universe": [{"symbol": "IBM", "price": "high"}]}',
     ["universe[0].price", "a number", "got a string"]),
    ("lowercase.yaml", "symbols: [ibm]\n", ["symbols in --manifest lowercase.yaml: got 'ibm'", "did you mean 'IBM'?"]),
    # an empty (or comments-only) file is named as such, not "NoneType"
    ("empty.yaml", "", ["--manifest: got 'empty.yaml'", "manifest file empty.yaml is empty"]),
    ("empty.json", "\n", ["--manifest: got 'empty.json'", "manifest file empty.json is empty"]),
    ("comments.yaml", "# nothing yet\n", ["--manifest: got 'comments.yaml'", "holds no values"]),
    ("list.json", "[1, 2]", ["--manifest: got 'list.json'", "a mapping of manifest fields", "it holds a list"]),
])
def test_bad_manifest_file(tmp_path, name, text, needles):
    (tmp_path / name).write_text(text)
    err = one_line_error(cli("generate", "--manifest", name, "--out", "out", cwd=tmp_path))
    for s in needles:
        assert s in err, (s, err)
    assert "NoneType" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_manifest_errors_have_no_msgspec_wording(tmp_path):
    (tmp_path / "m.json").write_text('{"days": "2", "symbols": ["IBM"]}')
    err = one_line_error(cli("generate", "--manifest", "m.json", "--out", "out", cwd=tmp_path))
    assert err == "fastsynth: error: days in --manifest m.json: got '2'; allowed: an integer (got a string)"
    assert "Expected" not in err and "`" not in err


def test_lowercase_symbols_are_accepted(tmp_path):
    res = ok(cli("generate", "--symbols", "ibm", "--tables", "bars_1m", "--format", "ndjson", "--out", "-",
                 cwd=tmp_path))
    rows = [json.loads(ln) for ln in res.stdout.splitlines()]
    assert rows and {r["symbol"] for r in rows} == {"IBM"}


def test_missing_manifest_file(tmp_path):
    err = one_line_error(cli("generate", "--manifest", "nope.yaml", "--out", "out", cwd=tmp_path))
    assert "nope.yaml" in err
    assert list(tmp_path.iterdir()) == []


def test_manifest_file_with_overrides(tmp_path):
    (tmp_path / "run.yaml").write_text("seed: 5\nsymbols: [IBM]\ntables: [bars_1m]\nformat: ndjson\n")
    res = ok(cli("generate", "--manifest", "run.yaml", "--seed", "6", "--out", "-", cwd=tmp_path))
    want = fastsynth.generate(Manifest(seed=6, symbols=["IBM"], tables=["bars_1m"]))["bars_1m"]
    assert [json.loads(ln)["vwap"] for ln in res.stdout.splitlines()] == want.column("vwap").to_pylist()


def test_unwritable_output_path(tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("not a directory")
    out = blocker / "sub"
    err = one_line_error(cli("generate", "--symbols", "IBM", "--tables", "bars_1m", "--out", str(out),
                             cwd=tmp_path))
    assert str(out) in err
    assert blocker.read_text() == "not a directory"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_generate_help_mentions_every_option(tmp_path):
    from fastsynth.cli import generate as generate_cmd

    text = ok(cli("generate", "--help", cwd=tmp_path)).stdout
    opts = [o for p in generate_cmd.params for o in (*p.opts, *p.secondary_opts) if o.startswith("-")]
    assert len(opts) >= 12
    missing = [o for o in opts if o not in text]
    assert missing == []
    assert "Examples:" in text
    example = text[text.index("Examples:"):]
    assert "fastsynth generate --" in example and "--manifest" in example
    assert "Traceback" not in text
    # every option that takes a value shows an example of it
    for p in generate_cmd.params:
        if getattr(p, "is_flag", False) or not p.opts[0].startswith("--"):
            continue
        assert f"Example: {p.opts[0]} " in (p.help or ""), p.opts[0]


# -------------------------------------------------------------------------------------- cold start
# Heavy modules that must load on first use, never on `import fastsynth` (CONVENTIONS: cold start).
LAZY = ("numba", "llvmlite", "pandas", "exchange_calendars", "scipy", "pyarrow.compute", "pyarrow.parquet",
        "pyarrow.dataset", "click", "yaml", "polars", "duckdb", "fastsynth.kernels.rng",
        "fastsynth.kernels.equities")


def test_import_is_cheap(tmp_path):
    code = "import json, sys, fastsynth; print(json.dumps(sorted(sys.modules)))"
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120, check=True)
    mods = set(json.loads(res.stdout))
    assert "fastsynth" in mods
    loaded = sorted(m for m in mods for lazy in LAZY if m == lazy or m.startswith(lazy + "."))
    assert loaded == []


# ----------------------------------------------------------------------------------- kernel options
RAW_JIT_NAMES = {"njit", "jit", "generated_jit"}


def _kernel_violations(path: Path) -> list[str]:
    """Raw Numba decorators and banned options in one kernel module (AST: docstrings don't count)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = []
    for node in ast.walk(tree):
        where = f"{path.name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "numba":
            bad += [f"{where}: from numba import {a.name}" for a in node.names if a.name in RAW_JIT_NAMES]
        elif isinstance(node, ast.Attribute) and node.attr in RAW_JIT_NAMES:
            bad.append(f"{where}: raw .{node.attr}")
        elif isinstance(node, ast.Name) and node.id in RAW_JIT_NAMES:
            bad.append(f"{where}: raw {node.id}")
        elif isinstance(node, ast.keyword) and node.arg == "fastmath":
            bad.append(f"{where}: fastmath=")
        elif isinstance(node, ast.keyword) and node.arg == "parallel" and not (
                isinstance(node.value, ast.Constant) and not node.value.value):
            bad.append(f"{where}: parallel=")
        elif isinstance(node, ast.Name) and node.id == "prange" or isinstance(node, ast.Attribute) \
                and node.attr == "prange":
            bad.append(f"{where}: prange")
    return bad


def test_kernels_use_the_jit_module_only():
    modules = sorted(p for p in KERNELS_DIR.glob("*.py") if p.name not in ("_jit.py", "__init__.py"))
    assert {"rng.py", "bars.py", "equities.py"} <= {p.name for p in modules}
    violations = [v for p in modules for v in _kernel_violations(p)]
    assert violations == [], "use fastsynth.kernels._jit.kernel / inline_kernel:\n" + "\n".join(violations)
    # every module that defines kernels imports them from _jit
    for p in modules:
        src = p.read_text(encoding="utf-8")
        if "@kernel" in src or "@inline_kernel" in src:
            assert "from ._jit import" in src, p.name


def test_jit_module_options():
    from fastsynth.kernels import _jit

    for deco in (_jit.kernel, _jit.inline_kernel):
        assert deco.keywords.get("cache") is True and deco.keywords.get("nogil") is True
        assert "fastmath" not in deco.keywords and not deco.keywords.get("parallel", False)


def test_the_guard_catches_raw_njit(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('"""@njit in a docstring is fine."""\nimport numba\nfrom numba import njit\n\n'
                   "@numba.njit(fastmath=True, parallel=True)\ndef f(x):\n    return x\n\n"
                   "g = numba.jit(lambda x: x)\n")
    found = _kernel_violations(bad)
    assert any("from numba import njit" in v for v in found)
    assert any("raw .njit" in v for v in found) and any("raw .jit" in v for v in found)
    assert any("fastmath" in v for v in found) and any("parallel" in v for v in found)
    assert not any(":1:" in v for v in found)  # the docstring did not count


def test_empty_symbol_entry_is_an_error(tmp_path):
    err = one_line_error(cli("generate", "--symbols", "SPY,,AAPL", "--tables", "bars_1m", "--out", "d",
                             cwd=tmp_path))
    assert "--symbols: got 'SPY,,AAPL'" in err and "no empty entries" in err
    assert not (tmp_path / "d").exists()


def test_unwritable_output_names_the_option(tmp_path):
    (tmp_path / "afile").write_text("x")
    err = one_line_error(cli("generate", "--symbols", "IBM", "--tables", "bars_1m", "--out",
                             str(tmp_path / "afile" / "sub"), cwd=tmp_path))
    assert err.startswith("fastsynth: error: --out: got ") and "allowed: a directory" in err


def test_warmup_compiles_generation_and_analytics(tmp_path):
    res = ok(cli("warmup", cwd=tmp_path))
    assert "kernels ready" in res.stdout and "analytics" in res.stdout


def test_table_names_any_case(tmp_path):
    res = ok(cli("generate", "--symbols", "IBM", "--tables", "Bars_1M", "--format", "ndjson", "--out", "-",
                 cwd=tmp_path))
    assert res.stdout and json.loads(res.stdout.splitlines()[0])["symbol"] == "IBM"
    assert ok(cli("schema", "Equity_Trades", cwd=tmp_path)).stdout.startswith("equity_trades: ")


@pytest.mark.parametrize("args,needles", [
    (["--seed", "x"], ["--seed: got 'x'"]),
    (["--date", "2026-03-07"], ["--date: got '2026-03-07'", "2026-03-06"]),
    (["--symbols", "ZZZ"], ["--symbols: got 'ZZZ'"]),
    (["--preset", "nope"], ["--preset: got 'nope'", "balanced_demo"]),
    (["--params", "p.yaml"], ["--params: got 'p.yaml'", "is empty"]),
    (["--params", "q.yaml"], ["foo in --params q.yaml: got 1; allowed: sections "]),
])
def test_evaluate_errors_name_the_option(tmp_path, args, needles):
    (tmp_path / "p.yaml").write_text("")
    (tmp_path / "q.yaml").write_text("foo: 1\n")
    res = cli("evaluate", *args, cwd=tmp_path)
    err = one_line_error(res)
    assert res.returncode == 2
    for s in needles:
        assert s in err, (s, err)


def test_analyze_errors_name_out_not_a_temp_path(tmp_path):
    ok(cli("generate", "--symbols", "IBM", "--tables", "equity_trades", "--out", "d", "-q", cwd=tmp_path))
    long_out = "o" * 240         # the staging name (.<out>.tmp-<pid>-<tid>) is too long for the filesystem
    res = cli("analyze", "d", "--out", long_out, cwd=tmp_path)
    err = one_line_error(res)
    assert res.returncode == 2
    assert err.startswith(f"fastsynth: error: --out: got '{long_out}'") and ".tmp-" not in err
    (tmp_path / "p.yaml").write_text("# empty\n")
    err = one_line_error(cli("analyze", "d", "--out", "o", "--params", "p.yaml", cwd=tmp_path))
    assert "--params: got 'p.yaml'" in err
    err = one_line_error(cli("analyze", "d", "--out", "o", "--rename", "nope", cwd=tmp_path))
    assert "--rename: got 'nope'" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d", "p.yaml"]


def test_ndjson_and_ipc_directories_have_the_run_contract(tmp_path):
    """--format ndjson|ipc --out DIR: manifest + _SUCCESS like Parquet, `inspect` reads them, a finished
    identical rerun is 'nothing to do', another run is refused unless --overwrite, which leaves no stale
    tables; a Parquet --overwrite replaces a stream run."""
    base = ("generate", "--symbols", "IBM", "--seed", "5")
    ok(cli(*base, "--format", "ndjson", "--tables", "equity_trades,bars_1m", "--out", "j", "-q", cwd=tmp_path))
    root = tmp_path / "j"
    assert sorted(p.name for p in root.iterdir()) == sorted([MANIFEST_NAME, SUCCESS_NAME, "bars_1m.ndjson",
                                                             "equity_trades.ndjson"])
    want = fastsynth.generate(Manifest(seed=5, symbols=["IBM"], tables=["equity_trades", "bars_1m"]))
    rep = json.loads(ok(cli("inspect", "--json", "j", cwd=tmp_path)).stdout)
    assert rep["format"] == "ndjson" and rep["complete"] is True
    for t, tbl in want.items():
        ts = tbl.column("ts_event").cast(pa.int64())
        info = rep["tables"][t]
        assert info["rows"] == tbl.num_rows and info["symbols"] == ["IBM"] and info["dates"] == ["2026-03-02"]
        assert info["first"] == str(pa.scalar(ts[0].as_py(), pa.timestamp("ns", tz="UTC")).as_py())
    text = ok(cli("inspect", "j", cwd=tmp_path)).stdout
    assert f"{want['bars_1m'].num_rows:,} rows" in text and "unfinished" not in text
    before = files(root)
    again = ok(cli(*base, "--format", "ndjson", "--tables", "equity_trades,bars_1m", "--out", "j", cwd=tmp_path))
    assert "nothing to do" in again.stdout and files(root) == before
    err = one_line_error(cli(*base, "--format", "ndjson", "--tables", "bars_1m", "--out", "j", cwd=tmp_path))
    assert "holds a different fastsynth run" in err and "--overwrite" in err
    ok(cli(*base, "--format", "ipc", "--tables", "bars_1m", "--out", "j", "--overwrite", "-q", cwd=tmp_path))
    assert sorted(p.name for p in root.iterdir()) == sorted([MANIFEST_NAME, SUCCESS_NAME, "bars_1m.arrows"])
    rep = json.loads(ok(cli("inspect", "--json", "j", cwd=tmp_path)).stdout)
    assert rep["format"] == "ipc" and rep["tables"]["bars_1m"]["rows"] == want["bars_1m"].num_rows
    ok(cli(*base, "--tables", "bars_1m", "--out", "j", "--overwrite", "-q", cwd=tmp_path))
    assert sorted(p.name for p in root.iterdir()) == sorted([MANIFEST_NAME, SUCCESS_NAME, "bars_1m"])


def test_parquet_overwrite_removes_the_previous_runs_tables(tmp_path):
    base = ("generate", "--symbols", "IBM", "--out", "d", "-q")
    ok(cli(*base, "--tables", "equity_trades,bars_1m", cwd=tmp_path))
    (tmp_path / "d" / SUCCESS_NAME).unlink()               # even an unfinished previous run
    ok(cli(*base, "--tables", "bars_1m", "--overwrite", cwd=tmp_path))
    root = tmp_path / "d"
    assert sorted(p.name for p in root.iterdir()) == sorted([MANIFEST_NAME, SUCCESS_NAME, "bars_1m"])
    rep = json.loads(ok(cli("inspect", "--json", "d", cwd=tmp_path)).stdout)
    assert list(rep["tables"]) == ["bars_1m"] and rep["complete"] is True
    (root / SUCCESS_NAME).unlink()
    assert "unfinished run" in ok(cli("inspect", "d", cwd=tmp_path)).stdout
