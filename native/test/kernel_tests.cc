// kernel_tests.cc — tests of native/kernels without Node: the training step against plain loops,
// the workspace layout in one block, and the promise that a training step never touches the heap.
// Built and run by test/native-kernels.test.ts:
//   g++ -std=c++17 -O2 -fopenmp -Wno-mismatched-new-delete kernel_tests.cc $(pkg-config --cflags --libs openblas)
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <vector>

#include "../kernels/training.h"

// Every C++ heap allocation in this process is counted.
static std::atomic<long> g_allocations{0};
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace blasprop;

static int g_failures = 0;
#define CHECK(cond, ...)                              \
  do {                                                \
    if (!(cond)) {                                    \
      std::printf("FAIL %s:%d: ", __FILE__, __LINE__); \
      std::printf(__VA_ARGS__);                       \
      std::printf("\n");                              \
      ++g_failures;                                   \
    }                                                 \
  } while (0)

static double lcg(uint32_t& s) {
  s = s * 1664525u + 1013904223u;
  return s / 4294967296.0 * 2 - 1;
}

struct Fixture {
  Network<double> net;
  std::vector<double> params, grads, m, v, a, X, weights;
  std::vector<unsigned char> block;  // the workspace, as the caller (the N-API layer) owns it
  std::vector<int32_t> labels, order;
  uint32_t rng[4] = {1, 2, 3, 4};

  Fixture(std::vector<int> sizes, int rows, std::vector<double> dropout) {
    const int L = int(sizes.size()) - 1;
    std::vector<Activation> g(L + 1, Activation::Relu);
    g[L] = Activation::Softmax;
    const size_t n = network_init(net, sizes, g, std::vector<double>(L + 1, 0.0), dropout, Loss::CrossEntropy);
    uint32_t s = 7;
    params.resize(n);
    for (double& p : params) p = 0.3 * lcg(s);
    grads.assign(n, 0);
    m.assign(n, 0);
    v.assign(n, 0);
    a.assign(n, 0);
    net.params = params.data();
    net.grads = grads.data();
    net.opt_m = m.data();
    net.opt_v = v.data();
    net.opt_g = a.data();
    net.rng = rng;
    X.resize(size_t(rows) * sizes[0]);
    for (double& x : X) x = lcg(s);
    for (int r = 0; r < rows; ++r) {
      weights.push_back(1 + lcg(s));
      labels.push_back(int32_t((lcg(s) + 1) / 2 * sizes[L]) % sizes[L]);
      order.push_back(r);
    }
  }

  // The fixture's rows with their labels, as a training set.
  Dataset<double> dataset() {
    Dataset<double> data;
    data.X = X.data();
    data.y.labels = labels.data();
    data.rows = labels.size();
    return data;
  }

  // The plan that trains every row in order, in batches of `batch`.
  BatchPlan plan(int batch) {
    BatchPlan p;
    p.order = order.data();
    p.count = order.size();
    p.batch_size = batch;
    return p;
  }

  // Points the workspace for B rows into `block`, aligned as network_point_workspace requires.
  void point_workspace(size_t B) {
    block.assign(network_workspace_size(net, B) + kWorkspaceAlignment, 0);
    const uintptr_t base = reinterpret_cast<uintptr_t>(block.data());
    network_point_workspace(net, B, block.data() + (kWorkspaceAlignment - base % kWorkspaceAlignment) % kWorkspaceAlignment);
  }
};

// The arrays of one workspace block are aligned, lie inside it and do not overlap.
static void test_workspace_layout() {
  Fixture f({20, 16, 12, 4}, 8, {0.1, 0.3, 0.0});
  const size_t B = 8, bytes = network_workspace_size(f.net, B);
  f.point_workspace(B);
  const uintptr_t begin = reinterpret_cast<uintptr_t>(f.net.X), end = begin + bytes;
  std::vector<std::pair<uintptr_t, uintptr_t>> spans;
  network_workspace_layout(f.net, B, [&](auto& pointer, size_t count) {
    const uintptr_t p = reinterpret_cast<uintptr_t>(pointer);
    CHECK(p % kWorkspaceAlignment == 0, "array at offset %zu is not aligned", size_t(p - begin));
    CHECK(p >= begin && p + count * sizeof(*pointer) <= end, "array at offset %zu leaves the block", size_t(p - begin));
    spans.push_back({p, p + count * sizeof(*pointer)});
  });
  // X; A for 3 layers; D and M for the 2 dropout layers; delta, delta_prev, Y, labels, weights.
  CHECK(spans.size() == 1 + 3 + 2 * 2 + 5, "%zu arrays in the layout", spans.size());
  std::sort(spans.begin(), spans.end());
  for (size_t k = 1; k < spans.size(); ++k) CHECK(spans[k - 1].second <= spans[k].first, "arrays %zu and %zu overlap", k - 1, k);
  CHECK(f.net.capacity == 8, "capacity %d", f.net.capacity);
  CHECK(network_workspace_size(f.net, SIZE_MAX / 8) == 0, "an impossible workspace size is reported as 0");
}

// With the workspace pointed into its block, training and evaluation calls allocate nothing, from the
// first call on, for every optimizer path (fused SGD, explicit gradients with momentum, Adam, AdamW,
// RMSprop, Adagrad, clipping, dropout, diagnostics), with and without row weights.
static void test_no_allocation_per_step() {
  Fixture f({20, 16, 12, 4}, 64, {0.1, 0.3, 0.0});
  Dataset<double> data = f.dataset();
  f.point_workspace(64);
  std::vector<double> diagnostics(3 * kDiagnosticsPerLayer), losses(64);
  OptimizerConfig configs[7];
  configs[1].momentum = 0.9;
  configs[2].type = OptimizerType::Adam;
  configs[2].clip_norm = 0.5;
  configs[3].weight_decay = 1e-3;
  configs[3].max_norm = 2;
  configs[4].type = OptimizerType::AdamW;
  configs[4].weight_decay = 0.01;
  configs[5].type = OptimizerType::RMSprop;
  configs[5].momentum = 0.5;
  configs[5].centered = true;
  configs[6].type = OptimizerType::Adagrad;
  for (int batch : {1, 7, 32}) {
    for (const OptimizerConfig& c : configs) {
      data.y.weights = c.type == OptimizerType::Sgd ? nullptr : f.weights.data();
      BatchPlan plan = f.plan(batch);
      plan.step_losses = losses.data();
      plan.diagnostics = diagnostics.data();
      const long before = g_allocations.load();
      network_train_batches(f.net, data, plan, c);
      network_evaluate(f.net, data.X, data.y, data.rows, true);
      const long allocations = g_allocations.load() - before;
      CHECK(allocations == 0, "batch %d optimizer %d: %ld heap allocations in 64 training steps", batch, int(c.type), allocations);
    }
  }
}

// One fused SGD step equals W ← W − η/B Σ_i δ_i a_iᵀ computed with plain loops.
static void test_single_layer_step_against_loops() {
  Fixture f({5, 3}, 4, {0.0});
  f.net.g[1] = Activation::Softmax;
  std::vector<double> W0 = f.params;
  Dataset<double> data = f.dataset();
  f.point_workspace(4);
  BatchPlan plan = f.plan(4);
  OptimizerConfig c;
  c.learning_rate = 0.5;
  network_train_batches(f.net, data, plan, c);
  std::vector<double> expected = W0;
  for (int i = 0; i < 4; ++i) {
    double z[3], a[3], zmax = -1e300, sum = 0;
    for (int j = 0; j < 3; ++j) {
      z[j] = W0[15 + j];
      for (int k = 0; k < 5; ++k) z[j] += W0[j * 5 + k] * f.X[i * 5 + k];
      zmax = std::fmax(zmax, z[j]);
    }
    for (int j = 0; j < 3; ++j) sum += a[j] = std::exp(z[j] - zmax);
    for (int j = 0; j < 3; ++j) {
      const double delta = (a[j] / sum - (j == f.labels[i] ? 1 : 0)) / 4;
      for (int k = 0; k < 5; ++k) expected[j * 5 + k] -= 0.5 * delta * f.X[i * 5 + k];
      expected[15 + j] -= 0.5 * delta;
    }
  }
  for (size_t k = 0; k < expected.size(); ++k)
    CHECK(std::fabs(expected[k] - f.params[k]) < 1e-14, "param %zu: %.17g vs %.17g", k, f.params[k], expected[k]);
}

// Training with the elementwise loops split over 2 threads (elementwise_threads.h, as a oneDNN pass
// does) gives the same bits as on one thread, for every optimizer, and allocates nothing per step
// once the team exists. The network has 150k parameters, so the update splits; batches of 128 rows
// split the light loops too (gathering 128 × 300 inputs, bias and g' on 128 × 500).
static void test_split_elementwise_loops() {
  OptimizerConfig configs[7];  // configs[6]: plain SGD, fused into the products
  configs[0].momentum = 0.9;
  configs[1].type = OptimizerType::Adam;
  configs[2].type = OptimizerType::AdamW;
  configs[2].weight_decay = 0.01;
  configs[3].type = OptimizerType::RMSprop;
  configs[3].centered = true;
  configs[3].momentum = 0.5;
  configs[4].type = OptimizerType::Adagrad;
  configs[5].momentum = 0.9;
  configs[5].nesterov = true;
  configs[5].weight_decay = 1e-3;
  for (const OptimizerConfig& c : configs) for (int batch : {8, 128}) {
    std::vector<double> results[2];
    for (int threads : {1, 2}) {
      Fixture f({300, 500, 4}, 4 * batch, {0.0, 0.0});
      Dataset<double> data = f.dataset();
      f.point_workspace(size_t(batch));
      const BatchPlan plan = f.plan(batch);
      elementwise_threads() = threads;
      network_train_batches(f.net, data, plan, c);  // the first call starts the team
      const long before = g_allocations.load();
      network_train_batches(f.net, data, plan, c);
      const long allocations = g_allocations.load() - before;
      elementwise_threads() = 1;
      CHECK(allocations == 0, "optimizer %d, %d threads: %ld heap allocations in 4 steps", int(c.type), threads, allocations);
      results[threads - 1] = f.params;
    }
    size_t differ = 0;
    for (size_t k = 0; k < results[0].size(); ++k) differ += results[0][k] != results[1][k];
    CHECK(differ == 0, "optimizer %d, batch %d: %zu of %zu parameters differ between 1 and 2 threads", int(c.type), batch, differ, results[0].size());
  }
  // The ranges cover [0, n) once, in as many pieces as threads.
  elementwise_threads() = 2;
  std::vector<int> covered(3 * kMinElementsPerThread, 0);
  std::atomic<int> pieces{0};
  for_each_range(covered.size(), [&](size_t from, size_t count) {
    ++pieces;
    for (size_t k = from; k < from + count; ++k) ++covered[k];
  });
  elementwise_threads() = 1;
  CHECK(pieces.load() == 2, "%d ranges for 2 threads", pieces.load());
  CHECK(std::all_of(covered.begin(), covered.end(), [](int c) { return c == 1; }), "the ranges do not cover every element once");
}

int main() {
  test_workspace_layout();
  test_no_allocation_per_step();
  test_single_layer_step_against_loops();
  test_split_elementwise_loops();
  std::printf("kernel checks: %d failed\n", g_failures);
  return g_failures == 0 ? 0 : 1;
}
