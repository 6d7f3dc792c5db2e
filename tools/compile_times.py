"""Per-kernel Numba compile (or cache-load) CPU time of one fresh ``generate`` run, exclusive of nested kernels.

Usage (empty cache, serial, the issue's case)::

    NUMBA_CACHE_DIR=$(mktemp -d) FASTSYNTH_PREFETCH=0 python tools/compile_times.py [SYMBOL] [SEED]

Prints the kernels by compile time and every function compiled for more than one signature (a
``Literal[int](0)`` signature means a counter initialised with the literal 0 was passed to a called
kernel: initialise it with ``np.int64(0)``). With a warm cache the times are the cache loads.
"""
import collections
import sys
import time

import numba.core.dispatcher as D

stack: list[float] = []
rec: list[tuple[float, str, str]] = []
_orig = D.Dispatcher.compile


def _compile(self, sig):
    n0 = len(self.overloads)
    stack.append(0.0)
    c0 = time.process_time()
    try:
        return _orig(self, sig)
    finally:
        tot = time.process_time() - c0
        child = stack.pop()
        if stack:
            stack[-1] += tot
        if len(self.overloads) > n0:
            name = self.py_func.__module__.replace("fastsynth.", "") + "." + self.py_func.__qualname__
            rec.append((tot - child, name, str(sig)))


D.Dispatcher.compile = _compile


def main() -> None:
    sym = sys.argv[1] if len(sys.argv) > 1 else "AAPL"
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    t0, c0 = time.perf_counter(), time.process_time()
    import fastsynth

    fastsynth.generate(fastsynth.Manifest(seed=seed, symbols=[sym]))
    print(f"process: wall {time.perf_counter() - t0:.2f} s, cpu {time.process_time() - c0:.2f} s")
    by: dict[str, list] = collections.defaultdict(lambda: [0.0, 0])
    sigs: dict[str, list[str]] = collections.defaultdict(list)
    for ex, name, sig in rec:
        by[name][0] += ex
        by[name][1] += 1
        sigs[name].append(sig)
    for name, (ex, k) in sorted(by.items(), key=lambda kv: -kv[1][0]):
        print(f"{ex:7.3f} s  x{k}  {name}")
    own = sum(v[0] for n, v in by.items() if not n.startswith("numba."))
    print(f"fastsynth kernels {own:.2f} s, Numba's own helpers {sum(v[0] for v in by.values()) - own:.2f} s")
    dup = {n: s for n, s in sigs.items() if len(s) > 1 and not n.startswith("numba.")}
    print("compiled for more than one signature:" if dup else "no kernel compiled for two signatures")
    for name, ss in dup.items():
        print(" ", name)
        for s in ss:
            print("     ", s[:300])


if __name__ == "__main__":
    main()
