// step.cpp — the roofline: times only the BLAS calls of one blasprop training step (plain SGD, the
// update fused into the weight-gradient call), for given layer sizes, batch size, dtype and thread
// count, and prints JSON. The calls and their shapes mirror native/kernels/dense.h and
// network_forward/network_backward in native/kernels/passes.h:
//   forward, every layer l:      B = 1: gemv(W^l, a^(l-1))           B > 1: gemm(A^(l-1) · (W^l)ᵀ)
//   backward input, layers l>1:  B = 1: gemv((W^l)ᵀ, δ^l)            B > 1: gemm(Δ^l · W^l)
//   weight update, every layer:  B = 1: ger(W^l += −η δ^l a^(l-1)ᵀ)   B > 1: gemm(W^l += −η (Δ^l)ᵀ A^(l-1))
// Nothing else (bias, activations, softmax, batch gathering, the JavaScript loop) is timed.
// The calls go through the addon's own product interface (native/products/products.h), so
// --engine onednn and --engine bf16 time the addon's oneDNN matmul primitives (bf16: with the
// rounding of a^(l-1), W^l and δ^l into bf16 workspaces, which the addon does per step too).
//
// Built by bench/roofline.ts:  g++ -O3 -std=c++17 step.cpp (-O3 as the addon: the bf16 rounding loops vectorize) $(pkg-config --cflags --libs openblas)
//   [-DBLASPROP_HAVE_ONEDNN=1 -fopenmp -ldnnl where oneDNN is installed]
//
// One-shot mode, for a look by hand: times each case and prints one JSON object.
//   step --dtype f32|f64 --threads N [--engine openblas|onednn|bf16] [--seconds S] [--reps R] SIZES:BATCH ...
//   e.g. step --dtype f32 --threads 2 784,256,128,10:128
// Serve mode, used by bench/worker.ts to alternate with blasprop's repetitions so both see the
// same machine load: one case; prints a JSON line when warmed up, then answers each stdin line
// `rep S` with {"steps":n,"seconds":t} after running whole steps for at least S seconds, and
// `quit` with {"cpuSeconds":c}.
//   step --serve --dtype f32 --threads 2 784,256,128,10:128
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <sys/resource.h>
#include <vector>

#include "../../native/products/products.h"
#if BLASPROP_HAVE_ONEDNN
#include <omp.h>
#endif

namespace {

struct Options {
  std::string dtype = "f32";
  std::string engine = "openblas";  // or onednn, bf16 (float32 only)
  int threads = 1;
  double seconds = 0.3;  // one-shot mode: measured time per case, split over the repetitions
  int reps = 7;
  bool serve = false;
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
  const std::string sizes = text.substr(0, colon);
  size_t start = 0;
  for (;;) {
    const size_t comma = sizes.find(',', start);
    c.sizes.push_back(std::atoi(sizes.substr(start, comma - start).c_str()));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  c.batch = std::atoi(text.substr(colon + 1).c_str());
  if (c.sizes.size() < 2 || c.batch < 1) {
    std::fprintf(stderr, "bad case '%s'\n", text.c_str());
    std::exit(2);
  }
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

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + 1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

// FLOP of one step: nominal 6 Σ in·out per sample, and what the calls do (layer 1 has no input gradient).
void flops_per_step(const Case& c, double& nominal, double& blas) {
  nominal = blas = 0;
  for (size_t l = 1; l < c.sizes.size(); ++l) {
    const double m = double(c.sizes[l - 1]) * c.sizes[l] * c.batch;
    nominal += 6 * m;
    blas += (l > 1 ? 6 : 4) * m;
  }
}

// The buffers of one network: weights, the activations each layer reads and writes, fixed deltas.
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

// The BLAS calls of one training step. The learning rate alternates in sign between steps so the
// weights stay bounded however many steps run (a call's cost does not depend on the sign).
template <typename T>
class Stepper {
 public:
  Stepper(const Case& c, const std::string& engine) : c_(c), ws_(make_workspace<T>(c)) {
    if (engine == "openblas") return;
#if BLASPROP_HAVE_ONEDNN
    products_.engine = blasprop::ProductEngine::OneDNN;
    products_.onednn = std::make_unique<blasprop::OnednnProducts>(c.sizes);
    products_.bf16 = engine == "bf16";
    blasprop::products_prepare(products_, c.batch);
    blasprop::products_reserve(products_);
#else
    std::fprintf(stderr, "this roofline program was built without oneDNN\n");
    std::exit(2);
#endif
  }

  void step() {
    const T eta = (count_++ % 2) ? T(-0.01) : T(0.01);
    const int L = static_cast<int>(c_.sizes.size()) - 1, B = c_.batch;
    for (int l = 1; l <= L; ++l) {
      const int in = c_.sizes[l - 1], out = c_.sizes[l];
      blasprop::products_forward(products_, l, ws_.A[l - 1].data(), ws_.W[l].data(), ws_.A[l].data(), B, in, out);
    }
    for (int l = L; l >= 1; --l) {
      const int in = c_.sizes[l - 1], out = c_.sizes[l];
      if (l > 1) blasprop::products_input_gradient(products_, l, ws_.delta[l].data(), ws_.W[l].data(), ws_.scratch.data(), B, in, out);
      blasprop::products_weight_gradient(products_, l, ws_.delta[l].data(), ws_.A[l - 1].data(), ws_.W[l].data(), B, in, out, -eta);
    }
  }

  // Runs whole steps for at least `seconds` (and at least one); returns {steps, elapsed seconds}.
  std::pair<long, double> run_for(double seconds) {
    const double t0 = now();
    long n = 0;
    double elapsed = 0;
    do {
      step();
      ++n;
      elapsed = now() - t0;
    } while (elapsed < seconds);
    return {n, elapsed};
  }

  // Warm-up: thread pool start, page faults, caches.
  void warm_up() { run_for(0.1); }

 private:
  Case c_;
  Workspace<T> ws_;
  blasprop::Products products_;
  long count_ = 0;
};

void print_header(const Options& o) {
  std::printf("\"dtype\":\"%s\",\"engine\":\"%s\",\"threads\":%d,\"blasThreads\":%d,\"config\":\"%s\",\"coreType\":\"%s\",\"library\":\"%s\"",
              o.dtype.c_str(), o.engine.c_str(), o.threads, openblas_get_num_threads(), json_escape(openblas_get_config()).c_str(),
              json_escape(openblas_get_corename()).c_str(), json_escape(loaded_openblas()).c_str());
#if BLASPROP_HAVE_ONEDNN
  const dnnl_version_t* v = dnnl_version();
  std::printf(",\"onednn\":\"%d.%d.%d\",\"isa\":\"%s\"", v->major, v->minor, v->patch, blasprop::onednn_isa_name());
#endif
}

template <typename T>
void one_shot_case(const Case& c, const Options& o, bool first) {
  Stepper<T> stepper(c, o.engine);
  stepper.warm_up();
  std::vector<double> step_seconds;
  for (int r = 0; r < o.reps; ++r) {
    const auto [n, t] = stepper.run_for(o.seconds / o.reps);
    step_seconds.push_back(t / n);
  }
  std::sort(step_seconds.begin(), step_seconds.end());
  const size_t n = step_seconds.size();
  const double median = n % 2 ? step_seconds[n / 2] : 0.5 * (step_seconds[n / 2 - 1] + step_seconds[n / 2]);
  double nominal, blas;
  flops_per_step(c, nominal, blas);
  std::printf("%s{\"sizes\":[", first ? "" : ",");
  for (size_t l = 0; l < c.sizes.size(); ++l) std::printf("%s%d", l ? "," : "", c.sizes[l]);
  std::printf("],\"batchSize\":%d,\"stepSeconds\":{\"median\":%.9g,\"min\":%.9g,\"max\":%.9g},", c.batch, median,
              step_seconds.front(), step_seconds.back());
  std::printf("\"samplesPerSecond\":%.6g,\"nominalGflops\":%.6g,\"blasGflops\":%.6g}", c.batch / median, nominal / median / 1e9,
              blas / median / 1e9);
}

template <typename T>
int serve(const Case& c, const Options& o) {
  Stepper<T> stepper(c, o.engine);
  stepper.warm_up();
  double nominal, blas;
  flops_per_step(c, nominal, blas);
  std::printf("{\"ready\":true,");
  print_header(o);
  std::printf(",\"batchSize\":%d,\"nominalFlopPerStep\":%.9g,\"blasFlopPerStep\":%.9g}\n", c.batch, nominal, blas);
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.rfind("rep ", 0) == 0) {
      const auto [n, t] = stepper.run_for(std::atof(line.c_str() + 4));
      std::printf("{\"steps\":%ld,\"seconds\":%.9g}\n", n, t);
    } else if (line == "quit") {
      break;
    } else {
      std::printf("{\"error\":\"unknown command '%s'\"}\n", json_escape(line).c_str());
    }
    std::fflush(stdout);
  }
  std::printf("{\"cpuSeconds\":%.6f}\n", cpu_seconds());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--dtype" && i + 1 < argc) o.dtype = argv[++i];
    else if (a == "--threads" && i + 1 < argc) o.threads = std::atoi(argv[++i]);
    else if (a == "--engine" && i + 1 < argc) o.engine = argv[++i];
    else if (a == "--seconds" && i + 1 < argc) o.seconds = std::atof(argv[++i]);
    else if (a == "--reps" && i + 1 < argc) o.reps = std::atoi(argv[++i]);
    else if (a == "--serve") o.serve = true;
    else o.cases.push_back(a);
  }
  const bool engine_ok = o.engine == "openblas" || ((o.engine == "onednn" || o.engine == "bf16") && o.dtype == "f32");
  if ((o.dtype != "f32" && o.dtype != "f64") || !engine_ok || o.threads < 1 || o.reps < 1 || o.cases.empty() || (o.serve && o.cases.size() != 1)) {
    std::fprintf(stderr,
                 "usage: step --dtype f32|f64 --threads N [--engine openblas|onednn|bf16] [--seconds S] [--reps R] SIZES:BATCH ...\n"
                 "       step --serve --dtype f32|f64 --threads N [--engine ...] SIZES:BATCH\n");
    return 2;
  }
  // As the addon does (native/napi/onednn_threads.h): a oneDNN pass keeps OpenBLAS on one thread.
  openblas_set_num_threads(o.engine == "openblas" ? o.threads : 1);
#if BLASPROP_HAVE_ONEDNN
  omp_set_num_threads(o.threads);
#endif
  if (o.serve) {
    const Case c = parse_case(o.cases[0]);
    return o.dtype == "f32" ? serve<float>(c, o) : serve<double>(c, o);
  }
  std::printf("{");
  print_header(o);
  std::printf(",\"cases\":[");
  for (size_t k = 0; k < o.cases.size(); ++k) {
    const Case c = parse_case(o.cases[k]);
    if (o.dtype == "f32") one_shot_case<float>(c, o, k == 0);
    else one_shot_case<double>(c, o, k == 0);
    std::fflush(stdout);
  }
  std::printf("],\"cpuSeconds\":%.6f}\n", cpu_seconds());
  return 0;
}
