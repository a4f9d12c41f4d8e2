// cblas.h for the WebAssembly build: the part of the CBLAS interface that native/kernels/blas.h
// calls, implemented in native/wasm/cblas.cc (SIMD128). Only what the kernels use is supported:
// row-major storage and unit vector increments.
#pragma once

enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 };
enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113 };

extern "C" {
void cblas_sgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, float alpha, const float* A, int lda,
                 const float* B, int ldb, float beta, float* C, int ldc);
void cblas_dgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, double alpha, const double* A,
                 int lda, const double* B, int ldb, double beta, double* C, int ldc);
void cblas_sgemv(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, int M, int N, float alpha, const float* A, int lda, const float* x, int incx,
                 float beta, float* y, int incy);
void cblas_dgemv(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, int M, int N, double alpha, const double* A, int lda, const double* x,
                 int incx, double beta, double* y, int incy);
void cblas_sger(CBLAS_ORDER order, int M, int N, float alpha, const float* x, int incx, const float* y, int incy, float* A, int lda);
void cblas_dger(CBLAS_ORDER order, int M, int N, double alpha, const double* x, int incx, const double* y, int incy, double* A,
                int lda);
void cblas_sscal(int n, float alpha, float* x, int incx);
void cblas_dscal(int n, double alpha, double* x, int incx);
float cblas_snrm2(int n, const float* x, int incx);
double cblas_dnrm2(int n, const double* x, int incx);
}
