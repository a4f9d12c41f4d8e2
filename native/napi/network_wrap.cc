// network_wrap.cc — argument checking and dispatch for NativeNetwork; the arithmetic lives in kernels/.
#include "network_wrap.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "../kernels/diagnostics.h"
#include "../kernels/training.h"
#include "../kernels/threads.h"
#include "args.h"
#include "errors.h"
#include "pass_scheduler.h"

using namespace blasprop;
using namespace blasprop_napi;

namespace {

// Hidden properties of the wrapper object (see network_wrap.h).
constexpr const char* kSpecKey = "__blaspropSpec";
constexpr const char* kWorkspaceKey = "__blaspropWorkspace";

// Below this many multiply-adds (rows × parameters) a pass on the calling thread skips the scheduler:
// about a millisecond on one core, e.g. a predict of a few rows on 784-256-128-10.
constexpr double kMaxUnscheduledMultiplyAdds = 2.0e6;

// Defines a hidden (non-enumerable, non-configurable) writable property.
void set_hidden(Napi::Object o, const char* key, Napi::Value value) {
  o.DefineProperty(Napi::PropertyDescriptor::Value(key, value, napi_writable));
}

std::vector<double> get_number_list(const Napi::Object& o, const char* key, size_t length) {
  const Napi::Value v = o.Get(key);
  if (!v.IsArray() || v.As<Napi::Array>().Length() != length)
    throw Napi::TypeError::New(o.Env(), std::string("blasprop native: '") + key + "' must be an array of " +
                                            std::to_string(length) + " numbers");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<double> out(length);
  for (uint32_t k = 0; k < length; ++k) {
    const Napi::Value e = a.Get(k);
    if (!e.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("blasprop native: '") + key + "' must hold numbers");
    out[k] = e.As<Napi::Number>().DoubleValue();
  }
  return out;
}

OptimizerConfig parse_optimizer(const Napi::Object& o) {
  OptimizerConfig c;
  const double type = get_number(o, "type");
  if (!is_enum_code(type, OptimizerType::Adagrad)) throw Napi::RangeError::New(o.Env(), "blasprop native: unknown optimizer type");
  c.type = static_cast<OptimizerType>(static_cast<int>(type));
  c.learning_rate = get_number(o, "learningRate");
  c.momentum = get_number_or(o, "momentum", 0);
  c.nesterov = o.Get("nesterov").ToBoolean();
  c.beta1 = get_number_or(o, "beta1", 0.9);
  c.beta2 = get_number_or(o, "beta2", 0.999);
  c.epsilon = get_number_or(o, "epsilon", 1e-8);
  c.alpha = get_number_or(o, "alpha", 0.99);
  c.centered = o.Get("centered").ToBoolean();
  c.initial_accumulator = get_number_or(o, "initialAccumulator", 0);
  c.weight_decay = get_number_or(o, "weightDecay", 0);
  c.max_norm = get_number_or(o, "maxNorm", 0);
  c.clip_norm = get_number_or(o, "clipNorm", 0);
  const double values[] = {c.learning_rate, c.momentum, c.beta1, c.beta2, c.epsilon, c.alpha, c.initial_accumulator,
                           c.weight_decay, c.max_norm, c.clip_norm};
  for (double v : values)
    if (!std::isfinite(v) || v < 0) throw Napi::RangeError::New(o.Env(), "blasprop native: optimizer settings must be finite and ≥ 0");
  return c;
}

// The dataset of a call: X, Y or labels, and optional row weights, with every length checked against `rows`.
template <typename T>
Dataset<T> parse_dataset(const Network<T>& net, const Napi::Object& o) {
  Dataset<T> data;
  data.rows = get_count(o, "rows");
  const size_t in = net.sizes[0], out = net.sizes[net.L];
  data.X = get_array<T>(o, "X", data.rows * in);
  data.y.dense = get_array<T>(o, "Y", data.rows * out, true);
  data.y.labels = get_array<int32_t>(o, "labels", data.rows, true);
  data.y.weights = get_array<T>(o, "weights", data.rows, true);
  if ((data.y.dense == nullptr) == (data.y.labels == nullptr))
    throw Napi::TypeError::New(o.Env(), "blasprop native: give exactly one of 'Y' and 'labels'");
  if (data.y.labels && net.loss != Loss::CrossEntropy)
    throw Napi::TypeError::New(o.Env(), "blasprop native: class labels need the cross-entropy loss");
  return data;
}

template <typename T>
void check_label_range(const Network<T>& net, const Dataset<T>& data, const int32_t* order, size_t count, Napi::Env env) {
  if (!data.y.labels) return;
  const int32_t out = net.sizes[net.L];
  for (size_t k = 0; k < count; ++k) {
    const int32_t label = data.y.labels[order ? order[k] : k];
    if (label < 0 || label >= out)
      throw Napi::RangeError::New(env, "blasprop native: class label " + std::to_string(label) + " is outside [0, " +
                                           std::to_string(out) + ")");
  }
}

// Clears a disposed network's pointers into the workspace and the detached parameter arrays.
template <typename T>
void forget_buffers(Network<T>& net) {
  network_point_workspace(net, 0, nullptr);
  net.params = net.grads = net.opt_m = net.opt_v = net.opt_g = nullptr;
  products_release(net.products);
}

// Whether a pass over `rows` rows is small enough to skip the scheduler (kMaxUnscheduledMultiplyAdds).
template <typename T>
bool is_small_pass(const Network<T>& net, size_t rows) {
  return double(rows) * double(net.param_count) < kMaxUnscheduledMultiplyAdds;
}

// All that one trainBatches call needs, copied out of JavaScript values so a worker thread can run it.
template <typename T>
struct TrainCall {
  Dataset<T> data;
  BatchPlan plan;
  OptimizerConfig optimizer;
  GradientReducer reducer;  // used when has_reducer: plan.reducer points at the worker's copy
  bool has_reducer = false;
};

// The optional 'reducer' of a training call: an External from the MPI module (blasprop_mpi.node),
// checked by its type tag, and 'overlap'.
bool parse_reducer(const Napi::Object& o, GradientReducer& out) {
  const Napi::Value v = o.Get("reducer");
  if (v.IsUndefined() || v.IsNull()) return false;
  bool tagged = false;
  const napi_type_tag tag = {kGradientReducerTag[0], kGradientReducerTag[1]};
  if (v.Type() != napi_external || napi_check_object_type_tag(o.Env(), v, &tag, &tagged) != napi_ok || !tagged)
    throw Napi::TypeError::New(o.Env(), "blasprop native: 'reducer' must be the gradient reducer of the MPI module");
  out = *static_cast<const GradientReducer*>(v.As<Napi::External<void>>().Data());
  out.overlap = o.Get("overlap").ToBoolean();
  return true;
}

template <typename T>
TrainCall<T> parse_train_call(const Network<T>& net, const Napi::Object& o) {
  TrainCall<T> call;
  call.data = parse_dataset(net, o);
  call.plan.count = get_count(o, "count");
  call.plan.order = get_array<int32_t>(o, "order", call.plan.count);
  const size_t batch_size = get_count(o, "batchSize");
  if (batch_size < 1) throw Napi::RangeError::New(o.Env(), "blasprop native: 'batchSize' must be ≥ 1");
  if (call.plan.count < 1) throw Napi::RangeError::New(o.Env(), "blasprop native: 'count' must be ≥ 1");
  call.plan.batch_size = static_cast<int>(batch_size);
  call.plan.first_step = get_number(o, "firstStep");
  const size_t steps = (call.plan.count + batch_size - 1) / batch_size;
  call.plan.step_losses = get_array<double>(o, "stepLosses", steps, true);
  call.plan.step_weights = get_array<double>(o, "stepWeights", steps, true);
  call.plan.step_denominators = get_array<double>(o, "stepDenominators", steps, true);
  call.plan.diagnostics = get_array<double>(o, "diagnostics", size_t(net.L) * kDiagnosticsPerLayer, true);
  for (size_t k = 0; k < call.plan.count; ++k) {
    const int32_t r = call.plan.order[k];
    if (r < 0 || size_t(r) >= call.data.rows)
      throw Napi::RangeError::New(o.Env(), "blasprop native: row index " + std::to_string(r) + " in 'order' is outside [0, " +
                                               std::to_string(call.data.rows) + ")");
  }
  check_label_range(net, call.data, call.plan.order, call.plan.count, o.Env());
  call.optimizer = parse_optimizer(o.Get("optimizer").As<Napi::Object>());
  call.has_reducer = parse_reducer(o, call.reducer);
  return call;
}

// Runs a pass on the calling thread; a C++ exception becomes a JavaScript error instead of a crash
// (a std::bad_alloc is left to the entry point, which makes it the allocation error).
template <typename Pass>
auto run_here(Napi::Env env, Pass&& pass) -> decltype(pass()) {
  try {
    return pass();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {  // a product engine's failure (dnnl::error) or a gradient reducer's (MPI)
    throw Napi::Error::New(env, std::string("blasprop native: ") + e.what());
  }
}

// { lossSum, correct, runMs? }: runMs is the time the pass ran once admitted (PassResult).
Napi::Value stats_to_js(Napi::Env env, const PassResult& r) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("lossSum", r.stats.loss_sum);
  result.Set("correct", r.stats.correct);
  result.Set("weightSum", r.stats.weight_sum);
  if (r.run_ms >= 0) result.Set("runMs", r.run_ms);
  return result;
}

// Runs one pass (a training call or an evaluation) on the libuv thread pool, once the scheduler
// admits it; the promise settles on the main thread. The pass only reads data that `args` and
// `workspace` keep alive, and the network is busy until then.
class PassWorker : public Napi::AsyncWorker {
 public:
  PassWorker(Napi::Env env, NativeNetwork* owner, Napi::Object self, Napi::Object args, Napi::ArrayBuffer workspace,
             std::function<PassResult()> pass)
      : Napi::AsyncWorker(env, "blasprop:pass"), deferred_(Napi::Promise::Deferred::New(env)), owner_(owner), pass_(std::move(pass)) {
    self_ = Napi::Persistent(self);            // the network may not be collected while its worker runs
    args_ = Napi::Persistent(args);            // nor may the data arrays the worker reads
    workspace_ = Napi::Persistent(workspace);  // nor the workspace it writes
  }
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      stats_ = pass_();
    } catch (const std::bad_alloc&) {
      SetError("blasprop native: out of memory while running the pass");
    } catch (const std::exception& e) {  // a product engine's failure (dnnl::error), a gradient reducer's (MPI), or the scheduler's
      SetError(std::string("blasprop native: ") + e.what());
    }
  }
  void OnOK() override {
    owner_->release();
    deferred_.Resolve(stats_to_js(Env(), stats_));
  }
  void OnError(const Napi::Error& e) override {
    owner_->release();
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  NativeNetwork* owner_;
  std::function<PassResult()> pass_;
  PassResult stats_;
  Napi::ObjectReference self_, args_;
  Napi::Reference<Napi::ArrayBuffer> workspace_;
};

// The spec's product engine ('blas': 'openblas' | 'onednn') and precision ('mixedPrecision').
void construct_products(Products& p, const Napi::Object& spec, const std::vector<int>& sizes, bool is_double) {
  Napi::Env env = spec.Env();
  const std::string blas = is_absent(spec.Get("blas")) ? "openblas" : spec.Get("blas").ToString().Utf8Value();
  if (blas != "openblas" && blas != "onednn") throw Napi::TypeError::New(env, "blasprop native: 'blas' must be 'openblas' or 'onednn'");
  const bool bf16 = spec.Get("mixedPrecision").ToBoolean();
  if ((blas == "onednn" || bf16) && is_double)
    throw Napi::RangeError::New(env, "blasprop native: oneDNN and mixed precision run float32 networks only");
  if (bf16 && blas != "onednn") throw Napi::RangeError::New(env, "blasprop native: mixed precision needs the oneDNN engine");
  if (blas == "openblas") return;
#if BLASPROP_HAVE_ONEDNN
  if (bf16 && !onednn_has_bf16())
    throw Napi::Error::New(env, std::string("blasprop native: bfloat16 products need a CPU with avx512_core_bf16 or avx512_core_amx; oneDNN dispatches to ") +
                                    onednn_isa_name());
  p.engine = ProductEngine::OneDNN;
  p.onednn = std::make_unique<OnednnProducts>(sizes);
#else
  (void)p, (void)sizes;
  throw Napi::Error::New(env, "blasprop native: this build has no oneDNN (install libdnnl-dev and rebuild)");
#endif
}

}  // namespace

template <> Network<float>& NativeNetwork::network<float>() { return net32_; }
template <> Network<double>& NativeNetwork::network<double>() { return net64_; }

Napi::Function NativeNetwork::Define(Napi::Env env) {
  return DefineClass(env, "NativeNetwork",
                     {InstanceMethod<&NativeNetwork::TrainBatches>("trainBatches"),
                      InstanceMethod<&NativeNetwork::TrainBatchesAsync>("trainBatchesAsync"),
                      InstanceMethod<&NativeNetwork::Evaluate>("evaluate"),
                      InstanceMethod<&NativeNetwork::EvaluateAsync>("evaluateAsync"),
                      InstanceMethod<&NativeNetwork::Predict>("predict"),
                      InstanceMethod<&NativeNetwork::Dispose>("dispose")});
}

// new NativeNetwork({ dtype, sizes, activations, slopes, dropout, loss, params, grads, optM, optV, optG, rng })
NativeNetwork::NativeNetwork(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeNetwork>(info), env_(info.Env()) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "blasprop native: expected a network spec object");
  const Napi::Object spec = info[0].As<Napi::Object>();
  const std::string dtype = spec.Get("dtype").ToString();
  if (dtype != "float32" && dtype != "float64") throw Napi::TypeError::New(env, "blasprop native: dtype must be 'float32' or 'float64'");
  is_double_ = dtype == "float64";
  translate_bad_alloc(env, "the network's shape", [&] {
    if (is_double_) construct<double>(spec); else construct<float>(spec);
  });
  // An ordinary property, not a persistent reference: the arrays die with the wrapper object.
  set_hidden(info.This().As<Napi::Object>(), kSpecKey, spec);
  set_hidden(info.This().As<Napi::Object>(), kWorkspaceKey, env.Undefined());
}

NativeNetwork::~NativeNetwork() {
  if (native_bytes_ != 0) napi_adjust_external_memory(env_, -native_bytes_, nullptr);
}

void NativeNetwork::check_alive(Napi::Env env) const {
  if (disposed_) throw typed_error(env, ErrorKind::Disposed, "blasprop native: the network was disposed");
}

template <typename T>
Napi::ArrayBuffer NativeNetwork::point_workspace(Napi::Env env, size_t rows) {
  Network<T>& net = network<T>();
  const size_t wanted_rows = std::max(rows, workspace_rows_);
  const size_t bytes = network_workspace_size(net, wanted_rows);
  const std::string what = "the workspace of " + std::to_string(wanted_rows) + " rows (" + std::to_string(bytes) + " bytes)";
  if (bytes == 0) throw typed_error(env, ErrorKind::Allocation, "blasprop native: cannot allocate " + what);
  const Napi::Value current = Value().Get(kWorkspaceKey);
  Napi::ArrayBuffer block;
  if (current.IsArrayBuffer() && current.As<Napi::ArrayBuffer>().ByteLength() >= bytes + kWorkspaceAlignment) {
    block = current.As<Napi::ArrayBuffer>();
  } else {
    // The JavaScript constructor, not napi_create_arraybuffer: V8's C++ ArrayBuffer::New aborts the
    // process when the allocation fails, the constructor throws a RangeError.
    try {
      const Napi::Function constructor = env.Global().Get("ArrayBuffer").As<Napi::Function>();
      block = constructor.New({Napi::Number::New(env, double(bytes + kWorkspaceAlignment))}).As<Napi::ArrayBuffer>();
    } catch (const Napi::Error& e) {
      throw typed_error(env, ErrorKind::Allocation, "blasprop native: cannot allocate " + what + ": " + e.Message());
    }
    Value().Set(kWorkspaceKey, block);
    workspace_rows_ = wanted_rows;
  }
  const uintptr_t base = reinterpret_cast<uintptr_t>(block.Data());
  network_point_workspace(net, wanted_rows, static_cast<unsigned char*>(block.Data()) + (kWorkspaceAlignment - base % kWorkspaceAlignment) % kWorkspaceAlignment);
  return block;
}

template <typename T>
void NativeNetwork::construct(const Napi::Object& spec) {
  Napi::Env env = spec.Env();
  const Napi::Value sizes_value = spec.Get("sizes");
  if (!sizes_value.IsArray() || sizes_value.As<Napi::Array>().Length() < 2)
    throw Napi::TypeError::New(env, "blasprop native: 'sizes' must list the inputs and at least one layer");
  const size_t L = sizes_value.As<Napi::Array>().Length() - 1;
  std::vector<int> sizes;
  for (double s : get_number_list(spec, "sizes", L + 1)) {
    if (!(s >= 1 && s <= 1 << 24) || s != std::floor(s)) throw Napi::RangeError::New(env, "blasprop native: layer sizes must be integers in [1, 2^24]");
    sizes.push_back(static_cast<int>(s));
  }
  std::vector<Activation> g(L + 1, Activation::Identity);
  std::vector<T> slope(L + 1, T(0));
  const std::vector<double> codes = get_number_list(spec, "activations", L + 1);
  const std::vector<double> slopes = get_number_list(spec, "slopes", L + 1);
  const double loss_code = get_number(spec, "loss");
  if (!is_enum_code(loss_code, Loss::BinaryCrossEntropy)) throw Napi::RangeError::New(env, "blasprop native: unknown loss code");
  const Loss loss = static_cast<Loss>(static_cast<int>(loss_code));
  for (size_t l = 1; l <= L; ++l) {
    if (!is_enum_code(codes[l], Activation::Softmax)) throw Napi::RangeError::New(env, "blasprop native: unknown activation code");
    g[l] = static_cast<Activation>(static_cast<int>(codes[l]));
    if ((g[l] == Activation::Softmax) != (l == L && loss == Loss::CrossEntropy))
      throw Napi::RangeError::New(env, "blasprop native: softmax must be the output activation, and only with cross-entropy");
    if (!std::isfinite(slopes[l]) || slopes[l] < 0) throw Napi::RangeError::New(env, "blasprop native: slopes must be finite and ≥ 0");
    slope[l] = T(slopes[l]);
  }
  const std::vector<double> dropout = get_number_list(spec, "dropout", L);
  for (double p : dropout)
    if (!(p >= 0 && p < 1)) throw Napi::RangeError::New(env, "blasprop native: dropout probabilities must be in [0, 1)");
  if (loss == Loss::BinaryCrossEntropy && g[L] != Activation::Sigmoid) throw Napi::RangeError::New(env, "blasprop native: binary cross-entropy needs a sigmoid output");

  Network<T>& net = network<T>();
  const size_t n = network_init(net, sizes, g, slope, dropout, loss);
  if (n > 2147483647u) throw Napi::RangeError::New(env, "blasprop native: more than 2^31 − 1 parameters");
  net.params = get_array<T>(spec, "params", n);
  net.grads = get_array<T>(spec, "grads", n);
  net.opt_m = get_array<T>(spec, "optM", n);
  net.opt_v = get_array<T>(spec, "optV", n);
  net.opt_g = get_array<T>(spec, "optG", n);
  net.rng = get_array<uint32_t>(spec, "rng", 4);
  construct_products(net.products, spec, sizes, is_double_);
  bf16_training_ = spec.Get("mixedPrecision").ToBoolean();
  bf16_inference_ = bf16_training_ && spec.Get("inferenceMixedPrecision").ToBoolean();
  // The native part that stays outside the JavaScript heap: this object and the shape vectors (the
  // product engine's primitives are small, their buffers are per thread: products/onednn.h).
  shape_bytes_ = int64_t(sizeof(NativeNetwork)) + int64_t(L + 1) * int64_t(sizeof(int) + sizeof(Activation) + sizeof(T) + sizeof(double) + 2 * sizeof(size_t) + 3 * sizeof(T*));
  report_native_bytes(spec.Env(), shape_bytes_);
}

void NativeNetwork::report_native_bytes(Napi::Env env, int64_t bytes) {
  if (bytes != native_bytes_) napi_adjust_external_memory(env, bytes - native_bytes_, nullptr);
  native_bytes_ = bytes;
}

ProductEngine NativeNetwork::prepare_products(Napi::Env env, std::initializer_list<size_t> rows, bool training) {
  Products& p = is_double_ ? net64_.products : net32_.products;
  p.bf16 = training ? bf16_training_ : bf16_inference_;
  if (p.engine == ProductEngine::OpenBLAS) return p.engine;
  // Single rows in float32 run on OpenBLAS's gemv/ger (products.h): such a pass is an OpenBLAS pass,
  // and a one-row predict may skip the scheduler's queue instead of waiting behind fits' steps.
  if (!p.bf16 && std::all_of(rows.begin(), rows.end(), [](size_t B) { return B <= 1; })) return ProductEngine::OpenBLAS;
  try {
    for (size_t B : rows)
      if (B > 0) products_prepare(p, static_cast<int>(B));
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("blasprop native: oneDNN cannot create this network's products: ") + e.what());
  }
  return p.engine;
}

void NativeNetwork::acquire(Napi::Env env) {
  check_alive(env);
  bool expected = false;
  if (!busy_.compare_exchange_strong(expected, true))
    throw typed_error(env, ErrorKind::Busy, "blasprop native: the network is busy with an asynchronous fit");
}

template <typename T>
Napi::Value NativeNetwork::train_batches(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "blasprop native: expected a training call object");
  const Napi::Object args = info[0].As<Napi::Object>();
  Network<T>& net = network<T>();
  acquire(env);
  BusyGuard guard{this};
  const TrainCall<T> call = parse_train_call(net, args);
  const int rows = network_pass_rows(call.plan.count, call.plan.batch_size);
  const size_t first = std::min<size_t>(call.plan.count, call.plan.batch_size);
  const ProductEngine engine = prepare_products(env, {first, call.plan.count > first ? call.plan.count % first : 0}, true);
  const Napi::ArrayBuffer workspace = point_workspace<T>(env, rows);
  const int threads = network_blas_threads(net, rows, PassScheduler::instance().configured());
  auto pass = [&net, call, threads, engine] {
    PassLease lease(threads, engine);
    BatchPlan plan = call.plan;
    plan.reducer = call.has_reducer ? &call.reducer : nullptr;
    plan.between_steps = lease.between_steps();
    const LossStats stats = network_train_batches(net, call.data, plan, call.optimizer);
    return PassResult{stats, lease.elapsed_ms()};
  };
  if (async) return queue_pass(env, args, workspace, pass, guard);
  return stats_to_js(env, run_here(env, pass));
}

Napi::Value NativeNetwork::queue_pass(Napi::Env env, const Napi::Object& args, Napi::ArrayBuffer workspace, std::function<PassResult()> pass,
                                      BusyGuard& guard) {
  auto* worker = new PassWorker(env, this, Value(), args, workspace, std::move(pass));
  worker->Queue();
  guard.owner = nullptr;  // the worker releases the network when it settles
  return worker->promise();
}

// evaluate({ X, Y | labels, weights?, rows, gradients }) → { lossSum, correct, weightSum }; with
// gradients: true the gradient of the (weighted) mean loss is left in the grads array.
template <typename T>
Napi::Value NativeNetwork::evaluate(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "blasprop native: expected an evaluate call object");
  const Napi::Object args = info[0].As<Napi::Object>();
  Network<T>& net = network<T>();
  acquire(env);
  BusyGuard guard{this};
  const Dataset<T> data = parse_dataset(net, args);
  if (data.rows < 1) throw Napi::RangeError::New(env, "blasprop native: 'rows' must be ≥ 1");
  check_label_range(net, data, nullptr, data.rows, env);
  const bool gradients = args.Get("gradients").ToBoolean();
  const int rows = network_pass_rows(data.rows, kInferenceChunkRows);
  const ProductEngine engine = prepare_products(env, {size_t(rows), data.rows > kInferenceChunkRows ? data.rows % kInferenceChunkRows : 0}, false);
  const Napi::ArrayBuffer workspace = point_workspace<T>(env, rows);
  const UnscheduledPass unscheduled(!async && engine == ProductEngine::OpenBLAS && is_small_pass(net, data.rows));
  if (unscheduled.entered())
    return stats_to_js(env, PassResult{run_here(env, [&] { return network_evaluate(net, data.X, data.y, data.rows, gradients); })});
  const int threads = network_blas_threads(net, rows, PassScheduler::instance().configured());
  auto pass = [&net, data, gradients, threads, engine] {
    PassLease lease(threads, engine);
    const LossStats stats = network_evaluate(net, data.X, data.y, data.rows, gradients, lease.between_steps());
    return PassResult{stats, lease.elapsed_ms()};
  };
  if (async) return queue_pass(env, args, workspace, pass, guard);
  return stats_to_js(env, run_here(env, pass));
}

// predict({ X, rows, out }): out[rows × outputs] = the network's output.
template <typename T>
Napi::Value NativeNetwork::predict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "blasprop native: expected a predict call object");
  const Napi::Object args = info[0].As<Napi::Object>();
  Network<T>& net = network<T>();
  acquire(env);
  BusyGuard guard{this};
  const size_t rows = get_count(args, "rows");
  const T* X = get_array<T>(args, "X", rows * net.sizes[0]);
  T* out = get_array<T>(args, "out", rows * net.sizes[net.L]);
  if (rows == 0) return env.Undefined();
  const int chunk = network_pass_rows(rows, kInferenceChunkRows);
  const ProductEngine engine = prepare_products(env, {size_t(chunk), rows > kInferenceChunkRows ? rows % kInferenceChunkRows : 0}, false);
  point_workspace<T>(env, chunk);
  const UnscheduledPass unscheduled(engine == ProductEngine::OpenBLAS && is_small_pass(net, rows));
  run_here(env, [&] {
    if (unscheduled.entered()) return network_predict(net, X, rows, out);
    const PassLease lease(network_blas_threads(net, chunk, PassScheduler::instance().configured()), engine);
    network_predict(net, X, rows, out);
  });
  return env.Undefined();
}

// dispose(): frees the workspace and the parameter arrays at once (their ArrayBuffers are detached);
// later calls throw the disposed error, a second dispose does nothing.
Napi::Value NativeNetwork::Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (disposed_) return env.Undefined();
  if (busy_.load()) throw typed_error(env, ErrorKind::Busy, "blasprop native: dispose() while an asynchronous fit runs on the network");
  disposed_ = true;
  const Napi::Value workspace = Value().Get(kWorkspaceKey);
  if (workspace.IsArrayBuffer()) workspace.As<Napi::ArrayBuffer>().Detach();
  const Napi::Value spec = Value().Get(kSpecKey);
  if (spec.IsObject()) {
    for (const char* key : {"params", "grads", "optM", "optV", "optG"}) {
      const Napi::Value array = spec.As<Napi::Object>().Get(key);
      if (array.IsTypedArray()) array.As<Napi::TypedArray>().ArrayBuffer().Detach();
    }
  }
  Value().Set(kWorkspaceKey, env.Undefined());
  Value().Set(kSpecKey, env.Undefined());
  workspace_rows_ = 0;
  if (is_double_) forget_buffers(net64_); else forget_buffers(net32_);
  return env.Undefined();
}

// The entry points: a std::bad_alloc while reading a call becomes the allocation error.
Napi::Value NativeNetwork::TrainBatches(const Napi::CallbackInfo& info) {
  return translate_bad_alloc(info.Env(), "a training call", [&] { return is_double_ ? train_batches<double>(info, false) : train_batches<float>(info, false); });
}
Napi::Value NativeNetwork::TrainBatchesAsync(const Napi::CallbackInfo& info) {
  return translate_bad_alloc(info.Env(), "a training call", [&] { return is_double_ ? train_batches<double>(info, true) : train_batches<float>(info, true); });
}
Napi::Value NativeNetwork::Evaluate(const Napi::CallbackInfo& info) {
  return translate_bad_alloc(info.Env(), "an evaluate call", [&] { return is_double_ ? evaluate<double>(info, false) : evaluate<float>(info, false); });
}
Napi::Value NativeNetwork::EvaluateAsync(const Napi::CallbackInfo& info) {
  return translate_bad_alloc(info.Env(), "an evaluate call", [&] { return is_double_ ? evaluate<double>(info, true) : evaluate<float>(info, true); });
}
Napi::Value NativeNetwork::Predict(const Napi::CallbackInfo& info) {
  return translate_bad_alloc(info.Env(), "a predict call", [&] { return is_double_ ? predict<double>(info) : predict<float>(info); });
}
