// network_wrap.h — NativeNetwork, the JavaScript object around a Network<float> or Network<double>.
#pragma once
#include <napi.h>
#include <atomic>
#include <functional>
#include <initializer_list>
#include "../kernels/network.h"
#include "pass_scheduler.h"

struct BusyGuard;

// The wrapper's JavaScript object holds, as ordinary hidden properties, the spec (with the parameter
// arrays) and the workspace ArrayBuffer, so the garbage collector reclaims them together with the
// object, without waiting for the finalizer (which runs only when the event loop turns). What stays
// native is small and reported to V8 with napi_adjust_external_memory.
class NativeNetwork : public Napi::ObjectWrap<NativeNetwork> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit NativeNetwork(const Napi::CallbackInfo& info);
  ~NativeNetwork() override;

  // Marks the network busy for the duration of one call; throws if it already is (an async fit is running).
  void acquire(Napi::Env env);
  void release() { busy_.store(false); }

 private:
  template <typename T> blasprop::Network<T>& network();
  template <typename T> void construct(const Napi::Object& spec);
  // Throws the disposed error once dispose() has run.
  void check_alive(Napi::Env env) const;
  // Points the workspace at a block for at least `rows` rows (growing the ArrayBuffer when needed) and
  // returns the ArrayBuffer, which the pass must keep alive.
  template <typename T> Napi::ArrayBuffer point_workspace(Napi::Env env, size_t rows);
  template <typename T> Napi::Value train_batches(const Napi::CallbackInfo& info, bool async);
  template <typename T> Napi::Value evaluate(const Napi::CallbackInfo& info, bool async);
  // Queues `pass` on the thread pool; the network stays busy until it settles (guard hands over the release).
  Napi::Value queue_pass(Napi::Env env, const Napi::Object& args, Napi::ArrayBuffer workspace, std::function<blasprop_napi::PassResult()> pass,
                         BusyGuard& guard);
  template <typename T> Napi::Value predict(const Napi::CallbackInfo& info);
  // Readies the product engine for passes over these row counts (training or inference precision)
  // and returns the engine, which the pass hands to its PassLease (pass_scheduler.h sets its threads).
  blasprop::ProductEngine prepare_products(Napi::Env env, std::initializer_list<size_t> rows, bool training);
  // Tells V8 the bytes held natively now (napi_adjust_external_memory by the difference).
  void report_native_bytes(Napi::Env env, int64_t bytes);

  Napi::Value TrainBatches(const Napi::CallbackInfo& info);
  Napi::Value TrainBatchesAsync(const Napi::CallbackInfo& info);
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value EvaluateAsync(const Napi::CallbackInfo& info);
  Napi::Value Predict(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  bool is_double_ = false;
  bool bf16_training_ = false;   // mixedPrecision: 'bfloat16'
  bool bf16_inference_ = false;  // ... and predict/evaluate in bfloat16 too
  bool disposed_ = false;
  blasprop::Network<float> net32_;
  blasprop::Network<double> net64_;
  size_t workspace_rows_ = 0;  // rows the current workspace ArrayBuffer was sized for
  int64_t shape_bytes_ = 0;    // this object and the shape vectors
  int64_t native_bytes_ = 0;   // reported to V8 as external memory: shape_bytes_
  napi_env env_;
  std::atomic<bool> busy_{false};
};

// Releases the network's busy flag when a call leaves, by return or by exception, unless the call
// handed the release to a worker (owner set to null).
struct BusyGuard {
  NativeNetwork* owner;
  ~BusyGuard() {
    if (owner) owner->release();
  }
};
