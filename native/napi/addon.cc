// addon.cc — the module: NativeNetwork plus the BLAS controls (threads, build information).
#include <napi.h>
#include <cblas.h>

#include "network_wrap.h"

namespace {

// setThreads(n): the number of threads OpenBLAS uses for every later call in this process.
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "blasprop native: setThreads(n) needs a number");
  const int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1) throw Napi::RangeError::New(info.Env(), "blasprop native: thread count must be ≥ 1");
  openblas_set_num_threads(n);
  return info.Env().Undefined();
}

// blasInfo() → { vendor, config, coreType, threads }
Napi::Value BlasInfo(const Napi::CallbackInfo& info) {
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("vendor", "OpenBLAS");
  result.Set("config", openblas_get_config());
  result.Set("coreType", openblas_get_corename());
  result.Set("threads", openblas_get_num_threads());
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
