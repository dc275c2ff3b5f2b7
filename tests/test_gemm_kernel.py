"""The browser's WebAssembly SIMD matrix kernel, run in Node against numpy.

The kernel only runs in the browser (Pyodide loads it through ctypes); here
Node instantiates it with a memory of its own, multiplies matrices written by
this test, and the results must equal numpy's to float32 rounding, for sizes
that exercise every block and tail of the kernel and for transposed views.
"""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
WABT = REPO / "node_modules" / "wabt"

RUNNER = r"""
import fs from "node:fs";
const [kernel, jobFile] = process.argv.slice(2);
const jobs = JSON.parse(fs.readFileSync(jobFile, "utf8"));
const memory = new WebAssembly.Memory({ initial: 256 });
const bytes = fs.readFileSync(kernel);
const { instance } = await WebAssembly.instantiate(bytes, { env: { memory } });
const results = [];
for (const job of jobs) {
  const heap = new Float32Array(memory.buffer);
  heap.fill(NaN);  // C must be fully overwritten
  heap.set(job.a, job.a_offset / 4);
  heap.set(job.b, job.b_offset / 4);
  instance.exports.gemm(job.m, job.n, job.k, job.a_offset, job.a_row, job.a_col,
                        job.b_offset, job.ldb, job.c_offset, job.n);
  results.push(Array.from(heap.subarray(job.c_offset / 4, job.c_offset / 4 + job.m * job.n)));
}
fs.writeFileSync(jobFile + ".out", JSON.stringify(results));
"""


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    if shutil.which("node") is None or not WABT.exists():
        pytest.skip("needs node and node_modules/wabt (scripts/setup.sh installs them)")
    folder = tmp_path_factory.mktemp("kernel")
    subprocess.run(["node", str(REPO / "scripts" / "build_kernel.mjs"),
                    str(REPO / "py" / "mnist_sorter" / "gemm.wat"), str(folder / "gemm.so")], check=True)
    (folder / "run.mjs").write_text(RUNNER)
    return folder


def run_kernel(folder, jobs):
    job_file = folder / "jobs.json"
    job_file.write_text(json.dumps(jobs))
    # Resolve nothing from node_modules: the runner imports only node built-ins.
    subprocess.run(["node", str(folder / "run.mjs"), str(folder / "gemm.so"), str(job_file)],
                   check=True, cwd=folder)
    return json.loads((folder / "jobs.json.out").read_text())


@pytest.mark.parametrize("transposed", [False, True])
def test_kernel_matches_numpy_on_every_block_and_tail(kernel, transposed):
    rng = np.random.default_rng(0)
    shapes = [(64, 784, 128), (13, 7, 19), (4, 1, 8), (1, 5, 3), (9, 64, 10), (5, 0, 8)]
    jobs, expected = [], []
    for m, k, n in shapes:
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((k, n)).astype(np.float32)
        stored = a.T.copy() if transposed else a  # A given as a transposed view of stored memory
        a_row, a_col = (1, m) if transposed else (k, 1)
        jobs.append({"m": m, "n": n, "k": k, "a": stored.ravel().tolist(), "b": b.ravel().tolist(),
                     "a_offset": 64, "b_offset": 64 + 4 * (m * k + 4), "c_offset": 64 + 4 * (m * k + k * n + 8),
                     "a_row": a_row, "a_col": a_col, "ldb": n})
        expected.append(a.astype(np.float64) @ b.astype(np.float64))
    for result, reference, (m, k, n) in zip(run_kernel(kernel, jobs), expected, shapes):
        got = np.array(result, dtype=np.float64).reshape(m, n)
        np.testing.assert_allclose(got, reference, rtol=1e-5, atol=1e-4 * max(k, 1) ** 0.5)
