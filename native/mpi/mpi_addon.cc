// mpi_addon.cc — blasprop_mpi.node, the optional MPI module of data-parallel training, built only
// when CMake finds an MPI library (never part of the prebuilds: MPI's ABI belongs to the cluster).
// It exports init/finalize/abort, small collectives for the training loop on the main thread
// (allreduce of a few numbers, broadcast of the weights), and the gradient reducer: a table of C
// functions (native/kernels/gradient_reducer.h) that the main addon's training step calls from its
// worker thread, between backward and the update.
//
// Threads: MPI runs on the main thread (init, the loop's collectives) and on one libuv worker at a
// time (the gradient averages of a chunk of steps), never at the same time: the loop awaits the
// worker. MPI_THREAD_SERIALIZED is exactly that promise.
#include <dlfcn.h>
// The C API only: without these, mpi.h in C++ pulls in the deprecated C++ bindings (libmpi_cxx).
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#include <napi.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "../kernels/gradient_reducer.h"

namespace {

// Two duplicates of MPI_COMM_WORLD, both returning errors instead of aborting: one for the
// gradient averages, one for the loop's own collectives, so the two streams of messages never mix.
MPI_Comm g_gradients = MPI_COMM_NULL;
MPI_Comm g_control = MPI_COMM_NULL;
int g_size = 1;
int g_provided = MPI_THREAD_SINGLE;

bool mpi_initialized() {
  int flag = 0;
  MPI_Initialized(&flag);
  return flag != 0;
}
bool mpi_finalized() {
  int flag = 0;
  MPI_Finalized(&flag);
  return flag != 0;
}

std::string error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(text, length);
}

void check(Napi::Env env, int code, const char* what) {
  if (code != MPI_SUCCESS) throw Napi::Error::New(env, std::string("blasprop mpi: ") + what + " failed: " + error_text(code));
}

// Open MPI loads its transports as plugins that resolve libmpi's symbols globally; Node loads
// this module (and libmpi with it) with RTLD_LOCAL. Reopening the library that holds MPI_Init with
// RTLD_GLOBAL | RTLD_NOLOAD promotes it to global scope, as mpi4py does, before MPI_Init.
void make_libmpi_global() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&MPI_Init), &info) != 0 && info.dli_fname != nullptr)
    dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
}

// ---- The gradient reducer: non-blocking sums, then a scale by 1/size. ----

struct Pending {
  void* data;
  size_t count;
  int is_double;
};
struct ReducerState {
  std::vector<MPI_Request> requests;  // grown to the most layers seen, then reused
  std::vector<Pending> pending;
  size_t active = 0;
  // Seconds the training thread spent inside start (posting and progressing) and inside finish
  // (waiting, then scaling): the communication that backward did not hide. For bench/distributed.ts.
  double start_seconds = 0, finish_seconds = 0;
  double steps = 0;
};
ReducerState g_reducer_state;

int fail(int code, char* message, size_t size) {
  std::snprintf(message, size, "blasprop mpi: averaging the gradient failed: %s", error_text(code).c_str());
  return code;
}

int reducer_start(void* context, void* data, size_t count, int is_double, char* message, size_t size) {
  auto& s = *static_cast<ReducerState*>(context);
  const double began = MPI_Wtime();
  if (s.active == s.requests.size()) {
    s.requests.resize(s.active + 1);
    s.pending.resize(s.active + 1);
  }
  const int code = MPI_Iallreduce(MPI_IN_PLACE, data, static_cast<int>(count), is_double ? MPI_DOUBLE : MPI_FLOAT, MPI_SUM,
                                  g_gradients, &s.requests[s.active]);
  if (code != MPI_SUCCESS) return fail(code, message, size);
  s.pending[s.active++] = {data, count, is_double};
  // Open MPI progresses non-blocking collectives only inside MPI calls: a test here moves the
  // averages already started along while backward continues with the next layer.
  int done = 0;
  MPI_Testall(static_cast<int>(s.active), s.requests.data(), &done, MPI_STATUSES_IGNORE);
  s.start_seconds += MPI_Wtime() - began;
  return MPI_SUCCESS;
}

template <typename T>
void scale(void* data, size_t count, double factor) {
  T* p = static_cast<T*>(data);
  const T f = T(factor);
  for (size_t k = 0; k < count; ++k) p[k] *= f;
}

int reducer_finish(void* context, char* message, size_t size) {
  auto& s = *static_cast<ReducerState*>(context);
  const double began = MPI_Wtime();
  const int code = MPI_Waitall(static_cast<int>(s.active), s.requests.data(), MPI_STATUSES_IGNORE);
  const size_t active = s.active;
  s.active = 0;
  if (code != MPI_SUCCESS) return fail(code, message, size);
  const double factor = 1.0 / g_size;
  for (size_t k = 0; k < active; ++k) {
    const Pending& p = s.pending[k];
    if (p.is_double) scale<double>(p.data, p.count, factor);
    else scale<float>(p.data, p.count, factor);
  }
  s.finish_seconds += MPI_Wtime() - began;
  s.steps += 1;
  return MPI_SUCCESS;
}

blasprop::GradientReducer g_reducer = {&g_reducer_state, reducer_start, reducer_finish, false};

// ---- JavaScript functions ----

Napi::Object world_info(Napi::Env env) {
  int rank = 0, length = 0, version_length = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  char name[MPI_MAX_PROCESSOR_NAME];
  MPI_Get_processor_name(name, &length);
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  MPI_Get_library_version(version, &version_length);
  const char* levels[] = {"single", "funneled", "serialized", "multiple"};
  Napi::Object o = Napi::Object::New(env);
  o.Set("rank", rank);
  o.Set("size", g_size);
  o.Set("processorName", std::string(name, length));
  o.Set("threadLevel", levels[g_provided >= 0 && g_provided <= 3 ? g_provided : 0]);
  o.Set("library", std::string(version));  // the length may count the terminating NUL
  return o;
}

// init() → { rank, size, processorName, threadLevel, library }; a second call returns the same.
Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (mpi_finalized()) throw Napi::Error::New(env, "blasprop mpi: MPI was finalized in this process; it cannot be initialized again");
  if (g_control == MPI_COMM_NULL) {
    if (!mpi_initialized()) {
      make_libmpi_global();
      check(env, MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &g_provided), "MPI_Init_thread");
    } else {
      MPI_Query_thread(&g_provided);
    }
    if (g_provided < MPI_THREAD_SERIALIZED)
      throw Napi::Error::New(env, "blasprop mpi: the MPI library grants thread level " + std::to_string(g_provided) +
                                      ", below MPI_THREAD_SERIALIZED: training calls MPI from a worker thread");
    check(env, MPI_Comm_dup(MPI_COMM_WORLD, &g_gradients), "MPI_Comm_dup");
    check(env, MPI_Comm_dup(MPI_COMM_WORLD, &g_control), "MPI_Comm_dup");
    MPI_Comm_set_errhandler(g_gradients, MPI_ERRORS_RETURN);
    MPI_Comm_set_errhandler(g_control, MPI_ERRORS_RETURN);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  }
  return world_info(env);
}

// finalize(): MPI_Finalize once; later calls do nothing.
Napi::Value Finalize(const Napi::CallbackInfo& info) {
  if (mpi_initialized() && !mpi_finalized()) {
    if (g_control != MPI_COMM_NULL) {
      MPI_Comm_free(&g_gradients);
      MPI_Comm_free(&g_control);
    }
    check(info.Env(), MPI_Finalize(), "MPI_Finalize");
  }
  return info.Env().Undefined();
}

// abort(code): ends every process of the job (MPI_Abort), for a process that fails mid-job.
Napi::Value Abort(const Napi::CallbackInfo& info) {
  if (mpi_initialized() && !mpi_finalized()) MPI_Abort(MPI_COMM_WORLD, info[0].ToNumber().Int32Value());
  return info.Env().Undefined();
}

MPI_Comm control(Napi::Env env) {
  if (g_control == MPI_COMM_NULL || mpi_finalized()) throw Napi::Error::New(env, "blasprop mpi: MPI is not initialized (call init first)");
  return g_control;
}

// allreduce(Float64Array, 'sum' | 'min' | 'max'): in place, across every process.
Napi::Value Allreduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const MPI_Comm comm = control(env);
  if (info.Length() < 2 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw Napi::TypeError::New(env, "blasprop mpi: allreduce(Float64Array, op)");
  Napi::Float64Array a = info[0].As<Napi::Float64Array>();
  const std::string op = info[1].ToString();
  const MPI_Op mpi_op = op == "sum" ? MPI_SUM : op == "min" ? MPI_MIN : op == "max" ? MPI_MAX : MPI_OP_NULL;
  if (mpi_op == MPI_OP_NULL) throw Napi::TypeError::New(env, "blasprop mpi: allreduce op must be 'sum', 'min' or 'max'");
  check(env, MPI_Allreduce(MPI_IN_PLACE, a.Data(), static_cast<int>(a.ElementLength()), MPI_DOUBLE, mpi_op, comm), "MPI_Allreduce");
  return env.Undefined();
}

// broadcast(typedArray, root): the bytes of root's array into everyone's, in place.
Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const MPI_Comm comm = control(env);
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsNumber()) throw Napi::TypeError::New(env, "blasprop mpi: broadcast(typedArray, root)");
  Napi::TypedArray a = info[0].As<Napi::TypedArray>();
  char* bytes = static_cast<char*>(a.ArrayBuffer().Data()) + a.ByteOffset();
  check(env, MPI_Bcast(bytes, static_cast<int>(a.ByteLength()), MPI_BYTE, info[1].As<Napi::Number>().Int32Value(), comm), "MPI_Bcast");
  return env.Undefined();
}

// reducer(): the External carrying the gradient reducer, for the main addon's training calls.
Napi::Value Reducer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  control(env);
  Napi::External<blasprop::GradientReducer> external = Napi::External<blasprop::GradientReducer>::New(env, &g_reducer);
  const napi_type_tag tag = {blasprop::kGradientReducerTag[0], blasprop::kGradientReducerTag[1]};
  if (napi_type_tag_object(env, external, &tag) != napi_ok) throw Napi::Error::New(env, "blasprop mpi: cannot tag the reducer");
  return external;
}

// reducerTimes() → { steps, startSeconds, finishSeconds } since the last call (which resets them).
Napi::Value ReducerTimes(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("steps", g_reducer_state.steps);
  o.Set("startSeconds", g_reducer_state.start_seconds);
  o.Set("finishSeconds", g_reducer_state.finish_seconds);
  g_reducer_state.steps = g_reducer_state.start_seconds = g_reducer_state.finish_seconds = 0;
  return o;
}

Napi::Object Module(Napi::Env env, Napi::Object exports) {
  using Function = Napi::Value (*)(const Napi::CallbackInfo&);
  const std::pair<const char*, Function> functions[] = {
      {"init", Init}, {"finalize", Finalize}, {"abort", Abort}, {"allreduce", Allreduce},
      {"broadcast", Broadcast}, {"reducer", Reducer}, {"reducerTimes", ReducerTimes},
  };
  for (const auto& [name, function] : functions) exports.Set(name, Napi::Function::New(env, function, name));
  return exports;
}

}  // namespace

NODE_API_MODULE(blasprop_mpi, Module)
