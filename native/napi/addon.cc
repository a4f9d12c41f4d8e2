// addon.cc — the module: NativeNetwork plus the BLAS controls (threads, build information).
#include <napi.h>
#include <cblas.h>

#include "blas_threads.h"
#include "network_wrap.h"

namespace {

// setThreads(n, adaptive = true): the number of threads OpenBLAS uses for later passes in this
// process; adaptive lets passes with small BLAS calls run on one thread.
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "blasprop native: setThreads(n) needs a number");
  const int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1) throw Napi::RangeError::New(info.Env(), "blasprop native: thread count must be ≥ 1");
  blasprop_napi::blas_threads_configure(n, info.Length() < 2 || info[1].ToBoolean());
  return info.Env().Undefined();
}

// blasInfo() → { vendor, config, coreType, threads, adaptiveThreads }
Napi::Value BlasInfo(const Napi::CallbackInfo& info) {
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("vendor", "OpenBLAS");
  result.Set("config", openblas_get_config());
  result.Set("coreType", openblas_get_corename());
  const int configured = blasprop_napi::g_configured_threads.load();
  result.Set("threads", configured > 0 ? configured : openblas_get_num_threads());
  result.Set("adaptiveThreads", blasprop_napi::g_adaptive_threads.load());
  return result;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeNetwork", NativeNetwork::Define(env));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("blasInfo", Napi::Function::New(env, BlasInfo, "blasInfo"));
  return exports;
}

}  // namespace

NODE_API_MODULE(blasprop, Init)
