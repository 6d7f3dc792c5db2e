"""SIGTERM / SIGINT during ``fastsynth generate --out DIR``: real signals to a real child process.

The run stops its workers, removes this run's temporary files, keeps finished files and the run state,
prints one line saying so, and exits with 128 + signal (143 SIGTERM, 130 SIGINT); the same command run
again resumes (finished files untouched) and completes.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fastsynth.sinks import MANIFEST_NAME, SUCCESS_NAME

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

# Six symbols on one worker: a second or two of writing, and the signal is sent once a partition is
# published while the next is being written.
ARGS = ("generate", "--symbols", "IBM,F,KO,T,PFE,INTC", "--seed", "3",
        "--tables", "equity_trades,equity_quotes", "--workers", "1")


def start(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "fastsynth.cli", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def temps(root: Path) -> list[Path]:
    return [p for p in root.rglob(".*") if ".tmp-" in p.name]


def finals(root: Path, suffix: str) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob(f"*{suffix}") if not p.name.startswith(".")}


def wait_for(cond, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    """Poll ``cond()`` until true; fail if the child exits first."""
    end = time.monotonic() + timeout
    while not cond():
        if proc.poll() is not None:
            pytest.fail(f"run ended (rc {proc.returncode}) before the signal could be sent: {proc.stderr.read()}")
        if time.monotonic() > end:
            proc.kill()
            pytest.fail("timed out waiting for the run to start writing")
        time.sleep(0.005)


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_during_parquet_run_cleans_up_and_resumes(tmp_path, sig, code):
    root = tmp_path / "d"
    p = start(*ARGS, "--out", "d", cwd=tmp_path)
    # signal while a partition is published and another is being written (temp files present)
    wait_for(lambda: root.is_dir() and finals(root, ".parquet") and temps(root), p)
    os.kill(p.pid, sig)
    out, err = p.communicate(timeout=120)
    assert p.returncode == code, err
    assert "Traceback" not in err and "Aborted" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    name = signal.Signals(sig).name
    assert lines[0].startswith(f"fastsynth: interrupted by {name}: kept ")
    assert "run the same command again to resume" in lines[0]
    assert temps(root) == [], "temporary files left behind"
    assert (root / MANIFEST_NAME).is_file() and not (root / SUCCESS_NAME).exists()
    kept = finals(root, ".parquet")
    assert kept
    n_parts = len({k.rsplit("/", 1)[-1] for k in kept if k.startswith("equity_quotes/")})
    assert f"kept {n_parts} finished partition" in lines[0]

    again = subprocess.run([sys.executable, "-m", "fastsynth.cli", *ARGS, "--out", "d"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "resumed" in again.stdout
    assert (root / SUCCESS_NAME).is_file() and temps(root) == []
    done = finals(root, ".parquet")
    assert len(done) == 12
    assert {k: done[k] for k in kept} == kept       # finished files were not redone


def test_sigterm_during_ndjson_directory_run(tmp_path):
    root = tmp_path / "j"
    args = ("generate", "--symbols", "IBM,F", "--tables", "equity_trades,equity_quotes", "--format", "ndjson")
    p = start(*args, "--out", "j", cwd=tmp_path)
    wait_for(lambda: root.is_dir() and temps(root), p)
    os.kill(p.pid, signal.SIGTERM)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 143, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fastsynth: interrupted by SIGTERM"), err
    assert "run the same command again" in lines[0]
    assert temps(root) == [] and not (root / SUCCESS_NAME).exists()
    assert finals(root, ".ndjson") == {} and (root / MANIFEST_NAME).is_file()
    again = subprocess.run([sys.executable, "-m", "fastsynth.cli", *args, "--out", "j", "-q"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert (root / SUCCESS_NAME).is_file() and len(finals(root, ".ndjson")) == 2 and temps(root) == []


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _is_helper(pid: int) -> bool:
    try:
        return b"fastsynth._prefetch" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc to find the helper")
def test_sigterm_with_a_cold_cache_terminates_the_compile_helper(tmp_path):
    """With an empty Numba cache the run starts a helper process compiling the options kernels; SIGTERM to
    the run must end it too (not leave it compiling on its own)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba"), "FASTSYNTH_PREFETCH": "1"}
    p = subprocess.Popen([sys.executable, "-m", "fastsynth.cli", "generate", "--symbols", "AAPL", "--out", "o"],
                         cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    helpers: list[int] = []

    def found() -> bool:
        helpers[:] = [c for c in _children(p.pid) if _is_helper(c)]
        return bool(helpers)

    wait_for(found, p)
    os.kill(p.pid, signal.SIGTERM)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 143, err
    end = time.monotonic() + 10
    while _alive(helpers[0]) and time.monotonic() < end:
        time.sleep(0.05)
    assert not _alive(helpers[0]), "the compile helper outlived the interrupted run"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc to find the helper")
def test_ctrl_c_in_the_library_terminates_the_compile_helper(tmp_path):
    """The same through the Python API (no CLI signal handler): Ctrl-C in ``fastsynth.generate`` with an empty
    Numba cache raises KeyboardInterrupt in the caller and ends the helper at once (it would otherwise
    notice the parent is gone only after its current kernel, seconds later)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba"), "FASTSYNTH_PREFETCH": "1"}
    code = "import fastsynth; fastsynth.generate(fastsynth.Manifest(seed=7, symbols=['AAPL']))"
    p = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
    helpers: list[int] = []

    def found() -> bool:
        helpers[:] = [c for c in _children(p.pid) if _is_helper(c)]
        return bool(helpers)

    wait_for(found, p)
    time.sleep(0.5)                       # into planning / compiling
    os.kill(p.pid, signal.SIGINT)
    _, err = p.communicate(timeout=120)
    assert "KeyboardInterrupt" in err
    end = time.monotonic() + 1.5          # terminate() + wait: well under a kernel's compile time
    while _alive(helpers[0]) and time.monotonic() < end:
        time.sleep(0.05)
    assert not _alive(helpers[0]), "the compile helper outlived the interrupted generate()"
