// Strata native backend: declarations shared by the N-API layer, the thread
// pool and the per-ISA kernel translation units.
#pragma once
#include <cstddef>
#include <cstdint>

namespace strata {

using i64 = int64_t;

// ---- CPU levels -------------------------------------------------------------
// `avx512sim` is the AVX-512 kernel source (same vector width and register
// blocking) compiled for AVX2, so the AVX-512 code paths can be tested on
// machines without AVX-512. It is never chosen automatically.
enum CpuLevel : int { CPU_SCALAR = 0, CPU_AVX2 = 1, CPU_AVX512 = 2, CPU_AVX512SIM = 3, CPU_LEVEL_COUNT = 4 };
const char* cpu_level_name(int level);
bool cpu_level_supported(int level);
int cpu_best_level();

// NOTE: the per-ISA translation units are compiled with different -m flags.
// Any inline function or template they share with other translation units
// would be merged by the linker into ONE copy, possibly compiled for AVX-512,
// so helpers here have internal linkage (static) and the ISA sources avoid
// out-of-line standard-library templates (see isa_local.h). A test checks the
// ISA objects for such shared ("weak") symbols.

// ---- thread pool ------------------------------------------------------------
// fn(ctx, tid, nthreads) runs once for every tid in [0, nthreads), on whichever
// pool thread claims it first (the caller included); the call returns when all
// have finished. Nested calls run serially. Tasks must not wait for each other.
using TaskFn = void (*)(void* ctx, int tid, int nthreads);
void parallel_raw(int nthreads, TaskFn fn, void* ctx);
int max_threads();              // pool size (including the caller)
void set_max_threads(int n);    // resize the pool (>= 1)
bool in_parallel_region();
// Tests: while held, the workers claim no task and the caller runs every task of a job one after
// another (as when the OS holds the workers back), so kernels are checked not to tie tasks to threads.
void hold_pool_workers(bool hold);

template <class F>
static inline void parallel(int nthreads, F&& f) {
  if (nthreads <= 1) {
    f(0, 1);
    return;
  }
  if (in_parallel_region()) {  // nested: run every task here, in order
    for (int t = 0; t < nthreads; t++) f(t, nthreads);
    return;
  }
  parallel_raw(nthreads, [](void* c, int t, int n) { (*static_cast<F*>(c))(t, n); }, static_cast<void*>(&f));
}

/** Threads worth using for `work` units (~1 unit = 1 ns of single-thread work). */
static inline int threads_for(double work, double minPerThread = 20000.0) {
  if (in_parallel_region()) return 1;
  int t = max_threads();
  double byWork = work / minPerThread;
  if (byWork < t) t = byWork < 1 ? 1 : static_cast<int>(byWork);
  return t < 1 ? 1 : t;
}

/** Split [0, n) into `parts` near-equal ranges; returns [begin, end) of `part`. */
static inline void split_range(i64 n, int parts, int part, i64& begin, i64& end) {
  i64 q = n / parts, r = n % parts;
  begin = part * q + (part < r ? part : r);
  end = begin + q + (part < r ? 1 : 0);
}

// ---- geometry ---------------------------------------------------------------
struct ConvGeom {
  i64 n, inC, inH, inW, outC, outH, outW, kH, kW, sH, sW, pH, pW, dH, dW, groups;
};
struct PoolGeom {
  i64 planes, inH, inW, outH, outW, kH, kW, sH, sW, pH, pW, dH, dW;
};

/** Batched SGEMM: C[b] = alpha·op(A[b])·op(B[b]) + beta·C[b] (+ epilogue). */
struct GemmCall {
  i64 M, N, K;
  const float* A; i64 lda; bool transA;
  const float* B; i64 ldb; bool transB;
  float* C; i64 ldc;
  float alpha, beta;
  i64 batch, strideA, strideB, strideC;
  const float* rowBias;  // added per row of C (length M), may be null
  const float* colBias;  // added per column of C (length N), may be null
  int act;               // activation applied last: 0 none, 1 relu
};

/** Activations a fused convolution applies to its output (must match src/backend/native/index.ts). */
enum PostAct : int { ACT_NONE, ACT_RELU, ACT_RELU6, ACT_SILU, ACT_HARDSWISH, ACT_COUNT };

/** Rows of `cols` floats, `ld` apart: p ← act(p·scale[r] + shift[r]) (null scale: ×1, null shift: +0). */
typedef void (*AffineActFn)(float* p, i64 ld, i64 rows, i64 cols, const float* scale, const float* shift, int act);

/**
 * What a fused convolution does to each output channel once it is complete (inference: an evaluation-mode
 * batch norm as scale/shift, then an activation), applied where the kernel has just written it.
 */
struct ConvPost {
  const float* scale;  // per output channel, or null
  const float* shift;  // per output channel, or null
  int act;             // PostAct
  AffineActFn apply;   // the elementwise kernels' affine_act (same arithmetic as the separate ops)
  /** Rows [c0, c0 + rows) of channel-major output at p. */
  void run(float* p, i64 ld, i64 rows, i64 cols, i64 c0) const {
    apply(p, ld, rows, cols, scale ? scale + c0 : nullptr, shift ? shift + c0 : nullptr, act);
  }
};

// ---- op codes (must match src/backend/native/index.ts) ----------------------
enum UnaryOp : int {
  U_NEG, U_ABS, U_SIGN, U_EXP, U_LOG, U_SQRT, U_RSQRT, U_SQUARE, U_RECIPROCAL,
  U_SIN, U_COS, U_TANH, U_SIGMOID, U_RELU, U_FLOOR, U_CEIL, U_ROUND, U_TRUNC,
  U_LOG1P, U_EXPM1, U_ERF, U_LOGICALNOT, U_ISNAN, U_ISINF, U_SOFTPLUS, U_SILU, U_GELU, U_GELUTANH,
  U_HARDSWISH, U_HARDSIGMOID, U_MISH, U_COUNT
};
enum ScalarOp : int {
  S_CLAMP, S_POW, S_RPOW, S_LEAKYRELU, S_ELU, S_SOFTPLUSBETA, S_THRESHOLD, S_HARDTANH, S_COUNT
};
enum BinaryOp : int {
  B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MAXIMUM, B_MINIMUM, B_ATAN2, B_FMOD, B_REMAINDER,
  B_FLOORDIV, B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE, B_AND, B_OR, B_XOR, B_RELU_BACKWARD, B_COUNT
};
enum ReduceOp : int { R_SUM, R_PROD, R_MAX, R_MIN, R_ANY, R_ALL, R_COUNT };

/** Scalars of one SGD step, already rounded to float as src/optim/sgd.ts rounds them. */
struct SgdK {
  float wd, mom, oneMinusDamp, negLr;
  bool hasWd, hasMom, nesterov, maximize, first;
};
/** Scalars of one Adam step, already rounded to float as src/optim/adam.ts rounds them. */
struct AdamK {
  float bc2Sqrt, negStepSize, b1, b2, omb1, omb2, eps, wd, decay;
  bool hasWd, decoupled, amsgrad, maximize;
};

// ---- the per-ISA kernel table -----------------------------------------------
struct KernelTable {
  const char* name;
  int vectorWidth;  // floats per vector register
  int gemmMR, gemmNR;

  // Rows of elementwise kernels: n elements; input strides in elements (may be 0 or negative).
  void (*copy32)(const uint32_t* x, i64 xs, uint32_t* out, i64 n);
  void (*unary)(int op, const float* x, i64 xs, float* out, i64 n);
  void (*unaryU8)(int op, const float* x, i64 xs, uint8_t* out, i64 n);
  void (*scalar)(int op, const float* x, i64 xs, double a, double b, float* out, i64 n);
  void (*binary)(int op, const float* a, i64 as, const float* b, i64 bs, float* out, i64 n);
  void (*binaryU8)(int op, const float* a, i64 as, const float* b, i64 bs, uint8_t* out, i64 n);
  void (*where)(const uint8_t* c, i64 cs, const float* a, i64 as, const float* b, i64 bs, float* out, i64 n);

  // Reductions. reduceRow folds a contiguous row into one value; reduceAcc folds
  // a contiguous row elementwise into acc (acc[i] = acc[i] op x[i]).
  double (*reduceRow)(int op, const float* x, i64 n, double init);
  void (*reduceAcc)(int op, const float* x, i64 n, double* acc);
  void (*argReduce)(bool isMax, const float* x, i64 outer, i64 size, i64 inner, int32_t* out);
  void (*softmax)(const float* x, i64 outer, i64 size, i64 inner, bool log, float* out);

  // Fused kernels (see the optional section of the Backend interface).
  void (*sgdStep)(float* p, const float* g, float* buf, i64 n, const SgdK& k);
  void (*adamStep)(float* p, const float* g, float* m, float* v, float* vmax, i64 n, const AdamK& k);
  void (*bnForward)(const float* x, i64 N, i64 C, i64 S, const float* w, const float* b, double eps, bool training,
                    double* mean, double* invstd, double* var, float* out);
  void (*bnBackward)(const float* g, const float* x, i64 N, i64 C, i64 S, const float* w, const double* mean,
                     const double* invstd, bool training, double* sumG, double* sumGX, float* gx);
  void (*ceForward)(const float* logits, i64 N, i64 C, i64 inner, const int32_t* target, const double* weight,
                    i64 ignoreIndex, double smoothing, float* logp, double* loss);
  void (*ceBackward)(const float* logp, i64 N, i64 C, i64 inner, const int32_t* target, const double* weight,
                     i64 ignoreIndex, double smoothing, const double* coef, float* grad);

  void (*gemm)(const GemmCall& call);
  void (*conv2d)(const float* x, const float* w, const float* bias, const ConvGeom& g, float* out, const ConvPost* post);
  AffineActFn affineAct;
  void (*conv2dBackwardInput)(const float* gradOut, const float* w, const ConvGeom& g, float* gradIn);
  void (*conv2dBackwardWeight)(const float* gradOut, const float* x, const ConvGeom& g, float* gradW);

  /** Runs `iters` steps of independent vector FMAs (peak-throughput probe); returns flops done. */
  double (*fmaProbe)(i64 iters);

  void (*maxPool2d)(const float* x, const PoolGeom& g, float* out, int32_t* indices);
  void (*maxPool2dBackward)(const float* gradOut, const int32_t* indices, const PoolGeom& g, float* gradIn);
  void (*avgPool2d)(const float* x, const PoolGeom& g, bool countIncludePad, double divisorOverride, float* out);
  void (*avgPool2dBackward)(const float* gradOut, const PoolGeom& g, bool countIncludePad, double divisorOverride, float* gradIn);
};

// Each ISA translation unit pair fills its part of a table.
#define STRATA_DECLARE_ISA(ns)                 \
  namespace ns {                               \
  void fill_elementwise(KernelTable& t);       \
  void fill_gemm(KernelTable& t);              \
  }
STRATA_DECLARE_ISA(isa_scalar)
STRATA_DECLARE_ISA(isa_avx2)
STRATA_DECLARE_ISA(isa_avx512)
STRATA_DECLARE_ISA(isa_avx512sim)
#undef STRATA_DECLARE_ISA

const KernelTable& kernel_table(int level);

}  // namespace strata
