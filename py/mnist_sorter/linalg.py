"""The one place where matrix products happen, so each runtime can take its fastest path.

Natively numpy's `@` calls an optimised BLAS. Pyodide's numpy has no BLAS and
no SIMD (`@` runs at 2-3 GFLOP/s, `np.einsum` at about 5), so in the browser
products go to `gemm.wat`, a WebAssembly SIMD kernel (20-30 GFLOP/s) that the
site build assembles into `_gemm.so` next to this file and Pyodide loads as a
shared library through ctypes. Where that file is missing (a build without
it) `np.einsum` is the fallback. The choice is made once, when this module loads.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

IN_BROWSER = sys.platform == "emscripten"
KERNEL_FILE = Path(__file__).with_name("_gemm.so")
# Below this many multiply-adds the ctypes call costs more than it saves.
SMALL_PRODUCT = 4096


def _matmul_blas(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a @ b


def _matmul_einsum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,jk->ik", a, b)


def _load_kernel():
    """Return the SIMD kernel's `gemm` function, or None when it cannot be loaded."""
    if not (IN_BROWSER and KERNEL_FILE.exists()):
        return None
    import ctypes

    try:
        gemm = ctypes.CDLL(str(KERNEL_FILE)).gemm
    except (OSError, AttributeError):
        return None
    gemm.argtypes = [ctypes.c_int] * 10
    gemm.restype = None
    return gemm


def _make_matmul_simd(gemm):
    def matmul_simd(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        m, k = a.shape
        n = b.shape[1]
        if a.dtype != np.float32 or b.dtype != np.float32 or m * n * k < SMALL_PRODUCT:
            return np.einsum("ij,jk->ik", a, b)
        if min(a.strides) < 0:
            a = np.ascontiguousarray(a)
        if b.strides[1] != 4 or b.strides[0] < 0:
            b = np.ascontiguousarray(b)  # the kernel reads rows of B four lanes at a time
        out = np.empty((m, n), dtype=np.float32)
        gemm(m, n, k, a.ctypes.data, a.strides[0] // 4, a.strides[1] // 4,
             b.ctypes.data, b.strides[0] // 4, out.ctypes.data, n)
        return out

    return matmul_simd


def _choose():
    if not IN_BROWSER:
        return _matmul_blas, "numpy @ (BLAS)"
    gemm = _load_kernel()
    if gemm is None:
        return _matmul_einsum, "numpy einsum"
    return _make_matmul_simd(gemm), "WebAssembly SIMD kernel"


matmul, BACKEND = _choose()
matmul.__doc__ = "Return the matrix product a @ b of two 2-D float32 arrays."
