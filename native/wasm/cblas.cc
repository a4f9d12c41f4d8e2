// cblas.cc — the BLAS of the WebAssembly engine (wasm32, SIMD128, single-threaded): the CBLAS calls
// native/kernels/blas.h makes, for row-major storage and unit increments (cblas.h).
//
// gemm is register-blocked as in GotoBLAS: for each block of KC depths, op(A) is packed into panels
// of 4 rows and op(B) into panels of 2 vectors' worth of columns (zero-padded at the edges); a 4 × 8
// (float) or 4 × 4 (double) tile of C is accumulated in eight SIMD registers from one A panel and
// one B panel, both read sequentially, and added to C times alpha. The B panel (KC × NR) stays in
// L1 while every A panel passes over it. 4 rows measured best (6 and 8 were slower; Eigen 3.4 behind
// the same calls was 1.0–1.5× slower: bench/wasm-gemm). The packing buffers grow to the largest
// call and are then reused: no allocation per step. gemv, ger, scal and nrm2 are plain loops, with
// an explicit SIMD dot product (a floating-point reduction the compiler may not vectorize itself).
#include "cblas.h"

#include <wasm_simd128.h>

#include <cmath>
#include <cstddef>
#include <vector>

namespace {

template <typename T> struct Simd;
template <> struct Simd<float> {
  static constexpr int kLanes = 4;
  static v128_t splat(const float* p) { return wasm_v128_load32_splat(p); }
  static v128_t mul(v128_t a, v128_t b) { return wasm_f32x4_mul(a, b); }
  static v128_t add(v128_t a, v128_t b) { return wasm_f32x4_add(a, b); }
  static float sum(v128_t v) {
    return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3);
  }
};
template <> struct Simd<double> {
  static constexpr int kLanes = 2;
  static v128_t splat(const double* p) { return wasm_v128_load64_splat(p); }
  static v128_t mul(v128_t a, v128_t b) { return wasm_f64x2_mul(a, b); }
  static v128_t add(v128_t a, v128_t b) { return wasm_f64x2_add(a, b); }
  static double sum(v128_t v) { return wasm_f64x2_extract_lane(v, 0) + wasm_f64x2_extract_lane(v, 1); }
};

constexpr int kMR = 4;    // rows of the register tile
constexpr int kKC = 256;  // depth of one packed block
template <typename T> constexpr int kNR = 2 * Simd<T>::kLanes;  // columns of the register tile: two vectors

template <typename T> std::vector<T>& packed_a() { static std::vector<T> buffer; return buffer; }
template <typename T> std::vector<T>& packed_b() { static std::vector<T> buffer; return buffer; }

// Element (r, c) of op(X), X row-major with leading dimension ld.
template <typename T>
inline T element(const T* X, int ld, bool trans, int r, int c) {
  return trans ? X[size_t(c) * ld + r] : X[size_t(r) * ld + c];
}

// op(A)[0..M) × [k0, k0+kc) into panels of kMR rows: for each depth k, kMR consecutive values.
template <typename T>
void pack_a(const T* A, int lda, bool trans, int M, int k0, int kc, T* out) {
  for (int i0 = 0; i0 < M; i0 += kMR)
    for (int k = 0; k < kc; ++k)
      for (int r = 0; r < kMR; ++r) *out++ = i0 + r < M ? element(A, lda, trans, i0 + r, k0 + k) : T(0);
}

// op(B)[k0, k0+kc) × [0..N) into panels of kNR columns: for each depth k, kNR consecutive values.
template <typename T>
void pack_b(const T* B, int ldb, bool trans, int N, int k0, int kc, T* out) {
  for (int j0 = 0; j0 < N; j0 += kNR<T>)
    for (int k = 0; k < kc; ++k)
      for (int c = 0; c < kNR<T>; ++c) *out++ = j0 + c < N ? element(B, ldb, trans, k0 + k, j0 + c) : T(0);
}

// tile[kMR × kNR] = Σ_k a[k][0..kMR) ⊗ b[k][0..kNR), the packed panels of one block; the 2·kMR
// accumulators stay in registers (the loops over r are unrolled).
template <typename T>
void micro_tile(int kc, const T* a, const T* b, T* tile) {
  using S = Simd<T>;
  constexpr int W = S::kLanes;
  v128_t c[kMR][2];
  for (int r = 0; r < kMR; ++r) c[r][0] = c[r][1] = wasm_f64x2_splat(0);
  for (int k = 0; k < kc; ++k, a += kMR, b += kNR<T>) {
    const v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + W);
#pragma unroll
    for (int r = 0; r < kMR; ++r) {
      const v128_t x = S::splat(a + r);
      c[r][0] = S::add(c[r][0], S::mul(x, b0));
      c[r][1] = S::add(c[r][1], S::mul(x, b1));
    }
  }
  for (int r = 0; r < kMR; ++r) {
    wasm_v128_store(tile + r * kNR<T>, c[r][0]);
    wasm_v128_store(tile + r * kNR<T> + W, c[r][1]);
  }
}

// C[M×N] = alpha · op(A)[M×K] · op(B)[K×N] + beta · C, row-major.
template <typename T>
void gemm(bool ta, bool tb, int M, int N, int K, T alpha, const T* A, int lda, const T* B, int ldb, T beta, T* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  for (int i = 0; i < M; ++i) {
    T* c = C + size_t(i) * ldc;
    if (beta == T(0)) for (int j = 0; j < N; ++j) c[j] = T(0);
    else if (beta != T(1)) for (int j = 0; j < N; ++j) c[j] *= beta;
  }
  if (K <= 0 || alpha == T(0)) return;
  const int row_panels = (M + kMR - 1) / kMR, column_panels = (N + kNR<T> - 1) / kNR<T>;
  std::vector<T>& pa = packed_a<T>();
  std::vector<T>& pb = packed_b<T>();
  const size_t kc_max = size_t(K < kKC ? K : kKC);
  if (pa.size() < size_t(row_panels) * kMR * kc_max) pa.resize(size_t(row_panels) * kMR * kc_max);
  if (pb.size() < size_t(column_panels) * kNR<T> * kc_max) pb.resize(size_t(column_panels) * kNR<T> * kc_max);
  alignas(16) T tile[kMR * kNR<T>];
  for (int k0 = 0; k0 < K; k0 += kKC) {
    const int kc = K - k0 < kKC ? K - k0 : kKC;
    pack_a(A, lda, ta, M, k0, kc, pa.data());
    pack_b(B, ldb, tb, N, k0, kc, pb.data());
    for (int jp = 0; jp < column_panels; ++jp) {
      const int j0 = jp * kNR<T>, cols = N - j0 < kNR<T> ? N - j0 : kNR<T>;
      for (int ip = 0; ip < row_panels; ++ip) {
        const int i0 = ip * kMR, rows = M - i0 < kMR ? M - i0 : kMR;
        micro_tile(kc, pa.data() + size_t(ip) * kMR * kc, pb.data() + size_t(jp) * kNR<T> * kc, tile);
        for (int r = 0; r < rows; ++r) {
          T* c = C + size_t(i0 + r) * ldc + j0;
          for (int j = 0; j < cols; ++j) c[j] += alpha * tile[r * kNR<T> + j];
        }
      }
    }
  }
}

// Σ x[k] y[k], two vector accumulators and a scalar tail.
template <typename T>
T dot(int n, const T* x, const T* y) {
  using S = Simd<T>;
  constexpr int W = S::kLanes;
  v128_t s0 = wasm_f64x2_splat(0), s1 = s0;
  int k = 0;
  for (; k + 2 * W <= n; k += 2 * W) {
    s0 = S::add(s0, S::mul(wasm_v128_load(x + k), wasm_v128_load(y + k)));
    s1 = S::add(s1, S::mul(wasm_v128_load(x + k + W), wasm_v128_load(y + k + W)));
  }
  T sum = S::sum(S::add(s0, s1));
  for (; k < n; ++k) sum += x[k] * y[k];
  return sum;
}

// y += alpha · x
template <typename T>
void axpy(int n, T alpha, const T* x, T* y) {
  for (int k = 0; k < n; ++k) y[k] += alpha * x[k];
}

// y = alpha · op(A) x + beta · y, A row-major [M×N].
template <typename T>
void gemv(bool trans, int M, int N, T alpha, const T* A, int lda, const T* x, T beta, T* y) {
  const int ny = trans ? N : M;
  for (int i = 0; i < ny; ++i) y[i] = beta == T(0) ? T(0) : beta * y[i];
  if (trans) {
    for (int i = 0; i < M; ++i) axpy(N, alpha * x[i], A + size_t(i) * lda, y);
  } else {
    for (int i = 0; i < M; ++i) y[i] += alpha * dot(N, A + size_t(i) * lda, x);
  }
}

// A[M×N] += alpha · x yᵀ
template <typename T>
void ger(int M, int N, T alpha, const T* x, const T* y, T* A, int lda) {
  for (int i = 0; i < M; ++i) axpy(N, alpha * x[i], y, A + size_t(i) * lda);
}

template <typename T>
double nrm2(int n, const T* x) {
  double sum = 0;
  for (int k = 0; k < n; ++k) sum += double(x[k]) * double(x[k]);
  return std::sqrt(sum);
}

template <typename T>
void scal(int n, T alpha, T* x) {
  for (int k = 0; k < n; ++k) x[k] *= alpha;
}

}  // namespace

extern "C" {
void cblas_sgemm(CBLAS_ORDER, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, float alpha, const float* A, int lda,
                 const float* B, int ldb, float beta, float* C, int ldc) {
  gemm(ta != CblasNoTrans, tb != CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
void cblas_dgemm(CBLAS_ORDER, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, double alpha, const double* A, int lda,
                 const double* B, int ldb, double beta, double* C, int ldc) {
  gemm(ta != CblasNoTrans, tb != CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
void cblas_sgemv(CBLAS_ORDER, CBLAS_TRANSPOSE ta, int M, int N, float alpha, const float* A, int lda, const float* x, int, float beta,
                 float* y, int) {
  gemv(ta != CblasNoTrans, M, N, alpha, A, lda, x, beta, y);
}
void cblas_dgemv(CBLAS_ORDER, CBLAS_TRANSPOSE ta, int M, int N, double alpha, const double* A, int lda, const double* x, int,
                 double beta, double* y, int) {
  gemv(ta != CblasNoTrans, M, N, alpha, A, lda, x, beta, y);
}
void cblas_sger(CBLAS_ORDER, int M, int N, float alpha, const float* x, int, const float* y, int, float* A, int lda) {
  ger(M, N, alpha, x, y, A, lda);
}
void cblas_dger(CBLAS_ORDER, int M, int N, double alpha, const double* x, int, const double* y, int, double* A, int lda) {
  ger(M, N, alpha, x, y, A, lda);
}
void cblas_sscal(int n, float alpha, float* x, int) { scal(n, alpha, x); }
void cblas_dscal(int n, double alpha, double* x, int) { scal(n, alpha, x); }
float cblas_snrm2(int n, const float* x, int) { return float(nrm2(n, x)); }
double cblas_dnrm2(int n, const double* x, int) { return nrm2(n, x); }
}
