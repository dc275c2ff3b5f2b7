;; A float32 matrix product for the browser: WebAssembly SIMD (128-bit), no BLAS.
;;
;; Pyodide's numpy has neither BLAS nor SIMD, so its `@` runs at about 2-3 GFLOP/s.
;; This kernel computes C = A @ B on numpy arrays in place in Pyodide's memory
;; (it imports that memory, as any shared library Pyodide loads does), four
;; lanes at a time in 4x8 register blocks. scripts/build_site.py assembles it
;; with wabt and prefixes the `dylink.0` section that makes it loadable with
;; ctypes.CDLL; linalg.py calls it.
;;
;; gemm(m, n, k, a, a_row, a_col, b, ldb, c, ldc):
;;   C[i, j] = sum over p of A[i, p] * B[p, j], for i < m, j < n, p < k
;;   A[i, p] is at a + 4 * (i * a_row + p * a_col)   (any strides: A may be a transposed view)
;;   B[p, j] is at b + 4 * (p * ldb + j)              (rows contiguous)
;;   C[i, j] is at c + 4 * (i * ldc + j)              (overwritten)
;; Sums run over p in order, with a separate multiply and add, so each C[i, j]
;; is the same float32 sum a plain loop would give.
(module
  (import "env" "memory" (memory 0))

  (func $gemm (export "gemm")
    (param $m i32) (param $n i32) (param $k i32)
    (param $a i32) (param $a_row i32) (param $a_col i32)
    (param $b i32) (param $ldb i32)
    (param $c i32) (param $ldc i32)
    (local $i i32) (local $j i32) (local $p i32)
    (local $pa i32) (local $pb i32) (local $pc i32)
    (local $row1 i32) (local $row2 i32) (local $row3 i32)  ;; byte offsets of rows i+1..i+3 of A
    (local $step_a i32) (local $step_b i32) (local $step_c i32)  ;; byte strides along p, p, i
    (local $n8 i32) (local $m4 i32)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $s f32)

    (local.set $row1 (i32.shl (local.get $a_row) (i32.const 2)))
    (local.set $row2 (i32.shl (local.get $row1) (i32.const 1)))
    (local.set $row3 (i32.add (local.get $row2) (local.get $row1)))
    (local.set $step_a (i32.shl (local.get $a_col) (i32.const 2)))
    (local.set $step_b (i32.shl (local.get $ldb) (i32.const 2)))
    (local.set $step_c (i32.shl (local.get $ldc) (i32.const 2)))
    (local.set $n8 (i32.and (local.get $n) (i32.const -8)))
    (local.set $m4 (i32.and (local.get $m) (i32.const -4)))

    ;; Panels of 8 columns of C.
    (local.set $j (i32.const 0))
    (block $columns_done
      (loop $columns
        (br_if $columns_done (i32.ge_s (local.get $j) (local.get $n8)))

        ;; Blocks of 4 rows: 8 accumulators of 4 lanes hold a 4x8 block of C.
        (local.set $i (i32.const 0))
        (block $rows_done
          (loop $rows
            (br_if $rows_done (i32.ge_s (local.get $i) (local.get $m4)))
            (local.set $c00 (v128.const f32x4 0 0 0 0))
            (local.set $c01 (v128.const f32x4 0 0 0 0))
            (local.set $c10 (v128.const f32x4 0 0 0 0))
            (local.set $c11 (v128.const f32x4 0 0 0 0))
            (local.set $c20 (v128.const f32x4 0 0 0 0))
            (local.set $c21 (v128.const f32x4 0 0 0 0))
            (local.set $c30 (v128.const f32x4 0 0 0 0))
            (local.set $c31 (v128.const f32x4 0 0 0 0))
            (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $row1))))
            (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $p (local.get $k))
            (block $sum_done
              (loop $sum
                (br_if $sum_done (i32.eqz (local.get $p)))
                (local.set $b0 (v128.load (local.get $pb)))
                (local.set $b1 (v128.load offset=16 (local.get $pb)))
                (local.set $x (f32x4.splat (f32.load (local.get $pa))))
                (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
                (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
                (local.set $x (f32x4.splat (f32.load (i32.add (local.get $pa) (local.get $row1)))))
                (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
                (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
                (local.set $x (f32x4.splat (f32.load (i32.add (local.get $pa) (local.get $row2)))))
                (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
                (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
                (local.set $x (f32x4.splat (f32.load (i32.add (local.get $pa) (local.get $row3)))))
                (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
                (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
                (local.set $pa (i32.add (local.get $pa) (local.get $step_a)))
                (local.set $pb (i32.add (local.get $pb) (local.get $step_b)))
                (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                (br $sum)))
            (local.set $pc (i32.add (local.get $c)
              (i32.add (i32.mul (local.get $i) (local.get $step_c)) (i32.shl (local.get $j) (i32.const 2)))))
            (v128.store (local.get $pc) (local.get $c00))
            (v128.store offset=16 (local.get $pc) (local.get $c01))
            (local.set $pc (i32.add (local.get $pc) (local.get $step_c)))
            (v128.store (local.get $pc) (local.get $c10))
            (v128.store offset=16 (local.get $pc) (local.get $c11))
            (local.set $pc (i32.add (local.get $pc) (local.get $step_c)))
            (v128.store (local.get $pc) (local.get $c20))
            (v128.store offset=16 (local.get $pc) (local.get $c21))
            (local.set $pc (i32.add (local.get $pc) (local.get $step_c)))
            (v128.store (local.get $pc) (local.get $c30))
            (v128.store offset=16 (local.get $pc) (local.get $c31))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $rows)))

        ;; The last m % 4 rows, one at a time.
        (block $tail_rows_done
          (loop $tail_rows
            (br_if $tail_rows_done (i32.ge_s (local.get $i) (local.get $m)))
            (local.set $c00 (v128.const f32x4 0 0 0 0))
            (local.set $c01 (v128.const f32x4 0 0 0 0))
            (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $row1))))
            (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $p (local.get $k))
            (block $tail_sum_done
              (loop $tail_sum
                (br_if $tail_sum_done (i32.eqz (local.get $p)))
                (local.set $x (f32x4.splat (f32.load (local.get $pa))))
                (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (v128.load (local.get $pb)))))
                (local.set $c01 (f32x4.add (local.get $c01)
                  (f32x4.mul (local.get $x) (v128.load offset=16 (local.get $pb)))))
                (local.set $pa (i32.add (local.get $pa) (local.get $step_a)))
                (local.set $pb (i32.add (local.get $pb) (local.get $step_b)))
                (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                (br $tail_sum)))
            (local.set $pc (i32.add (local.get $c)
              (i32.add (i32.mul (local.get $i) (local.get $step_c)) (i32.shl (local.get $j) (i32.const 2)))))
            (v128.store (local.get $pc) (local.get $c00))
            (v128.store offset=16 (local.get $pc) (local.get $c01))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $tail_rows)))

        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $columns)))

    ;; The last n % 8 columns, one element at a time.
    (block $tail_columns_done
      (loop $tail_columns
        (br_if $tail_columns_done (i32.ge_s (local.get $j) (local.get $n)))
        (local.set $i (i32.const 0))
        (block $elements_done
          (loop $elements
            (br_if $elements_done (i32.ge_s (local.get $i) (local.get $m)))
            (local.set $s (f32.const 0))
            (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $row1))))
            (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $p (local.get $k))
            (block $dot_done
              (loop $dot
                (br_if $dot_done (i32.eqz (local.get $p)))
                (local.set $s (f32.add (local.get $s)
                  (f32.mul (f32.load (local.get $pa)) (f32.load (local.get $pb)))))
                (local.set $pa (i32.add (local.get $pa) (local.get $step_a)))
                (local.set $pb (i32.add (local.get $pb) (local.get $step_b)))
                (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                (br $dot)))
            (f32.store (i32.add (local.get $c)
                (i32.add (i32.mul (local.get $i) (local.get $step_c)) (i32.shl (local.get $j) (i32.const 2))))
              (local.get $s))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $elements)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $tail_columns)))
  )
)
