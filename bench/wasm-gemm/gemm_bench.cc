// gemm_bench.cc — the three float32 gemm shapes of one training step of 784-256-128-10 at batch 128
// (forward A Wᵀ, weight gradient δᵀ A, input gradient δ W), for run.js to time. Linked with either
// native/wasm/cblas.cc or eigen_cblas.cc.
#include <cstdlib>
#include "cblas.h"

static float* buffer(size_t n) {
  float* p = static_cast<float*>(std::malloc(n * sizeof(float)));
  for (size_t k = 0; k < n; ++k) p[k] = float((k * 7919) % 1000) / 1000.0f - 0.5f;
  return p;
}

extern "C" __attribute__((export_name("step"))) float step(int reps) {
  constexpr int B = 128, sizes[4] = {784, 256, 128, 10};
  static float *A[4], *W[4], *D[4], *G[4];
  if (!A[0]) for (int l = 0; l < 4; ++l) { A[l] = buffer(B * 784); W[l] = buffer(784 * 256); D[l] = buffer(B * 784); G[l] = buffer(784 * 256); }
  for (int r = 0; r < reps; ++r)
    for (int l = 1; l < 4; ++l) {
      const int in = sizes[l - 1], out = sizes[l];
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, out, in, 1, A[l - 1], in, W[l], in, 0, A[l], out);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, B, -0.01f, D[l], out, A[l - 1], in, 1, G[l], in);
      if (l > 1) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, in, out, 1, D[l], out, W[l], in, 0, D[l - 1], in);
    }
  return G[1][0];
}
