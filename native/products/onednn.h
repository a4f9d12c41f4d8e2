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
// loop; the last partial batch has its own. Each keeps its memory objects (user scratchpad mode);
// a step only swaps data handles and executes, with no allocation on our
// side. In bfloat16 mode the float32 operands are rounded to bf16 (to nearest even) into workspaces
// sized by prepare(): a^(l-1) and W^l once per layer in the forward pass (reused by both backward
// products), δ^l once for the input gradient and once, transposed and scaled, for the weight
// gradient. These copies are oneDNN reorder primitives, cached like the matmuls: JIT code that
// runs on the same threads, 2–2.5× faster than a plain C++ loop built for the baseline x86-64 ISA
// (bench/onednn/products.cpp: 'blasprop onednn bf16' against the bare 'onednn matmul bf16').
// The scratchpad and the operand copies are not the network's: they are regions of one arena per
// thread (ProductArena below), which reserve() sizes when a pass starts. A network dropped in a
// synchronous loop keeps its C++ object until its N-API finalizer runs, which needs a turn of the
// event loop; holding 0.6 MB of scratchpads each (784-512-10, batch 32), 300 such networks grew RSS
// by 232 MB. Primitives themselves are small: their kernels live in oneDNN's primitive cache.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
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
    size_t scratchpad = 0, delta = 0;
    for (int l = 1; l <= L; ++l) {
      scratchpad = std::max(scratchpad, matmul(ProductKind::Forward, l, B, bf16).scratchpad_bytes);
      scratchpad = std::max(scratchpad, matmul(ProductKind::WeightGradient, l, B, bf16).scratchpad_bytes);
      if (l > 1) scratchpad = std::max(scratchpad, matmul(ProductKind::InputGradient, l, B, bf16).scratchpad_bytes);
      scratchpad = std::max(scratchpad, conversion(CopyKind::DeltaTransposed, l, B, bf16).scratchpad_bytes);
      if (bf16) {
        scratchpad = std::max(scratchpad, conversion(CopyKind::Activations, l, B, true).scratchpad_bytes);
        scratchpad = std::max(scratchpad, conversion(CopyKind::Weights, l, B, true).scratchpad_bytes);
        if (l > 1) scratchpad = std::max(scratchpad, conversion(CopyKind::Delta, l, B, true).scratchpad_bytes);
      }
      delta = std::max(delta, size_t(B) * sizes_[l]);
    }
    // The arena's layout, from the largest need of every B prepared so far: the scratchpad, alpha δᵀ
    // in float32, then in bf16 δ, alpha δᵀ, and a^(l-1) and W^l per layer.
    layout_.scratchpad = std::max(layout_.scratchpad, scratchpad);
    layout_.delta = std::max(layout_.delta, delta);
    layout_.A_rows = std::max(layout_.A_rows, size_t(B));
    layout_.bf16 = layout_.bf16 || bf16;
    size_t at = 0;
    const auto region = [&at](size_t& offset, size_t bytes) {
      offset = at;
      at += (bytes + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
    };
    region(layout_.offsets.scratchpad, layout_.scratchpad);
    region(layout_.offsets.DT32, layout_.delta * sizeof(float));
    if (layout_.bf16) {
      region(layout_.offsets.D16, layout_.delta * sizeof(uint16_t));
      region(layout_.offsets.DT16, layout_.delta * sizeof(uint16_t));
      for (int l = 1; l <= L; ++l) {
        region(A16_[l], layout_.A_rows * sizes_[l - 1] * sizeof(uint16_t));
        region(W16_[l], size_t(sizes_[l]) * sizes_[l - 1] * sizeof(uint16_t));
      }
    }
    layout_.bytes = at;
  }

  // Makes this thread's arena big enough for the regions prepare() laid out; called when a pass
  // starts, on the thread that runs it (the only allocation, and only when the arena grows).
  void reserve() {
    std::vector<unsigned char>& arena = product_arena();
    if (arena.size() < layout_.bytes + kArenaAlignment) arena.resize(layout_.bytes + kArenaAlignment);
    const uintptr_t base = reinterpret_cast<uintptr_t>(arena.data());
    base_ = arena.data() + (kArenaAlignment - base % kArenaAlignment) % kArenaAlignment;
  }

  // Z = A_prev Wᵀ.
  void forward(int l, const float* A_prev, const float* W, float* Z, int B, bool bf16) {
    Matmul& m = matmul(ProductKind::Forward, l, B, bf16);
    if (bf16) {
      copy(conversion(CopyKind::Activations, l, B, true), A_prev, at(A16_[l]));
      copy(conversion(CopyKind::Weights, l, B, true), W, at(W16_[l]));
      run(m, at(A16_[l]), at(W16_[l]), Z);
    } else {
      run(m, A_prev, W, Z);
    }
  }

  // dW += alpha · deltaᵀ A_prev. In bfloat16 mode A_prev is the one the forward pass rounded.
  void weight_gradient(int l, const float* delta, const float* A_prev, float* dW, int B, float alpha, bool bf16) {
    Matmul& m = matmul(ProductKind::WeightGradient, l, B, bf16);
    Copy& transposed = conversion(CopyKind::DeltaTransposed, l, B, bf16);
    if (bf16) {
      copy(transposed, delta, at(layout_.offsets.DT16), alpha);
      run(m, at(layout_.offsets.DT16), at(A16_[l]), dW);
    } else {
      copy(transposed, delta, at(layout_.offsets.DT32), alpha);
      run(m, at(layout_.offsets.DT32), A_prev, dW);
    }
  }

  // dA_prev = delta W. In bfloat16 mode W is the one the forward pass rounded.
  void input_gradient(int l, const float* delta, const float* W, float* dA_prev, int B, bool bf16) {
    Matmul& m = matmul(ProductKind::InputGradient, l, B, bf16);
    if (bf16) {
      copy(conversion(CopyKind::Delta, l, B, true), delta, at(layout_.offsets.D16));
      run(m, at(layout_.offsets.D16), at(W16_[l]), dA_prev);
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
    dnnl::memory src, wei, dst, scratchpad;  // the scratchpad's handle is set to the arena's before each run
    size_t scratchpad_bytes;
  };

  static constexpr size_t kArenaAlignment = 64;

  // One arena per thread, reused by every network whose passes run there (see the top of the file).
  static std::vector<unsigned char>& product_arena() {
    static thread_local std::vector<unsigned char> arena;
    return arena;
  }

  // The arena at `offset`, for the pass reserve() readied.
  void* at(size_t offset) const { return base_ + offset; }

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
    size_t scratchpad_bytes;
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
                       dnnl::memory(pd.scratchpad_desc(), engine_, nullptr), pd.scratchpad_desc().get_size()});
    return copies_.back();
  }

  // Runs a copy from `src` to `dst` (alpha: the output scale of the transposed copy).
  void copy(Copy& c, const float* src, void* dst, float alpha = 1.0f) {
    const ScopedStepPhase phase(StepPhase::OperandCopies);
    c.src.set_data_handle(const_cast<float*>(src));
    c.dst.set_data_handle(dst);
    c.scratchpad.set_data_handle(at(layout_.offsets.scratchpad));
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
                      dnnl::memory(dst_md, engine_, nullptr), dnnl::memory(pd.scratchpad_desc(), engine_, nullptr), pd.scratchpad_desc().get_size()});
    return cache_.back();
  }

  // Executes m on the given buffers: the C entry point with a fixed argument array, because the C++
  // execute() builds a std::unordered_map per call.
  void run(Matmul& m, const void* src, const void* wei, float* dst) {
    m.src.set_data_handle(const_cast<void*>(src));
    m.wei.set_data_handle(const_cast<void*>(wei));
    m.dst.set_data_handle(dst);
    m.scratchpad.set_data_handle(at(layout_.offsets.scratchpad));
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
  // Where the arena's regions start, by prepare(): the scratchpad every primitive shares (they run one
  // at a time), alpha (δ^l)ᵀ for the weight gradient in float32 (DT32) or bf16 (DT16), δ^l in bf16 (D16).
  struct Offsets {
    size_t scratchpad = 0, DT32 = 0, D16 = 0, DT16 = 0;
  };
  struct Layout {
    Offsets offsets;
    size_t scratchpad = 0, delta = 0, A_rows = 0, bytes = 0;  // largest scratchpad, δ elements, rows of a^(l-1)
    bool bf16 = false;
  } layout_;
  std::vector<size_t> A16_, W16_;  // arena offsets of a^(l-1) and W^l rounded to bf16, per layer l
  unsigned char* base_ = nullptr;  // this thread's arena, aligned, set by reserve()
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
