"""Numba kernels: pure functions over numpy arrays (arrays and scalars in, arrays out).

Every kernel is compiled through :func:`fastsynth.kernels._jit.kernel`, which owns the Numba options
(``cache=True, nogil=True, error_model="numpy"``, never ``fastmath`` or ``parallel``). Importing this
package does not import Numba; import the concern module you need (``kernels.rng``, ``kernels.equities``...).
"""
