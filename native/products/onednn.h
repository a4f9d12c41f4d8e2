// onednn.h — the oneDNN product engine: the three products of a dense layer as oneDNN matmul
// primitives (brgemm kernels), float32 or bfloat16 inputs with float32 accumulation.
// Shapes: A_prev [B × in], W [out × in] row-major, Z and delta [B × out]. A matmul computes
// dst[M × N] = src[M × K] · wei[K × N]; the transposes are strided views of the row-major buffers:
//   forward          Z  [B × out]  = A_prev [B × in] · Wᵀ [in × out]       (Wᵀ: strides {1, in})
//   weight gradient  dW [out × in] = (alpha δ)ᵀ [out × B] · A_prev [B × in] + dW   (+ dW: a sum post-op)
//   input gradient   dA [B × in]   = δ [B × out] · W [out × in]
// The weight gradient's source is copied transposed and scaled by alpha into a workspace first
// (B × out elements, against out × in × B multiply-adds): oneDNN 2.6 runs a transposed source or a
// runtime output scale only through its slower gemm:jit path (bf16: 6 ms instead of 1 ms for
// 1024 × 128 × 784 on AMX), and brgemm kernels on plain row-major operands.
// Primitives are created once per (product, layer, rows, precision) by prepare(), outside the step
// loop; the last partial batch has its own. Each keeps its memory objects and a scratchpad it owns
// (user scratchpad mode); a step only swaps data handles and executes, with no allocation on our
// side. In bfloat16 mode the float32 operands are rounded to bf16 (to nearest even) into workspaces
// sized by prepare(): a^(l-1) and W^l once per layer in the forward pass (reused by both backward
// products), δ^l once for the input gradient and once, transposed and scaled, for the weight
// gradient. These copies are oneDNN reorder primitives, cached like the matmuls: JIT code that
// runs on the same threads, 2–2.5× faster than a plain C++ loop built for the baseline x86-64 ISA
// (bench/onednn/products.cpp: 'blasprop onednn bf16' against the bare 'onednn matmul bf16').
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <vector>

#include "../kernels/step_phases.h"


namespace blasprop {

enum class ProductKind : int { Forward, WeightGradient, InputGradient };

class OnednnProducts {
 public:
  explicit OnednnProducts(const std::vector<int>& sizes)
      : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_), sizes_(sizes), A16_(sizes.size()), W16_(sizes.size()) {}
  // Not copyable or movable: alpha_memory_ wraps the address of alpha_.
  OnednnProducts(const OnednnProducts&) = delete;
  OnednnProducts& operator=(const OnednnProducts&) = delete;

  // Creates every primitive and workspace a pass over B rows needs. Throws dnnl::error when oneDNN
  // has no kernel for it (bfloat16 on a CPU without AVX512-BF16 or AMX).
  void prepare(int B, bool bf16) {
    const int L = static_cast<int>(sizes_.size()) - 1;
    for (int l = 1; l <= L; ++l) {
      matmul(ProductKind::Forward, l, B, bf16);
      matmul(ProductKind::WeightGradient, l, B, bf16);
      if (l > 1) matmul(ProductKind::InputGradient, l, B, bf16);
      conversion(CopyKind::DeltaTransposed, l, B, bf16);
      if (bf16) {
        conversion(CopyKind::Activations, l, B, true);
        conversion(CopyKind::Weights, l, B, true);
        if (l > 1) conversion(CopyKind::Delta, l, B, true);
      }
      grow(DT32_, size_t(B) * sizes_[l]);
      if (bf16) {
        grow(A16_[l], size_t(B) * sizes_[l - 1]);
        grow(W16_[l], size_t(sizes_[l]) * sizes_[l - 1]);
        grow(D16_, size_t(B) * sizes_[l]);
        grow(DT16_, size_t(B) * sizes_[l]);
      }
    }
  }

  // Bytes held by prepare(): every primitive's scratchpad and the float32/bfloat16 operand copies.
  size_t bytes() const {
    size_t n = DT32_.capacity() * sizeof(float) + (D16_.capacity() + DT16_.capacity()) * sizeof(uint16_t);
    for (size_t l = 0; l < A16_.size(); ++l) n += (A16_[l].capacity() + W16_[l].capacity()) * sizeof(uint16_t);
    for (const Matmul& m : cache_) n += m.scratchpad.get_desc().get_size();
    for (const Copy& c : copies_) n += c.scratchpad.get_desc().get_size();
    return n;
  }

  // Z = A_prev Wᵀ.
  void forward(int l, const float* A_prev, const float* W, float* Z, int B, bool bf16) {
    Matmul& m = matmul(ProductKind::Forward, l, B, bf16);
    if (bf16) {
      copy(conversion(CopyKind::Activations, l, B, true), A_prev, A16_[l].data());
      copy(conversion(CopyKind::Weights, l, B, true), W, W16_[l].data());
      run(m, A16_[l].data(), W16_[l].data(), Z);
    } else {
      run(m, A_prev, W, Z);
    }
  }

  // dW += alpha · deltaᵀ A_prev. In bfloat16 mode A_prev is the one the forward pass rounded.
  void weight_gradient(int l, const float* delta, const float* A_prev, float* dW, int B, float alpha, bool bf16) {
    Matmul& m = matmul(ProductKind::WeightGradient, l, B, bf16);
    Copy& transposed = conversion(CopyKind::DeltaTransposed, l, B, bf16);
    if (bf16) {
      copy(transposed, delta, DT16_.data(), alpha);
      run(m, DT16_.data(), A16_[l].data(), dW);
    } else {
      copy(transposed, delta, DT32_.data(), alpha);
      run(m, DT32_.data(), A_prev, dW);
    }
  }

  // dA_prev = delta W. In bfloat16 mode W is the one the forward pass rounded.
  void input_gradient(int l, const float* delta, const float* W, float* dA_prev, int B, bool bf16) {
    Matmul& m = matmul(ProductKind::InputGradient, l, B, bf16);
    if (bf16) {
      copy(conversion(CopyKind::Delta, l, B, true), delta, D16_.data());
      run(m, D16_.data(), W16_[l].data(), dA_prev);
    } else {
      run(m, delta, W, dA_prev);
    }
  }

 private:
  struct Matmul {
    ProductKind kind;
    int l, B;
    bool bf16;
    dnnl::matmul primitive;
    dnnl::memory src, wei, dst, scratchpad;
  };

  template <typename E>
  static void grow(std::vector<E>& v, size_t n) {
    if (v.size() < n) v.resize(n);
  }

  using dt = dnnl::memory::data_type;
  using dims = dnnl::memory::dims;

  // The entry of a primitive cache for (kind, layer, rows, precision), or null.
  template <typename Entry, typename Kind>
  static Entry* cached(std::vector<Entry>& cache, Kind kind, int l, int B, bool bf16) {
    for (Entry& e : cache)
      if (e.kind == kind && e.l == l && e.B == B && e.bf16 == bf16) return &e;
    return nullptr;
  }

  // The float32 operand copies of a step: a^(l-1) [B × in], W^l [out × in] and δ^l [B × out] rounded
  // to bf16 in the same layout, and alpha (δ^l)ᵀ [out × B] in float32 or rounded to bf16 (alpha, the
  // scale of the weight gradient, is given at run time).
  enum class CopyKind : int { Activations, Weights, Delta, DeltaTransposed };
  struct Copy {
    CopyKind kind;
    int l, B;
    bool bf16;
    dnnl::reorder primitive;
    dnnl::memory src, dst, scratchpad;
  };

  // The cached reorder for one copy, created on first request (by prepare(), as for matmul()).
  Copy& conversion(CopyKind kind, int l, int B, bool bf16) {
    if (Copy* c = cached(copies_, kind, l, B, bf16)) return *c;
    const int64_t in = sizes_[l - 1], out = sizes_[l], rows = B;
    const dims shape = kind == CopyKind::Activations ? dims{rows, in} : kind == CopyKind::Weights ? dims{out, in} : dims{rows, out};
    const dnnl::memory::desc src_md(shape, dt::f32, dims{shape[1], 1});
    // The transposed copy writes element (r, c) of δ [B × out] to c × B + r: strides {1, B}.
    const dims dst_strides = kind == CopyKind::DeltaTransposed ? dims{1, rows} : dims{shape[1], 1};
    const dnnl::memory::desc dst_md(shape, bf16 ? dt::bf16 : dt::f32, dst_strides);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (kind == CopyKind::DeltaTransposed) attr.set_output_scales(0, {DNNL_RUNTIME_F32_VAL});
    const dnnl::reorder::primitive_desc pd(engine_, src_md, engine_, dst_md, attr);
    copies_.push_back({kind, l, B, bf16, dnnl::reorder(pd), dnnl::memory(src_md, engine_, nullptr), dnnl::memory(dst_md, engine_, nullptr),
                       dnnl::memory(pd.scratchpad_desc(), engine_)});
    return copies_.back();
  }

  // Runs a copy from `src` to `dst` (alpha: the output scale of the transposed copy).
  void copy(Copy& c, const float* src, void* dst, float alpha = 1.0f) {
    const ScopedStepPhase phase(StepPhase::OperandCopies);
    c.src.set_data_handle(const_cast<float*>(src));
    c.dst.set_data_handle(dst);
    alpha_ = alpha;
    const dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, c.src.get()},
                                    {DNNL_ARG_TO, c.dst.get()},
                                    {DNNL_ARG_SCRATCHPAD, c.scratchpad.get()},
                                    {DNNL_ARG_ATTR_OUTPUT_SCALES, alpha_memory_.get()}};
    const int count = c.kind == CopyKind::DeltaTransposed ? 4 : 3;
    dnnl::error::wrap_c_api(dnnl_primitive_execute(c.primitive.get(), stream_.get(), count, args), "reorder execute");
  }

  // The cached primitive for one product, created on first request (prepare() makes that request
  // before the step loop). Entries live in a vector that prepare() alone grows, so references
  // stay valid within a step.
  Matmul& matmul(ProductKind kind, int l, int B, bool bf16) {
    if (Matmul* m = cached(cache_, kind, l, B, bf16)) return *m;
    const int64_t in = sizes_[l - 1], out = sizes_[l], rows = B;
    const dt type = bf16 ? dt::bf16 : dt::f32;
    dims src, src_strides, wei, wei_strides, dst;
    switch (kind) {
      case ProductKind::Forward:  // [B × in] · [in × out]
        src = {rows, in}, src_strides = {in, 1}, wei = {in, out}, wei_strides = {1, in}, dst = {rows, out};
        break;
      case ProductKind::WeightGradient:  // [out × B] · [B × in], the source already transposed
        src = {out, rows}, src_strides = {rows, 1}, wei = {rows, in}, wei_strides = {in, 1}, dst = {out, in};
        break;
      case ProductKind::InputGradient:  // [B × out] · [out × in]
        src = {rows, out}, src_strides = {out, 1}, wei = {out, in}, wei_strides = {in, 1}, dst = {rows, in};
        break;
    }
    const dnnl::memory::desc src_md(src, type, src_strides), wei_md(wei, type, wei_strides),
        dst_md(dst, dt::f32, dims{dst[1], 1});
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (kind == ProductKind::WeightGradient) {
      dnnl::post_ops accumulate;
      accumulate.append_sum(1.0f);
      attr.set_post_ops(accumulate);
    }
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, wei_md, dst_md), attr, engine_);
    cache_.push_back({kind, l, B, bf16, dnnl::matmul(pd), dnnl::memory(src_md, engine_, nullptr), dnnl::memory(wei_md, engine_, nullptr),
                      dnnl::memory(dst_md, engine_, nullptr), dnnl::memory(pd.scratchpad_desc(), engine_)});
    return cache_.back();
  }

  // Executes m on the given buffers: the C entry point with a fixed argument array, because the C++
  // execute() builds a std::unordered_map per call.
  void run(Matmul& m, const void* src, const void* wei, float* dst) {
    m.src.set_data_handle(const_cast<void*>(src));
    m.wei.set_data_handle(const_cast<void*>(wei));
    m.dst.set_data_handle(dst);
    const dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, m.src.get()},
                                    {DNNL_ARG_WEIGHTS, m.wei.get()},
                                    {DNNL_ARG_DST, m.dst.get()},
                                    {DNNL_ARG_SCRATCHPAD, m.scratchpad.get()}};
    dnnl::error::wrap_c_api(dnnl_primitive_execute(m.primitive.get(), stream_.get(), 4, args), "matmul execute");
  }

  dnnl::engine engine_;
  dnnl::stream stream_;
  std::vector<int> sizes_;
  std::vector<Matmul> cache_;
  std::vector<Copy> copies_;
  float alpha_ = 1.0f;  // the runtime output scale of the transposed copy, read through alpha_memory_
  dnnl::memory alpha_memory_{{{1}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::x}, engine_, &alpha_};
  std::vector<std::vector<uint16_t>> A16_, W16_;  // A16_[l]: a^(l-1), W16_[l]: W^l, rounded to bf16
  std::vector<uint16_t> D16_;                     // δ^l rounded to bf16
  std::vector<float> DT32_;                       // alpha (δ^l)ᵀ, for the weight gradient
  std::vector<uint16_t> DT16_;                    // the same rounded to bf16
};

// The ISA oneDNN dispatches to on this CPU, by oneDNN's name for it.
inline const char* onednn_isa_name() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "unknown";
  }
}

// Whether oneDNN has bf16 matmul kernels here: AVX512-BF16 (vdpbf16ps, e.g. Zen 4/5, Cooper Lake)
// or AMX (Sapphire Rapids and later). The ISA values are bit masks, each including the ones below.
inline bool onednn_has_bf16() {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto bf16 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_bf16);
  return (isa & bf16) == bf16;
}

// Whether oneDNN runs float32 products on AVX-512 here, where it measured faster than OpenBLAS.
inline bool onednn_has_avx512() {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto avx512 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core);
  return (isa & avx512) == avx512;
}

}  // namespace blasprop
