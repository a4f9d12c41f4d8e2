// products.cpp — reproduces issue 11's measurements before anything is built on them: the matrix
// products of one training step, timed by library. For every layer l of the network (W^l [out × in],
// batch B) a step has
//   forward          Z[B × out]  = A[B × in] · Wᵀ          (every layer)
//   input gradient   dX[B × in]  = Δ[B × out] · W          (layers l > 1)
//   weight gradient  dW[out × in] += Δᵀ[out × B] · A[B × in] (every layer)
// and this program runs those products, nothing else, with
//   openblas   cblas_sgemm (what native/kernels/dense.h calls today)
//   dnnl_sgemm oneDNN's BLAS-like entry point
//   matmul     oneDNN matmul primitives, f32, created once per shape, plain row-major memory
//   bf16       the same primitives with bf16 sources and weights and f32 results (conversion not timed)
//   blasprop   the addon's own oneDNN engine (native/products/onednn.h, OnednnProducts), f32 and bf16;
//              bf16 includes what the engine does around the matmuls: rounding a^(l-1), W^l and δ^l
//              to bf16 and the transposed, scaled copy of δ for the weight gradient
// The libraries alternate within every repetition so that all see the same machine load; the
// medians of the repetitions are printed.
//
// Build and run: bench/onednn/run.sh [threads...]   (default: 1 2)
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "oneapi/dnnl/dnnl.hpp"
#include "../../native/products/onednn.h"

namespace {

using dnnl::memory;
using Clock = std::chrono::steady_clock;

struct Case {
  std::vector<int> sizes;
  int batch;
};

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

const char* isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    case dnnl::cpu_isa::avx2: return "avx2";
    default: return "other";
  }
}

// One matmul primitive on plain row-major buffers: dst[M × N] (+)= src[M × K] · wei[K × N], where
// src and wei may be transposed views (strides), as the three products of a step need.
struct Product {
  dnnl::matmul prim;
  memory src, wei, dst;
  Product(const dnnl::engine& eng, memory::data_type dt, int M, int N, int K, bool src_t, bool wei_t, bool accumulate,
          void* a, void* b, float* c) {
    const memory::dims sstr = src_t ? memory::dims{1, M} : memory::dims{K, 1};
    const memory::dims wstr = wei_t ? memory::dims{1, K} : memory::dims{N, 1};
    memory::desc sd({M, K}, dt, sstr), wd({K, N}, dt, wstr), dd({M, N}, memory::data_type::f32, memory::dims{N, 1});
    dnnl::primitive_attr attr;
    if (accumulate) {
      dnnl::post_ops po;
      po.append_sum(1.0f);
      attr.set_post_ops(po);
    }
    prim = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(sd, wd, dd), attr, eng));
    src = memory(sd, eng, a);
    wei = memory(wd, eng, b);
    dst = memory(dd, eng, c);
  }
  void run(dnnl::stream& s) { prim.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}}); }
};

struct Layer {
  int in, out;
  std::vector<float> A, W, Z, D, dX, dW;
  std::vector<uint16_t> A16, W16, D16;
};

// Runs `step` until `seconds` pass; returns seconds per step.
double time_steps(const std::function<void()>& step, double seconds) {
  step();
  int n = 0;
  const auto t0 = Clock::now();
  double elapsed = 0;
  do {
    step();
    ++n;
    elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  } while (elapsed < seconds);
  return elapsed / n;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void run_case(const Case& c, int threads, int reps) {
  const int B = c.batch, L = int(c.sizes.size()) - 1;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<Layer> layers(L);
  double flops = 0;
  for (int l = 0; l < L; ++l) {
    Layer& y = layers[l];
    y.in = c.sizes[l];
    y.out = c.sizes[l + 1];
    auto fill = [&](std::vector<float>& v, size_t n) { v.resize(n); for (auto& x : v) x = u(rng) * 0.1f; };
    fill(y.A, size_t(B) * y.in);
    fill(y.W, size_t(y.out) * y.in);
    fill(y.Z, size_t(B) * y.out);
    fill(y.D, size_t(B) * y.out);
    fill(y.dX, size_t(B) * y.in);
    fill(y.dW, size_t(y.out) * y.in);
    y.A16.resize(y.A.size());
    y.W16.resize(y.W.size());
    y.D16.resize(y.D.size());
    flops += 2.0 * B * y.in * y.out * (l > 0 ? 3 : 2);
  }
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  std::vector<Product> f32, b16;
  std::vector<std::pair<const char*, std::vector<Product*>>> per_product;
  for (int l = 0; l < L; ++l) {
    Layer& y = layers[l];
    for (int pass = 0; pass < 2; ++pass) {
      auto& list = pass == 0 ? f32 : b16;
      const auto dt = pass == 0 ? memory::data_type::f32 : memory::data_type::bf16;
      void* A = pass == 0 ? (void*)y.A.data() : (void*)y.A16.data();
      void* W = pass == 0 ? (void*)y.W.data() : (void*)y.W16.data();
      void* D = pass == 0 ? (void*)y.D.data() : (void*)y.D16.data();
      list.emplace_back(eng, dt, B, y.out, y.in, false, true, false, A, W, y.Z.data());      // Z = A Wᵀ
      if (l > 0) list.emplace_back(eng, dt, B, y.in, y.out, false, false, false, D, W, y.dX.data());  // dX = Δ W
      list.emplace_back(eng, dt, y.out, y.in, B, true, false, true, D, A, y.dW.data());      // dW += Δᵀ A
    }
  }
  auto openblas = [&] {
    for (Layer& y : layers) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, y.out, y.in, 1, y.A.data(), y.in, y.W.data(), y.in, 0, y.Z.data(), y.out);
      if (&y != &layers[0])
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, y.in, y.out, 1, y.D.data(), y.out, y.W.data(), y.in, 0, y.dX.data(), y.in);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, y.out, y.in, B, 1, y.D.data(), y.out, y.A.data(), y.in, 1, y.dW.data(), y.in);
    }
  };
  auto onednn_sgemm = [&] {
    // dnnl_sgemm is row-major: C[M×N] = alpha op(A) op(B) + beta C, transa/transb 'N'/'T'.
    for (Layer& y : layers) {
      dnnl_sgemm('N', 'T', B, y.out, y.in, 1, y.A.data(), y.in, y.W.data(), y.in, 0, y.Z.data(), y.out);
      if (&y != &layers[0]) dnnl_sgemm('N', 'N', B, y.in, y.out, 1, y.D.data(), y.out, y.W.data(), y.in, 0, y.dX.data(), y.in);
      dnnl_sgemm('T', 'N', y.out, y.in, B, 1, y.D.data(), y.out, y.A.data(), y.in, 1, y.dW.data(), y.in);
    }
  };
  auto matmul_f32 = [&] { for (auto& p : f32) p.run(strm); strm.wait(); };
  auto matmul_bf16 = [&] { for (auto& p : b16) p.run(strm); strm.wait(); };
  blasprop::OnednnProducts engine(c.sizes);
  engine.prepare(B, false);
  engine.prepare(B, true);
  engine.reserve();
  auto blasprop_engine = [&](bool bf16) {
    for (int l = 1; l <= L; ++l) {
      Layer& y = layers[l - 1];
      engine.forward(l, y.A.data(), y.W.data(), y.Z.data(), B, bf16);
      if (l > 1) engine.input_gradient(l, y.D.data(), y.W.data(), y.dX.data(), B, bf16);
      engine.weight_gradient(l, y.D.data(), y.A.data(), y.dW.data(), B, 1.0f, bf16);
    }
  };
  const std::vector<std::pair<const char*, std::function<void()>>> libs = {
      {"openblas cblas_sgemm", openblas}, {"onednn dnnl_sgemm", onednn_sgemm}, {"onednn matmul f32", matmul_f32}, {"onednn matmul bf16", matmul_bf16},
      {"blasprop onednn f32", [&] { blasprop_engine(false); }}, {"blasprop onednn bf16", [&] { blasprop_engine(true); }}};
  std::vector<std::vector<double>> times(libs.size());
  for (int r = 0; r < reps; ++r)
    for (size_t k = 0; k < libs.size(); ++k) times[k].push_back(time_steps(libs[k].second, 0.25));
  std::string shape;
  for (size_t k = 0; k < c.sizes.size(); ++k) shape += (k ? "-" : "") + std::to_string(c.sizes[k]);
  const double base = median(times[0]);
  for (size_t k = 0; k < libs.size(); ++k) {
    const double t = median(times[k]);
    std::printf("%-18s b=%-4d threads=%d  %-22s %9.1f us/step %8.0f samples/s %7.0f GFLOP/s  x%.2f vs openblas\n", shape.c_str(), B,
                threads, libs[k].first, t * 1e6, B / t, flops / t * 1e-9, base / t);
  }
  // Each bf16 and f32 matmul alone, for the per-product TFLOP/s of the issue.
  for (size_t k = 0; k < f32.size(); ++k) {
    std::vector<double> tf, tb;
    for (int r = 0; r < reps; ++r) {
      tf.push_back(time_steps([&] { f32[k].run(strm); strm.wait(); }, 0.05));
      tb.push_back(time_steps([&] { b16[k].run(strm); strm.wait(); }, 0.05));
    }
    const auto md = f32[k].dst.get_desc().dims();
    const auto sd = f32[k].src.get_desc().dims();
    const double fl = 2.0 * md[0] * md[1] * sd[1];
    std::printf("    product %zu: [%lld x %lld] <- K=%lld   f32 %7.0f GFLOP/s   bf16 %7.0f GFLOP/s  (x%.1f)\n", k, (long long)md[0],
                (long long)md[1], (long long)sd[1], fl / median(tf) * 1e-9, fl / median(tb) * 1e-9, median(tf) / median(tb));
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 7;
  openblas_set_num_threads(threads);
  omp_set_num_threads(threads);
  const dnnl_version_t* v = dnnl_version();
  std::printf("CPU: %s\nOpenBLAS: %s (%s)\noneDNN: %d.%d.%d, effective ISA: %s\n", cpu_model().c_str(), openblas_get_config(),
              openblas_get_corename(), v->major, v->minor, v->patch, isa_name(dnnl::get_effective_cpu_isa()));
  const std::vector<Case> cases = {{{784, 256, 128, 10}, 128}, {{784, 256, 128, 10}, 512}, {{784, 1024, 1024, 10}, 128}};
  for (const Case& c : cases) run_case(c, threads, reps);
}
