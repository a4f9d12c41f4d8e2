// step.cpp — the roofline: times only the BLAS calls of one blasprop training step (plain SGD, the
// update fused into the weight-gradient call), for given layer sizes, batch size, dtype and thread
// count, and prints JSON. The calls and their shapes mirror native/kernels/dense.h and
// network_forward/network_backward in native/kernels/passes.h:
//   forward, every layer l:      B = 1: gemv(W^l, a^(l-1))           B > 1: gemm(A^(l-1) · (W^l)ᵀ)
//   backward input, layers l>1:  B = 1: gemv((W^l)ᵀ, δ^l)            B > 1: gemm(Δ^l · W^l)
//   weight update, every layer:  B = 1: ger(W^l += −η δ^l a^(l-1)ᵀ)   B > 1: gemm(W^l += −η (Δ^l)ᵀ A^(l-1))
// Nothing else (bias, activations, softmax, batch gathering, the JavaScript loop) is timed.
//
// Built by bench/roofline.ts:  g++ -O2 -std=c++17 step.cpp $(pkg-config --cflags --libs openblas)
// Usage: step --dtype f32|f64 --threads N --seconds S --reps R  SIZES:BATCH ...
//        e.g. step --dtype f32 --threads 2 --seconds 0.3 --reps 7 784,256,128,10:128
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "../../native/kernels/blas.h"

using blasprop::gemm;
using blasprop::gemv;
using blasprop::ger;

namespace {

struct Options {
  std::string dtype = "f32";
  int threads = 1;
  double seconds = 0.3;  // measured time per case, split over the repetitions
  int reps = 7;
  std::vector<std::string> cases;
};

struct Case {
  std::vector<int> sizes;
  int batch = 1;
};

Case parse_case(const std::string& text) {
  Case c;
  const size_t colon = text.find(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "bad case '%s' (want SIZES:BATCH)\n", text.c_str());
    std::exit(2);
  }
  std::string sizes = text.substr(0, colon);
  size_t start = 0;
  while (start <= sizes.size()) {
    const size_t comma = sizes.find(',', start);
    c.sizes.push_back(std::atoi(sizes.substr(start, comma - start).c_str()));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  c.batch = std::atoi(text.substr(colon + 1).c_str());
  return c;
}

// The path of the OpenBLAS library this process loaded, to show it is the addon's.
std::string loaded_openblas() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const size_t at = line.find('/');
    if (at != std::string::npos && line.find("openblas", at) != std::string::npos) return line.substr(at);
  }
  return "";
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out;
}

// Buffers of one network: weights, the activations each layer reads and writes, fixed deltas.
template <typename T>
struct Workspace {
  std::vector<std::vector<T>> W, A, delta;
  std::vector<T> scratch;  // receives the input gradient (not fed back, so values stay bounded)
};

template <typename T>
Workspace<T> make_workspace(const Case& c) {
  std::mt19937 gen(12345);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  const int L = static_cast<int>(c.sizes.size()) - 1;
  Workspace<T> ws;
  ws.W.resize(L + 1);
  ws.A.resize(L + 1);
  ws.delta.resize(L + 1);
  int widest = 0;
  for (int l = 0; l <= L; ++l) {
    widest = std::max(widest, c.sizes[l]);
    ws.A[l].resize(static_cast<size_t>(c.batch) * c.sizes[l]);
    for (T& v : ws.A[l]) v = T(unit(gen));
    if (l == 0) continue;
    // Variance 1/in keeps the forward activations of this linear chain at unit scale.
    const double scale = std::sqrt(3.0 / c.sizes[l - 1]);
    ws.W[l].resize(static_cast<size_t>(c.sizes[l]) * c.sizes[l - 1]);
    for (T& v : ws.W[l]) v = T(scale * unit(gen));
    ws.delta[l].resize(static_cast<size_t>(c.batch) * c.sizes[l]);
    for (T& v : ws.delta[l]) v = T(0.01 * unit(gen));
  }
  ws.scratch.resize(static_cast<size_t>(c.batch) * widest);
  return ws;
}

// The BLAS calls of one training step. `eta` alternates in sign between steps so the weights
// stay bounded however many steps run (the cost of a call does not depend on the sign).
template <typename T>
void blas_step(Workspace<T>& ws, const Case& c, T eta) {
  const int L = static_cast<int>(c.sizes.size()) - 1, B = c.batch;
  for (int l = 1; l <= L; ++l) {
    const int in = c.sizes[l - 1], out = c.sizes[l];
    if (B == 1) gemv(CblasNoTrans, out, in, T(1), ws.W[l].data(), in, ws.A[l - 1].data(), T(0), ws.A[l].data());
    else gemm(CblasNoTrans, CblasTrans, B, out, in, T(1), ws.A[l - 1].data(), in, ws.W[l].data(), in, T(0), ws.A[l].data(), out);
  }
  for (int l = L; l >= 1; --l) {
    const int in = c.sizes[l - 1], out = c.sizes[l];
    if (l > 1) {
      if (B == 1) gemv(CblasTrans, out, in, T(1), ws.W[l].data(), in, ws.delta[l].data(), T(0), ws.scratch.data());
      else gemm(CblasNoTrans, CblasNoTrans, B, in, out, T(1), ws.delta[l].data(), out, ws.W[l].data(), in, T(0), ws.scratch.data(), in);
    }
    if (B == 1) ger(out, in, -eta, ws.delta[l].data(), ws.A[l - 1].data(), ws.W[l].data(), in);
    else gemm(CblasTrans, CblasNoTrans, out, in, B, -eta, ws.delta[l].data(), out, ws.A[l - 1].data(), in, T(1), ws.W[l].data(), in);
  }
}

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Summary {
  double median, min, max;
};

Summary summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  const double median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  return {median, v.front(), v.back()};
}

template <typename T>
void run_case(const Case& c, const Options& o, bool first) {
  Workspace<T> ws = make_workspace<T>(c);
  const T eta = T(0.01);
  long step = 0;
  // Warm-up (thread pool start, caches, page faults), and a rough step time to size the repetitions.
  const double warm_start = now();
  while (now() - warm_start < 0.05 || step < 3) blas_step(ws, c, (step++ % 2) ? -eta : eta);
  const double rough = (now() - warm_start) / step;
  const long steps_per_rep = std::max(1L, static_cast<long>(o.seconds / o.reps / rough));
  std::vector<double> step_seconds;
  for (int r = 0; r < o.reps; ++r) {
    const double t0 = now();
    for (long k = 0; k < steps_per_rep; ++k) blas_step(ws, c, (step++ % 2) ? -eta : eta);
    step_seconds.push_back((now() - t0) / steps_per_rep);
  }
  const Summary s = summarize(step_seconds);
  double macs = 0, blas_flops = 0;
  for (size_t l = 1; l < c.sizes.size(); ++l) {
    const double m = double(c.sizes[l - 1]) * c.sizes[l];
    macs += m;
    blas_flops += (l > 1 ? 6 : 4) * m;  // layer 1 has no input gradient
  }
  std::printf("%s{\"sizes\":[", first ? "" : ",");
  for (size_t l = 0; l < c.sizes.size(); ++l) std::printf("%s%d", l ? "," : "", c.sizes[l]);
  std::printf("],\"batchSize\":%d,\"stepsPerRep\":%ld,\"stepSeconds\":{\"median\":%.9g,\"min\":%.9g,\"max\":%.9g},", c.batch,
              steps_per_rep, s.median, s.min, s.max);
  std::printf("\"samplesPerSecond\":{\"median\":%.6g,\"min\":%.6g,\"max\":%.6g},", c.batch / s.median, c.batch / s.max,
              c.batch / s.min);
  std::printf("\"nominalGflops\":%.6g,\"blasGflops\":%.6g}", 6 * macs * c.batch / s.median / 1e9,
              blas_flops * c.batch / s.median / 1e9);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--dtype" && i + 1 < argc) o.dtype = argv[++i];
    else if (a == "--threads" && i + 1 < argc) o.threads = std::atoi(argv[++i]);
    else if (a == "--seconds" && i + 1 < argc) o.seconds = std::atof(argv[++i]);
    else if (a == "--reps" && i + 1 < argc) o.reps = std::atoi(argv[++i]);
    else o.cases.push_back(a);
  }
  if ((o.dtype != "f32" && o.dtype != "f64") || o.threads < 1 || o.reps < 1 || o.cases.empty()) {
    std::fprintf(stderr, "usage: step --dtype f32|f64 --threads N --seconds S --reps R SIZES:BATCH ...\n");
    return 2;
  }
  openblas_set_num_threads(o.threads);
  std::printf("{\"dtype\":\"%s\",\"threads\":%d,\"blasThreads\":%d,\"config\":\"%s\",\"coreType\":\"%s\",\"library\":\"%s\",\"cases\":[",
              o.dtype.c_str(), o.threads, openblas_get_num_threads(), json_escape(openblas_get_config()).c_str(),
              json_escape(openblas_get_corename()).c_str(), json_escape(loaded_openblas()).c_str());
  for (size_t k = 0; k < o.cases.size(); ++k) {
    const Case c = parse_case(o.cases[k]);
    if (o.dtype == "f32") run_case<float>(c, o, k == 0);
    else run_case<double>(c, o, k == 0);
    std::fflush(stdout);
  }
  std::printf("]}\n");
  return 0;
}
