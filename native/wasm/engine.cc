// engine.cc — the C entry points of the WebAssembly engine over the kernels (native/kernels/), the
// counterpart of native/napi/network_wrap.cc. lib/backends/wasm/ calls them with pointers into this
// module's memory and has checked every argument (kinds, lengths, ranges) before, as the N-API glue
// does; the arithmetic is the kernels', unchanged.
#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

#include "../kernels/training.h"

using namespace blasprop;

#define BLASPROP_EXPORT(name) extern "C" __attribute__((export_name(#name)))

namespace {

// A network of either precision; its parameter and state buffers live in this module's memory, its
// workspace in one block of it that the handle owns (kernels/network.h network_workspace_size).
struct Handle {
  bool is_double = false;
  Network<float> net32;
  Network<double> net64;
  void* workspace = nullptr;
  size_t workspace_rows = 0;
  ~Handle() { std::free(workspace); }
};

template <typename T> Network<T>& network(Handle* h);
template <> Network<float>& network<float>(Handle* h) { return h->net32; }
template <> Network<double>& network<double>(Handle* h) { return h->net64; }

// The network with its workspace pointed at a block for at least `rows` rows, grown (before the step
// loop) when a call needs more. Out of memory traps, which the caller reports (lib/backends/wasm/).
template <typename T>
Network<T>& network_for(Handle* h, size_t rows) {
  Network<T>& net = network<T>(h);
  if (rows > h->workspace_rows) {
    const size_t bytes = network_workspace_size(net, rows);
    void* block = bytes == 0 ? nullptr : std::aligned_alloc(kWorkspaceAlignment, bytes);
    if (!block) __builtin_trap();
    std::free(h->workspace);
    h->workspace = block;
    h->workspace_rows = rows;
    network_point_workspace(net, rows, block);
  }
  return net;
}

template <typename T>
void construct(Handle* h, int L, const int32_t* sizes, const int32_t* activations, const double* slopes, const double* dropout, int loss,
               void* params, void* grads, void* opt_m, void* opt_v, void* opt_g, uint32_t* rng) {
  std::vector<int> s(sizes, sizes + L + 1);
  std::vector<Activation> g(L + 1, Activation::Identity);
  std::vector<T> slope(L + 1, T(0));
  for (int l = 1; l <= L; ++l) {
    g[l] = static_cast<Activation>(activations[l]);
    slope[l] = T(slopes[l]);
  }
  Network<T>& net = network<T>(h);
  network_init(net, s, g, slope, std::vector<double>(dropout, dropout + L), static_cast<Loss>(loss));
  net.params = static_cast<T*>(params);
  net.grads = static_cast<T*>(grads);
  net.opt_m = static_cast<T*>(opt_m);
  net.opt_v = static_cast<T*>(opt_v);
  net.opt_g = static_cast<T*>(opt_g);
  net.rng = rng;
}

// optimizer[13]: type, learning rate, momentum, nesterov, beta1, beta2, epsilon, weight decay, max norm, clip norm,
// alpha, centered, initial accumulator.
OptimizerConfig optimizer_from(const double* o) {
  OptimizerConfig c;
  c.type = static_cast<OptimizerType>(static_cast<int>(o[0]));
  c.learning_rate = o[1];
  c.momentum = o[2];
  c.nesterov = o[3] != 0;
  c.beta1 = o[4];
  c.beta2 = o[5];
  c.epsilon = o[6];
  c.weight_decay = o[7];
  c.max_norm = o[8];
  c.clip_norm = o[9];
  c.alpha = o[10];
  c.centered = o[11] != 0;
  c.initial_accumulator = o[12];
  return c;
}

template <typename T>
Dataset<T> dataset(const void* X, const void* Y, const int32_t* labels, const void* weights, size_t rows) {
  Dataset<T> data;
  data.X = static_cast<const T*>(X);
  data.y.dense = static_cast<const T*>(Y);
  data.y.labels = labels;
  data.y.weights = static_cast<const T*>(weights);
  data.rows = rows;
  return data;
}

template <typename T>
LossStats train(Handle* h, const void* X, const void* Y, const int32_t* labels, const void* weights, size_t rows, const int32_t* order,
                size_t count, int batch_size, double first_step, const double* optimizer, double* step_losses, double* step_weights,
                double* diagnostics) {
  BatchPlan plan;
  plan.order = order;
  plan.count = count;
  plan.batch_size = batch_size;
  plan.first_step = first_step;
  plan.step_losses = step_losses;
  plan.step_weights = step_weights;
  plan.diagnostics = diagnostics;
  return network_train_batches(network_for<T>(h, network_pass_rows(count, batch_size)), dataset<T>(X, Y, labels, weights, rows), plan, optimizer_from(optimizer));
}

template <typename T>
LossStats evaluate(Handle* h, const void* X, const void* Y, const int32_t* labels, const void* weights, size_t rows, bool gradients) {
  const Dataset<T> data = dataset<T>(X, Y, labels, weights, rows);
  return network_evaluate(network_for<T>(h, network_pass_rows(rows, kInferenceChunkRows)), data.X, data.y, rows, gradients);
}

void write_stats(const LossStats& s, double* out) {
  out[0] = s.loss_sum;
  out[1] = s.correct;
  out[2] = s.weight_sum;
}

}  // namespace

// A new network over buffers the caller allocated here (blasprop_alloc); null when out of memory.
BLASPROP_EXPORT(blasprop_create)
Handle* blasprop_create(int is_double, int L, const int32_t* sizes, const int32_t* activations, const double* slopes,
                        const double* dropout, int loss, void* params, void* grads, void* opt_m, void* opt_v, void* opt_g,
                        uint32_t* rng) {
  Handle* h = new (std::nothrow) Handle;
  if (!h) return nullptr;
  h->is_double = is_double != 0;
  if (h->is_double) construct<double>(h, L, sizes, activations, slopes, dropout, loss, params, grads, opt_m, opt_v, opt_g, rng);
  else construct<float>(h, L, sizes, activations, slopes, dropout, loss, params, grads, opt_m, opt_v, opt_g, rng);
  return h;
}

BLASPROP_EXPORT(blasprop_destroy) void blasprop_destroy(Handle* h) { delete h; }

BLASPROP_EXPORT(blasprop_alloc) void* blasprop_alloc(size_t bytes) { return std::aligned_alloc(16, (bytes + 15) / 16 * 16); }
BLASPROP_EXPORT(blasprop_free) void blasprop_free(void* p) { std::free(p); }

// trainBatches; stats[3] receives the loss sum, the correct count and the weight sum. weights, step_weights may be null.
BLASPROP_EXPORT(blasprop_train)
void blasprop_train(Handle* h, const void* X, const void* Y, const int32_t* labels, const void* weights, size_t rows, const int32_t* order,
                    size_t count, int batch_size, double first_step, const double* optimizer, double* step_losses, double* step_weights,
                    double* diagnostics, double* stats) {
  write_stats(h->is_double ? train<double>(h, X, Y, labels, weights, rows, order, count, batch_size, first_step, optimizer, step_losses,
                                           step_weights, diagnostics)
                           : train<float>(h, X, Y, labels, weights, rows, order, count, batch_size, first_step, optimizer, step_losses,
                                          step_weights, diagnostics),
              stats);
}

BLASPROP_EXPORT(blasprop_evaluate)
void blasprop_evaluate(Handle* h, const void* X, const void* Y, const int32_t* labels, const void* weights, size_t rows, int gradients,
                       double* stats) {
  write_stats(h->is_double ? evaluate<double>(h, X, Y, labels, weights, rows, gradients != 0)
                           : evaluate<float>(h, X, Y, labels, weights, rows, gradients != 0),
              stats);
}

BLASPROP_EXPORT(blasprop_predict) void blasprop_predict(Handle* h, const void* X, size_t rows, void* out) {
  const size_t chunk = network_pass_rows(rows, kInferenceChunkRows);
  if (h->is_double) network_predict(network_for<double>(h, chunk), static_cast<const double*>(X), rows, static_cast<double*>(out));
  else network_predict(network_for<float>(h, chunk), static_cast<const float*>(X), rows, static_cast<float*>(out));
}
