"""Cold start: what a fresh process imports and when the cold-cache helper process starts (no timings)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

import fastsynth
from fastsynth import _prefetch


def test_generate_does_not_import_pandas():
    """pa.array probes its input with pandas (importing it: ~0.3-0.5 s of a fresh process) and Array.take
    imports pyarrow.compute (~0.1 s); the generate path builds Arrow arrays with Array.from_buffers
    instead (fastsynth._arrow)."""
    code = ("import sys, fastsynth\n"
            "fastsynth.generate(fastsynth.Manifest(seed=7, symbols=['IBM']))\n"
            "print('pandas' in sys.modules or 'pyarrow.compute' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"FASTSYNTH_PREFETCH": "0", **_env()})
    assert res.returncode == 0, res.stderr
    assert res.stdout.split()[-1] == "False"


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "FASTSYNTH_PREFETCH"}


class _FakePopen:
    started: list[list[str]] = []

    def __init__(self, args, **kw):
        _FakePopen.started.append(args)

        class _In:
            closed = False

            def write(self, b):
                _FakePopen.spec = b

            def flush(self):
                pass

            def close(self):
                self.closed = True

        self.stdin = _In()

    def wait(self):
        return 0


@pytest.fixture
def fake(monkeypatch):
    _FakePopen.started = []
    monkeypatch.setattr(_prefetch.subprocess, "Popen", _FakePopen)
    monkeypatch.setattr(_prefetch, "_proc", None)
    monkeypatch.delenv("FASTSYNTH_PREFETCH", raising=False)
    return monkeypatch


def test_helper_starts_only_when_options_kernels_are_cold(fake):
    m = fastsynth.Manifest(seed=7, symbols=["IBM", "SPY"], days=3)
    fake.setattr(_prefetch, "_options_cache_cold", lambda: False)
    _prefetch.start(m, tuple(m.tables))
    assert _FakePopen.started == []
    fake.setattr(_prefetch, "_options_cache_cold", lambda: True)
    _prefetch.start(m, tuple(m.tables))
    assert len(_FakePopen.started) == 1
    assert _FakePopen.started[0][1:3] == ["-m", "fastsynth._prefetch"]
    claims = _FakePopen.started[0][3]
    assert os.path.isdir(claims)
    compiled = []
    fake.setattr(_prefetch, "_compile", lambda names: compiled.append(names))
    _prefetch.wait()
    # the (fake) helper claimed nothing: this process compiled every shared kernel, from the back, then joined
    assert compiled == [(n,) for n in reversed(_prefetch.EITHER)]
    assert _prefetch._proc is None and not os.path.exists(claims)


def test_shared_kernels_are_claimed_once(fake):
    """The helper claims the ``EITHER`` kernels from the front, this process from the back: each is
    compiled by exactly one of them, and this process stops at the first one the helper has claimed."""
    fake.setattr(_prefetch, "_options_cache_cold", lambda: True)
    m = fastsynth.Manifest(seed=7, symbols=["IBM"])
    _prefetch.start(m, tuple(m.tables))
    claims = _FakePopen.started[0][3]
    helper = [n for n in _prefetch.EITHER[:2] if _prefetch._claim(claims, n)]     # as the helper does
    assert helper == list(_prefetch.EITHER[:2])
    compiled = []
    fake.setattr(_prefetch, "_compile", lambda names: compiled.extend(names))
    _prefetch.wait()
    assert compiled == list(reversed(_prefetch.EITHER[2:]))
    assert not _prefetch._claim(claims, _prefetch.EITHER[0])      # the directory is gone: no late claims


def test_stop_terminates_the_helper(fake):
    """``stop()`` (the CLI's SIGINT/SIGTERM path) terminates a running helper and forgets it."""
    fake.setattr(_prefetch, "_options_cache_cold", lambda: True)
    calls = []
    fake.setattr(_FakePopen, "terminate", lambda self: calls.append("terminate"), raising=False)
    fake.setattr(_FakePopen, "wait", lambda self, timeout=None: calls.append("wait"))
    m = fastsynth.Manifest(seed=7, symbols=["IBM"])
    _prefetch.start(m, tuple(m.tables))
    claims = _FakePopen.started[0][3]
    _prefetch.stop()
    assert calls == ["terminate", "wait"] and _prefetch._proc is None and not os.path.exists(claims)
    _prefetch.stop()                                                # no helper: nothing to do
    assert calls == ["terminate", "wait"]


def test_helper_and_main_compile_disjoint_kernels():
    """Two processes must never add signatures of one function to the cache at the same time (see
    fastsynth._prefetch): the helper's and this process's shares are disjoint, and every entry point of
    either has recorded signatures."""
    helper = set(_prefetch.HELPER_FIRST) | set(_prefetch.HELPER_AFTER_PLAN)
    assert not helper & set(_prefetch.EITHER) and len(set(_prefetch.EITHER)) == len(_prefetch.EITHER)
    assert set(_prefetch.SIGNATURES) == helper | set(_prefetch.EITHER)


def test_recorded_signatures_are_current():
    """``_prefetch.SIGNATURES`` must be the signatures a 1-symbol run calls the options entry points with
    (a stale one only costs cold-start time, never bytes). Regenerate with
    ``python -m fastsynth._prefetch --record`` and paste it into ``fastsynth/_prefetch.py``."""
    code = "from fastsynth import _prefetch\nprint(repr(_prefetch.record()))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env())
    assert res.returncode == 0, res.stderr
    got = eval(res.stdout.strip().splitlines()[-1])      # noqa: S307 - our own repr of str lists
    assert got == _prefetch.SIGNATURES, "stale: run python -m fastsynth._prefetch --record"


@pytest.mark.parametrize("tables", [["equity_trades", "equity_quotes"], ["option_quotes", "option_trades"],
                                    ["option_contracts", "equity_trades"]])
def test_helper_not_started_without_parallel_work(fake, tables):
    """Only when this process has equity work to do meanwhile and the options kernels are needed."""
    fake.setattr(_prefetch, "_options_cache_cold", lambda: True)
    m = fastsynth.Manifest(seed=7, symbols=["IBM"], tables=tables)
    _prefetch.start(m, tuple(m.tables))
    assert _FakePopen.started == []


def test_helper_disabled_by_env(fake):
    fake.setattr(_prefetch, "_options_cache_cold", lambda: True)
    fake.setenv("FASTSYNTH_PREFETCH", "0")
    m = fastsynth.Manifest(seed=7, symbols=["IBM"])
    _prefetch.start(m, tuple(m.tables))
    assert _FakePopen.started == []


@pytest.mark.parametrize("setting, frozen", [(None, True), ("0", False)])
def test_cli_exit_hook_freezes_the_collector(setting, frozen):
    """The fastsynth command skips the shutdown collections over the objects alive at exit
    (fastsynth._fast_exit); FASTSYNTH_FAST_EXIT=0 keeps the default. atexit runs handlers last-in
    first-out, so a handler registered before the command runs observes the state after fastsynth's."""
    code = ("import atexit, gc\n"
            "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0))\n"
            "import sys\n"
            "sys.argv = ['fastsynth', 'schema', 'bars_1m']\n"
            "from fastsynth.cli import entry\n"
            "entry()\n")
    env = {k: v for k, v in _env().items() if k != "FASTSYNTH_FAST_EXIT"}
    if setting is not None:
        env["FASTSYNTH_FAST_EXIT"] = setting
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split()[-2:] == ["frozen", str(frozen)]


def test_library_use_keeps_the_default_exit():
    """Imported as a library (kernels loaded), fastsynth leaves the host's shutdown alone: other extensions
    (nanobind-based ones such as duckdb) report leaks when their objects are not collected at exit."""
    code = ("import atexit, gc\n"
            "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0))\n"
            "import fastsynth\n"
            "fastsynth.generate(fastsynth.Manifest(seed=7, symbols=['IBM'], tables=['bars_1m']))\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"FASTSYNTH_PREFETCH": "0", **_env()})
    assert res.returncode == 0, res.stderr
    assert res.stdout.split()[-2:] == ["frozen", "False"]
