// network.h — a feed-forward network: its shape, pointers to its flat parameter buffers (owned by
// the caller, laid out W^1 b^1 W^2 b^2 …, W^l row-major [out × in]) and pointers into its workspace,
// one block of memory also owned by the caller (llm.c style): network_workspace_size says how many
// bytes B rows need, network_point_workspace lays the arrays out in a block of that size.
#pragma once
#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <type_traits>
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

  // Workspace for up to `capacity` rows, laid out by network_point_workspace in one caller-owned block
  // and then reused step after step. A pass needs capacity ≥ its batch (network_pass_rows).
  int capacity = 0;
  T* X = nullptr;                // gathered input batch [B × sizes[0]]
  std::vector<T*> A;             // A[l] [B × sizes[l]]: z^l, then a^l before dropout (A[0] unused)
  std::vector<T*> D;             // D[l]: a^l ⊙ mask, where dropout[l] > 0 (D[0] is the masked input)
  std::vector<T*> M;             // M[l]: the dropout mask of a^l, where dropout[l] > 0
  T* delta = nullptr;            // δ^l [B × widest layer]
  T* delta_prev = nullptr;       // δ^(l-1) [B × widest layer]
  T* Y = nullptr;                // gathered dense targets [B × sizes[L]]
  int32_t* labels = nullptr;     // gathered class labels [B]
  T* weights = nullptr;          // gathered row weights [B]
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
  net.A.assign(net.L + 1, nullptr);
  net.D.assign(net.L + 1, nullptr);
  net.M.assign(net.L + 1, nullptr);
  return offset;
}

// Alignment of each array in the workspace block (a cache line, and enough for AVX-512 loads).
constexpr size_t kWorkspaceAlignment = 64;

// Walks the workspace arrays for B rows in layout order: visit(pointer member, element count).
// One list serves both the size computation and the pointer setup, so they cannot disagree.
template <typename T, typename Visit>
void network_workspace_layout(Network<T>& net, size_t B, Visit visit) {
  size_t widest = 0;
  for (int l = 0; l <= net.L; ++l) widest = std::max(widest, static_cast<size_t>(net.sizes[l]));
  visit(net.X, B * net.sizes[0]);
  for (int l = 0; l <= net.L; ++l) {
    const size_t n = B * net.sizes[l];
    if (l > 0) visit(net.A[l], n);
    if (l < net.L && net.dropout[l] > 0) {
      visit(net.D[l], n);
      visit(net.M[l], n);
    }
  }
  visit(net.delta, B * widest);
  visit(net.delta_prev, B * widest);
  visit(net.Y, B * net.sizes[net.L]);
  visit(net.labels, B);
  visit(net.weights, B);
}

// Bytes of workspace for B rows (each array rounded up to kWorkspaceAlignment), or 0 when the total
// would exceed SIZE_MAX / 4 (no allocation of that size can succeed).
template <typename T>
size_t network_workspace_size(Network<T>& net, size_t B) {
  constexpr size_t kCap = SIZE_MAX / 4;
  size_t total = 0;
  bool too_large = false;
  network_workspace_layout(net, B, [&](auto& pointer, size_t count) {
    const size_t element = sizeof(*pointer);
    if (too_large || count > kCap / element || total + count * element + kWorkspaceAlignment > kCap) {
      too_large = true;
      return;
    }
    total += (count * element + kWorkspaceAlignment - 1) / kWorkspaceAlignment * kWorkspaceAlignment;
  });
  return too_large ? 0 : total;
}

// Points the workspace arrays for B rows into `block` (network_workspace_size(net, B) bytes, aligned to
// kWorkspaceAlignment), or clears them for block = null. Allocates nothing.
template <typename T>
void network_point_workspace(Network<T>& net, size_t B, void* block) {
  unsigned char* next = static_cast<unsigned char*>(block);
  network_workspace_layout(net, B, [&](auto& pointer, size_t count) {
    pointer = reinterpret_cast<std::remove_reference_t<decltype(pointer)>>(next);
    if (next) next += (count * sizeof(*pointer) + kWorkspaceAlignment - 1) / kWorkspaceAlignment * kWorkspaceAlignment;
  });
  net.capacity = block ? static_cast<int>(B) : 0;
}

}  // namespace blasprop
