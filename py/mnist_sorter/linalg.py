"""The one place where matrix products happen, so each runtime can take its fastest path.

Natively numpy's `@` calls an optimised BLAS. Pyodide's numpy has no BLAS and
no SIMD: there `np.einsum` beats `@` (measured in the platform notes), so the
choice is made once, from the platform, when this module loads.
"""

import sys

import numpy as np

IN_BROWSER = sys.platform == "emscripten"


def _matmul_blas(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a @ b


def _matmul_einsum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,jk->ik", a, b)


matmul = _matmul_einsum if IN_BROWSER else _matmul_blas
matmul.__doc__ = "Return the matrix product a @ b of two 2-D float32 arrays."
