// args.h — reading and checking JavaScript arguments. The TypeScript layer validates values (NaN,
// label ranges, option names) with user-facing messages; this layer re-checks everything that keeps
// memory safe (array kinds, lengths, indices), so a direct caller of the binding gets a TypeError or
// RangeError, never an out-of-bounds read.
#pragma once
#include <napi.h>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>

namespace blasprop_napi {

// True when v is the code of an enum whose codes run from 0 to `last` (an integer in [0, last]).
template <typename E>
bool is_enum_code(double v, E last) {
  return v >= 0 && v <= static_cast<int>(last) && v == std::floor(v);
}

inline bool is_absent(const Napi::Value& v) { return v.IsUndefined() || v.IsNull(); }

inline double get_number(const Napi::Object& o, const char* key) {
  const Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("blasprop native: '") + key + "' must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

inline double get_number_or(const Napi::Object& o, const char* key, double fallback) {
  return is_absent(o.Get(key)) ? fallback : get_number(o, key);
}

inline size_t get_count(const Napi::Object& o, const char* key) {
  const double v = get_number(o, key);
  if (!(v >= 0) || v != static_cast<double>(static_cast<int64_t>(v)) || v > 2147483647.0)
    throw Napi::RangeError::New(o.Env(), std::string("blasprop native: '") + key + "' must be an integer in [0, 2^31)");
  return static_cast<size_t>(v);
}

template <typename T> constexpr napi_typedarray_type typed_array_kind();
template <> constexpr napi_typedarray_type typed_array_kind<float>() { return napi_float32_array; }
template <> constexpr napi_typedarray_type typed_array_kind<double>() { return napi_float64_array; }
template <> constexpr napi_typedarray_type typed_array_kind<int32_t>() { return napi_int32_array; }
template <> constexpr napi_typedarray_type typed_array_kind<uint32_t>() { return napi_uint32_array; }

template <typename E> const char* typed_array_name() {
  if (std::is_same<E, float>::value) return "Float32Array";
  if (std::is_same<E, double>::value) return "Float64Array";
  if (std::is_same<E, int32_t>::value) return "Int32Array";
  return "Uint32Array";
}

// The element pointer of o[key], which must be a typed array of E with at least min_length elements.
// Returns null for an absent optional array.
template <typename E>
E* get_array(const Napi::Object& o, const char* key, size_t min_length, bool optional = false) {
  const Napi::Value v = o.Get(key);
  if (optional && is_absent(v)) return nullptr;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != typed_array_kind<E>())
    throw Napi::TypeError::New(o.Env(), std::string("blasprop native: '") + key + "' must be a " + typed_array_name<E>());
  Napi::TypedArrayOf<E> array = v.As<Napi::TypedArrayOf<E>>();
  if (array.ElementLength() < min_length)
    throw Napi::RangeError::New(o.Env(), std::string("blasprop native: '") + key + "' has " +
                                             std::to_string(array.ElementLength()) + " elements, needs at least " +
                                             std::to_string(min_length));
  return array.Data();
}

}  // namespace blasprop_napi
