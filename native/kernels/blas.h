// blas.h — the float/double split over CBLAS: one overload per precision, so the
// kernels are written once as templates on T and call gemm/gemv/ger by name.
#pragma once
#include <cblas.h>

namespace blasprop {

// C[M×N] = alpha · op(A) · op(B) + beta · C, all row-major.
inline void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, float alpha,
                 const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
inline void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, double alpha,
                 const double* A, int lda, const double* B, int ldb, double beta, double* C, int ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

// y = alpha · op(A) · x + beta · y, A row-major [M×N].
inline void gemv(CBLAS_TRANSPOSE ta, int M, int N, float alpha, const float* A, int lda,
                 const float* x, float beta, float* y) {
  cblas_sgemv(CblasRowMajor, ta, M, N, alpha, A, lda, x, 1, beta, y, 1);
}
inline void gemv(CBLAS_TRANSPOSE ta, int M, int N, double alpha, const double* A, int lda,
                 const double* x, double beta, double* y) {
  cblas_dgemv(CblasRowMajor, ta, M, N, alpha, A, lda, x, 1, beta, y, 1);
}

// A[M×N] += alpha · x yᵀ (outer product), A row-major.
inline void ger(int M, int N, float alpha, const float* x, const float* y, float* A, int lda) {
  cblas_sger(CblasRowMajor, M, N, alpha, x, 1, y, 1, A, lda);
}
inline void ger(int M, int N, double alpha, const double* x, const double* y, double* A, int lda) {
  cblas_dger(CblasRowMajor, M, N, alpha, x, 1, y, 1, A, lda);
}

// x *= alpha
inline void scal(int n, float alpha, float* x) { cblas_sscal(n, alpha, x, 1); }
inline void scal(int n, double alpha, double* x) { cblas_dscal(n, alpha, x, 1); }

// ‖x‖₂
inline double nrm2(int n, const float* x) { return cblas_snrm2(n, x, 1); }
inline double nrm2(int n, const double* x) { return cblas_dnrm2(n, x, 1); }

}  // namespace blasprop
