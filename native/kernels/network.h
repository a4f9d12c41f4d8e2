// network.h — a feed-forward network: its shape, pointers to its flat parameter buffers (owned by
// the caller, laid out W^1 b^1 W^2 b^2 …, W^l row-major [out × in]) and the reusable workspace.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>
#include "activations.h"
#include "losses.h"
#include "../products/products.h"

namespace blasprop {

template <typename T>
struct Network {
  // Shape. Layer l = 1..L maps sizes[l-1] inputs to sizes[l] units with activation g[l].
  int L = 0;
  std::vector<int> sizes;
  std::vector<Activation> g;
  std::vector<T> slope;         // leaky-ReLU slope per layer
  std::vector<double> dropout;  // dropout[l], l = 0..L-1: drop probability of a^l on its way into layer l+1
  Loss loss = Loss::MSE;
  Products products;  // the engine that runs the matrix products (products/products.h)

  // Flat buffers of param_count elements each, owned by the caller; W_off[l], b_off[l] index into them.
  T* params = nullptr;
  T* grads = nullptr;
  T* opt_m = nullptr;         // optimizer state: velocity, first moment or momentum buffer (optimizers.h)
  T* opt_v = nullptr;         // optimizer state: second moment, mean square or sum of squares
  T* opt_g = nullptr;         // optimizer state: centered RMSprop's mean gradient
  uint32_t* rng = nullptr;    // xoshiro128** state, 4 words, for dropout masks
  std::vector<size_t> W_off, b_off;
  size_t param_count = 0;

  // Workspace for up to `capacity` rows, grown by network_reserve and then reused step after step.
  int capacity = 0;
  std::vector<T> X;                   // gathered input batch [B × sizes[0]]
  std::vector<std::vector<T>> A;      // A[l] [B × sizes[l]]: z^l, then a^l before dropout
  std::vector<std::vector<T>> D;      // D[l]: a^l ⊙ mask, where dropout[l] > 0 (D[0] is the masked input)
  std::vector<std::vector<T>> M;      // M[l]: the dropout mask of a^l
  std::vector<T> delta, delta_prev;   // δ^l and δ^(l-1) [B × widest layer]
  std::vector<T> Y;                   // gathered dense targets [B × sizes[L]]
  std::vector<int32_t> labels;        // gathered class labels [B]
  std::vector<T> weights;             // gathered row weights [B]
};

// Sets the shape and the parameter offsets. Returns the number of parameters.
template <typename T>
size_t network_init(Network<T>& net, const std::vector<int>& sizes, const std::vector<Activation>& g,
                    const std::vector<T>& slope, const std::vector<double>& dropout, Loss loss) {
  net.L = static_cast<int>(sizes.size()) - 1;
  net.sizes = sizes;
  net.g = g;
  net.slope = slope;
  net.dropout = dropout;
  net.loss = loss;
  net.W_off.assign(net.L + 1, 0);
  net.b_off.assign(net.L + 1, 0);
  size_t offset = 0;
  for (int l = 1; l <= net.L; ++l) {
    net.W_off[l] = offset;
    offset += static_cast<size_t>(sizes[l]) * sizes[l - 1];
    net.b_off[l] = offset;
    offset += sizes[l];
  }
  net.param_count = offset;
  net.A.assign(net.L + 1, {});
  net.D.assign(net.L + 1, {});
  net.M.assign(net.L + 1, {});
  return offset;
}

// Grows the workspace to hold B rows. Allocates only when B exceeds every earlier batch size.
template <typename T>
void network_reserve(Network<T>& net, int B) {
  if (B <= net.capacity) return;
  const size_t rows = static_cast<size_t>(B);
  int widest = 0;
  for (int l = 0; l <= net.L; ++l) widest = net.sizes[l] > widest ? net.sizes[l] : widest;
  net.X.resize(rows * net.sizes[0]);
  for (int l = 0; l <= net.L; ++l) {
    const size_t n = rows * net.sizes[l];
    if (l > 0) net.A[l].resize(n);
    if (l < net.L && net.dropout[l] > 0) {
      net.D[l].resize(n);
      net.M[l].resize(n);
    }
  }
  net.delta.resize(rows * widest);
  net.delta_prev.resize(rows * widest);
  net.Y.resize(rows * net.sizes[net.L]);
  net.labels.resize(rows);
  net.weights.resize(rows);
  net.capacity = B;
}

}  // namespace blasprop
