// errors.h — the library's typed errors (lib/errors.ts), thrown from C++. lib/backends/native.ts hands
// the classes to the addon once per environment (main thread or worker_thread) with setErrorClasses;
// a caller of the bare binding gets plain Errors with the same messages.
#pragma once
#include <napi.h>
#include <new>
#include <string>

namespace blasprop_napi {

enum class ErrorKind { Allocation, Disposed, Busy, Count };

struct ErrorClasses {
  Napi::FunctionReference classes[static_cast<int>(ErrorKind::Count)];
};

inline const char* error_class_key(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Allocation: return "allocation";
    case ErrorKind::Disposed: return "disposed";
    default: return "busy";
  }
}

// setErrorClasses({ allocation, disposed, busy }): the constructors to throw for each kind.
inline void set_error_classes(Napi::Env env, const Napi::Object& classes) {
  auto* stored = new ErrorClasses();
  for (int k = 0; k < static_cast<int>(ErrorKind::Count); ++k) {
    const Napi::Value c = classes.Get(error_class_key(static_cast<ErrorKind>(k)));
    if (c.IsFunction()) stored->classes[k] = Napi::Persistent(c.As<Napi::Function>());
  }
  env.SetInstanceData(stored);  // deletes the previous classes, if any
}

// An error of the given kind, as an instance of the configured class when there is one.
inline Napi::Error typed_error(Napi::Env env, ErrorKind kind, const std::string& message) {
  ErrorClasses* stored = env.GetInstanceData<ErrorClasses>();
  if (stored && !stored->classes[static_cast<int>(kind)].IsEmpty()) {
    const Napi::Object e = stored->classes[static_cast<int>(kind)].New({Napi::String::New(env, message)});
    return Napi::Error(env, e);
  }
  return Napi::Error::New(env, message);
}

// Runs `body`; a std::bad_alloc from it becomes an allocation error naming `what`.
template <typename F>
auto translate_bad_alloc(Napi::Env env, const char* what, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    throw typed_error(env, ErrorKind::Allocation, std::string("blasprop native: out of memory for ") + what);
  }
}

}  // namespace blasprop_napi
