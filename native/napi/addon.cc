// addon.cc — the module: NativeNetwork, the BLAS controls (threads, build information, the pass
// scheduler's policy), the typed error classes and a fast finiteness scan for input validation.
#include <napi.h>
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "errors.h"
#include "network_wrap.h"
#include "pass_scheduler.h"
#include "../kernels/step_phases.h"
#if BLASPROP_HAVE_ONEDNN
#include "../products/onednn.h"
#endif

namespace {

// setThreads(n, adaptive = false): the number of threads OpenBLAS uses for later passes in this
// process (and the number of passes that run at once, one thread each, when several want to run);
// adaptive lets passes with small BLAS calls run on one thread.
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "blasprop native: setThreads(n) needs a number");
  const int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1) throw Napi::RangeError::New(info.Env(), "blasprop native: thread count must be ≥ 1");
  blasprop_napi::PassScheduler::instance().configure(n, info.Length() >= 2 && info[1].ToBoolean());
  return info.Env().Undefined();
}

// setSchedulePolicy('scheduled' | 'unscheduled' | 'narrow' | 'serial'): how concurrent passes are
// admitted (pass_scheduler.h). For bench/concurrency.ts, which compares the candidates; not public API.
Napi::Value SetSchedulePolicy(const Napi::CallbackInfo& info) {
  using blasprop_napi::SchedulePolicy;
  const std::string name = info.Length() >= 1 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  SchedulePolicy policy;
  if (name == "scheduled") policy = SchedulePolicy::Scheduled;
  else if (name == "unscheduled") policy = SchedulePolicy::Unscheduled;
  else if (name == "narrow") policy = SchedulePolicy::Narrow;
  else if (name == "serial") policy = SchedulePolicy::Serial;
  else throw Napi::TypeError::New(info.Env(), "blasprop native: setSchedulePolicy needs 'scheduled', 'unscheduled', 'narrow' or 'serial'");
  blasprop_napi::PassScheduler::instance().set_policy(policy);
  return info.Env().Undefined();
}

// setErrorClasses({ allocation, disposed, busy }): the lib/errors.ts classes to throw in this environment.
Napi::Value SetErrorClasses(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "blasprop native: setErrorClasses needs an object");
  blasprop_napi::set_error_classes(info.Env(), info[0].As<Napi::Object>());
  return info.Env().Undefined();
}

// The oneDNN engine's facts: { version, isa, bf16, avx512 }, or null in a build without oneDNN.
Napi::Value OnednnInfo(Napi::Env env) {
#if BLASPROP_HAVE_ONEDNN
  const dnnl_version_t* v = dnnl_version();
  Napi::Object result = Napi::Object::New(env);
  result.Set("version", std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch));
  result.Set("isa", blasprop::onednn_isa_name());
  result.Set("bf16", blasprop::onednn_has_bf16());
  result.Set("avx512", blasprop::onednn_has_avx512());
  return result;
#else
  return env.Null();
#endif
}

// blasInfo() → { vendor, config, coreType, threads, adaptiveThreads, onednn }
Napi::Value BlasInfo(const Napi::CallbackInfo& info) {
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("vendor", "OpenBLAS");
  result.Set("config", openblas_get_config());
  result.Set("coreType", openblas_get_corename());
  result.Set("threads", blasprop_napi::PassScheduler::instance().configured());
  result.Set("adaptiveThreads", blasprop_napi::PassScheduler::instance().adaptive());
  result.Set("onednn", OnednnInfo(info.Env()));
  return result;
}

// Index of the first NaN or ±Infinity in data[0..n), or n. A value is not finite exactly when all
// its exponent bits are set; blocks are cleared by one vectorizable pass over the bits.
template <typename T, typename Bits>
size_t first_non_finite(const T* data, size_t n, Bits exponent) {
  static_assert(sizeof(T) == sizeof(Bits), "bit pattern type must match the value type");
  constexpr size_t kBlock = 4096;
  for (size_t start = 0; start < n; start += kBlock) {
    const size_t end = std::min(n, start + kBlock);
    Bits found = 0;
    for (size_t k = start; k < end; ++k) {
      Bits bits;
      std::memcpy(&bits, data + k, sizeof bits);
      found |= (bits & exponent) == exponent;
    }
    if (!found) continue;
    for (size_t k = start; k < end; ++k)
      if (!std::isfinite(data[k])) return k;
  }
  return n;
}

// firstNonFinite(array) → index of the first NaN/±Infinity in a Float32Array or Float64Array, or −1.
Napi::Value FirstNonFinite(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "blasprop native: firstNonFinite needs a Float32Array or Float64Array");
  const Napi::TypedArray array = info[0].As<Napi::TypedArray>();
  size_t n = array.ElementLength(), index;
  if (array.TypedArrayType() == napi_float32_array) index = first_non_finite(array.As<Napi::Float32Array>().Data(), n, uint32_t(0x7f800000u));
  else if (array.TypedArrayType() == napi_float64_array) index = first_non_finite(array.As<Napi::Float64Array>().Data(), n, uint64_t(0x7ff0000000000000ull));
  else throw Napi::TypeError::New(info.Env(), "blasprop native: firstNonFinite needs a Float32Array or Float64Array");
  return Napi::Number::New(info.Env(), index == n ? -1.0 : double(index));
}

// stepPhaseTimes(enable) → { steps, seconds: { phase: s } }: the time per phase of the training steps
// since the last call (kernels/step_phases.h), then resets it and turns timing on or off. For
// bench/engines.ts, which times one pass at a time; not public API.
Napi::Value StepPhaseTimes(const Napi::CallbackInfo& info) {
  using blasprop::StepPhase;
  static const char* const names[blasprop::kStepPhaseCount] = {"other", "gather", "products", "operandCopies", "biasActivation", "loss",
                                                               "dropout", "activationBackward", "biasGradient", "zeroGradients", "optimizer"};
  blasprop::StepPhaseTotals& totals = blasprop::step_phase_totals();
  Napi::Object result = Napi::Object::New(info.Env()), seconds = Napi::Object::New(info.Env());
  for (int k = 0; k < blasprop::kStepPhaseCount; ++k) seconds.Set(names[k], double(totals.nanoseconds[k].exchange(0)) * 1e-9);
  result.Set("seconds", seconds);
  result.Set("steps", double(totals.steps.exchange(0)));
  totals.enabled.store(info.Length() >= 1 && info[0].ToBoolean());
  return result;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeNetwork", NativeNetwork::Define(env));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("setSchedulePolicy", Napi::Function::New(env, SetSchedulePolicy, "setSchedulePolicy"));
  exports.Set("setErrorClasses", Napi::Function::New(env, SetErrorClasses, "setErrorClasses"));
  exports.Set("blasInfo", Napi::Function::New(env, BlasInfo, "blasInfo"));
  exports.Set("firstNonFinite", Napi::Function::New(env, FirstNonFinite, "firstNonFinite"));
  exports.Set("stepPhaseTimes", Napi::Function::New(env, StepPhaseTimes, "stepPhaseTimes"));
  return exports;
}

}  // namespace

NODE_API_MODULE(blasprop, Init)
