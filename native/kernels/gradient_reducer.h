// gradient_reducer.h — averaging the gradient across processes, as the training step sees it: a
// table of C functions that another module supplies (native/mpi/ on MPI). No MPI here, so the
// main addon and its prebuilds never depend on an MPI library.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>

namespace blasprop {

// The N-API type tag of the External that carries a GradientReducer from one addon to the other.
constexpr uint64_t kGradientReducerTag[2] = {0x626c617370726f70ull, 0x6d70692d72656475ull};

struct GradientReducer {
  void* context = nullptr;
  // Starts averaging data[0..count) in place across the processes (non-blocking); is_double selects
  // float64 over float32. Returns 0, or an error code and the message in `message`.
  int (*start)(void* context, void* data, size_t count, int is_double, char* message, size_t message_size) = nullptr;
  // Waits until every started average is complete. Returns 0, or an error code and the message.
  int (*finish)(void* context, char* message, size_t message_size) = nullptr;
  // True: each layer's slice W^l b^l is started as soon as backward has computed it, while the layers
  // below run backward (as PyTorch DDP's buckets); false: the whole gradient after backward.
  bool overlap = false;
};

// A reducer's error as a C++ exception. The WebAssembly engine, built without exceptions, never
// has a reducer, so there the call cannot be reached.
[[noreturn]] inline void reducer_fail(const char* message) {
#if defined(__cpp_exceptions)
  throw std::runtime_error(message);
#else
  (void)message;
  __builtin_trap();
#endif
}

// Starts averaging data[0..count) (the whole gradient, or one layer's slice of it); throws the reducer's error.
template <typename T>
void reducer_start(const GradientReducer& r, T* data, size_t count) {
  char message[256] = "";
  if (r.start(r.context, data, count, sizeof(T) == sizeof(double), message, sizeof message) != 0) reducer_fail(message);
}

// Waits for every average started; throws the reducer's error.
inline void reducer_finish(const GradientReducer& r) {
  char message[256] = "";
  if (r.finish(r.context, message, sizeof message) != 0) reducer_fail(message);
}

}  // namespace blasprop
