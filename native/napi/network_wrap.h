// network_wrap.h — NativeNetwork, the JavaScript object around a Network<float> or Network<double>.
#pragma once
#include <napi.h>
#include <atomic>
#include <functional>
#include <initializer_list>
#include "../kernels/network.h"

struct BusyGuard;

class NativeNetwork : public Napi::ObjectWrap<NativeNetwork> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit NativeNetwork(const Napi::CallbackInfo& info);

  // Marks the network busy for the duration of one call; throws if it already is (an async fit is running).
  void acquire(Napi::Env env);
  void release() { busy_.store(false); }

 private:
  template <typename T> blasprop::Network<T>& network();
  template <typename T> void construct(const Napi::Object& spec);
  template <typename T> Napi::Value train_batches(const Napi::CallbackInfo& info, bool async);
  template <typename T> Napi::Value evaluate(const Napi::CallbackInfo& info, bool async);
  // Queues `pass` on the thread pool; the network stays busy until it settles (guard hands over the release).
  Napi::Value queue_pass(Napi::Env env, const Napi::Object& args, std::function<blasprop::LossStats()> pass, BusyGuard& guard);
  template <typename T> Napi::Value predict(const Napi::CallbackInfo& info);
  // Readies the product engine for passes over these row counts (training or inference precision)
  // and returns the engine, whose pools the pass then sets (onednn_threads.h).
  blasprop::ProductEngine prepare_products(Napi::Env env, std::initializer_list<size_t> rows, bool training);

  Napi::Value TrainBatches(const Napi::CallbackInfo& info);
  Napi::Value TrainBatchesAsync(const Napi::CallbackInfo& info);
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value EvaluateAsync(const Napi::CallbackInfo& info);
  Napi::Value Predict(const Napi::CallbackInfo& info);

  bool is_double_ = false;
  bool bf16_training_ = false;   // mixedPrecision: 'bfloat16'
  bool bf16_inference_ = false;  // ... and predict/evaluate in bfloat16 too
  blasprop::Network<float> net32_;
  blasprop::Network<double> net64_;
  std::atomic<bool> busy_{false};
  Napi::ObjectReference buffers_;  // keeps the JavaScript-owned parameter and state arrays alive
};

// Releases the network's busy flag when a call leaves, by return or by exception, unless the call
// handed the release to a worker (owner set to null).
struct BusyGuard {
  NativeNetwork* owner;
  ~BusyGuard() {
    if (owner) owner->release();
  }
};
