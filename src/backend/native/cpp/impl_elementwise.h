// Elementwise, reduction, softmax and pooling kernels, compiled once per ISA
// level (isa_<level>_ew.cpp defines STRATA_ISA and STRATA_W) with
// -ffp-contract=off. Cheap ops are plain loops the compiler vectorizes for the
// level; exp/log/tanh-based ops use the vector math of simd_math.h; rare
// transcendental ops run in double precision through libm, like the reference.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "strata.h"

namespace strata {
namespace STRATA_ISA {
namespace {

#include "isa_local.h"

#include "simd_math.h"

// ---- helpers to map a vector function over a (strided) row ------------------------

template <class VF>
inline void map_row(const float* __restrict x, i64 xs, float* __restrict out, i64 n, VF f) {
  i64 i = 0;
  if (xs == 1) {
    for (; i + W <= n; i += W) storeu(out + i, f(loadu(x + i)));
  } else {
    for (; i + W <= n; i += W) {
      alignas(64) float t[W];
      for (int j = 0; j < W; j++) t[j] = x[(i + j) * xs];
      storeu(out + i, f(loadu(t)));
    }
  }
  if (i < n) {
    alignas(64) float t[W] = {};
    for (i64 j = 0; j < n - i; j++) t[j] = x[(i + j) * xs];
    vf r = f(loadu(t));
    storeu(t, r);
    for (i64 j = 0; j < n - i; j++) out[i + j] = t[j];
  }
}

template <class SF>
inline void map_scalar(const float* __restrict x, i64 xs, float* __restrict out, i64 n, SF f) {
  if (xs == 1)
    for (i64 i = 0; i < n; i++) out[i] = f(x[i]);
  else
    for (i64 i = 0; i < n; i++) out[i] = f(x[i * xs]);
}

inline double erf_d(double v) { return std::erf(v); }
// Truthiness as the reference (and PyTorch): nonzero, so NaN is true.
inline bool truthy(float v) { return v != 0.0f; }
/** C's pow, as the reference: pow(1, NaN) = pow(NaN, 0) = pow(−1, ±inf) = 1. */
inline double js_pow(double x, double y) { return std::pow(x, y); }
/** torch.remainder: C's fmod moved to the divisor's sign. */
inline double remainder_d(double a, double b) {
  const double mod = std::fmod(a, b);
  return mod != 0 && (b < 0) != (mod < 0) ? mod + b : mod;
}
/** Python / torch floor division (1 // 0.1 = 9), exactly as the reference computes it. */
inline double floor_divide_d(double a, double b) {
  if (b == 0) return a / b;
  const double mod = std::fmod(a, b);
  double div = (a - mod) / b;
  if (mod != 0 && (b < 0) != (mod < 0)) div -= 1;
  if (div == 0) {
    const double q = a / b;
    return q < 0 || (q == 0 && std::signbit(q)) ? -0.0 : 0.0;
  }
  double f = std::floor(div);
  if (div - f > 0.5) f += 1;
  return f;
}

// ---- unary --------------------------------------------------------------------------

// Activations shared by unary_row / scalar_row and the fused convolution epilogue (affine_act), so that a
// fused convolution gives exactly what the separate kernels give.
inline vf v_relu(vf v) { return ((v > vf{}) | (v != v)) ? v : vf{}; }  // NaN stays NaN, −0 becomes 0
inline vf v_silu(vf v) { return v * v_sigmoid(v); }
inline vf v_hardswish(vf v) {
  vf t = v + 3.0f;
  t = t < vf{} ? vf{} : t;
  t = t > bcast(6.0f) ? bcast(6.0f) : t;
  return v * t / 6.0f;
}
/** min(max(v, lo), hi) with lo winning when lo > hi, as the reference; NaN stays NaN. */
inline vf v_hardtanh(vf v, vf lo, vf hi) {
  const vf r = v > hi ? hi : v;
  return v < lo ? lo : r;
}

void unary_row(int op, const float* x, i64 xs, float* out, i64 n) {
  switch (op) {
    case U_NEG: map_scalar(x, xs, out, n, [](float v) { return -v; }); break;
    case U_ABS: map_scalar(x, xs, out, n, [](float v) { return std::fabs(v); }); break;
    case U_SIGN: map_scalar(x, xs, out, n, [](float v) { return v > 0 ? 1.0f : v < 0 ? -1.0f : 0.0f; }); break;  // sign(NaN) = 0, as torch
    case U_EXP: map_row(x, xs, out, n, [](vf v) { return v_exp(v); }); break;
    case U_LOG: map_row(x, xs, out, n, [](vf v) { return v_log(v); }); break;
    case U_SQRT: map_scalar(x, xs, out, n, [](float v) { return std::sqrt(v); }); break;
    case U_RSQRT: map_scalar(x, xs, out, n, [](float v) { return 1.0f / std::sqrt(v); }); break;
    case U_SQUARE: map_scalar(x, xs, out, n, [](float v) { return v * v; }); break;
    case U_RECIPROCAL: map_scalar(x, xs, out, n, [](float v) { return 1.0f / v; }); break;
    case U_SIN: map_scalar(x, xs, out, n, [](float v) { return static_cast<float>(std::sin(static_cast<double>(v))); }); break;
    case U_COS: map_scalar(x, xs, out, n, [](float v) { return static_cast<float>(std::cos(static_cast<double>(v))); }); break;
    case U_TANH: map_row(x, xs, out, n, [](vf v) { return v_tanh(v); }); break;
    case U_SIGMOID: map_row(x, xs, out, n, [](vf v) { return v_sigmoid(v); }); break;
    case U_RELU: map_row(x, xs, out, n, [](vf v) { return v_relu(v); }); break;
    case U_FLOOR: map_scalar(x, xs, out, n, [](float v) { return std::floor(v); }); break;
    case U_CEIL: map_scalar(x, xs, out, n, [](float v) { return std::ceil(v); }); break;
    case U_ROUND: map_scalar(x, xs, out, n, [](float v) { return std::nearbyint(v); }); break;
    case U_TRUNC: map_scalar(x, xs, out, n, [](float v) { return std::trunc(v); }); break;
    case U_LOG1P: map_scalar(x, xs, out, n, [](float v) { return static_cast<float>(std::log1p(static_cast<double>(v))); }); break;
    case U_EXPM1: map_scalar(x, xs, out, n, [](float v) { return static_cast<float>(std::expm1(static_cast<double>(v))); }); break;
    case U_ERF: map_scalar(x, xs, out, n, [](float v) { return static_cast<float>(erf_d(v)); }); break;
    case U_LOGICALNOT: map_scalar(x, xs, out, n, [](float v) { return truthy(v) ? 0.0f : 1.0f; }); break;
    case U_ISNAN: map_scalar(x, xs, out, n, [](float v) { return v != v ? 1.0f : 0.0f; }); break;
    case U_ISINF: map_scalar(x, xs, out, n, [](float v) { return std::fabs(v) == __builtin_inff() ? 1.0f : 0.0f; }); break;
    case U_SOFTPLUS: map_row(x, xs, out, n, [](vf v) { return v_softplus(v); }); break;
    case U_SILU: map_row(x, xs, out, n, [](vf v) { return v_silu(v); }); break;
    case U_GELU:
      map_scalar(x, xs, out, n, [](float v) {
        const double d = v;
        return static_cast<float>(0.5 * d * std::erfc(-d * 0.70710678118654752440));
      });
      break;
    case U_GELUTANH:
      // 0.5·x·(1 + tanh(y)) = x·sigmoid(2y): no cancellation for negative x.
      map_row(x, xs, out, n, [](vf v) {
        const vf y = (v + v * v * v * 0.044715f) * 0.7978845608028654f;
        return v * v_sigmoid(y + y);
      });
      break;
    case U_HARDSWISH: map_row(x, xs, out, n, [](vf v) { return v_hardswish(v); }); break;
    case U_HARDSIGMOID:
      map_scalar(x, xs, out, n, [](float v) {
        float t = v + 3.0f;
        t = t < 0 ? 0.0f : t;
        t = t > 6 ? 6.0f : t;
        return t / 6.0f;
      });
      break;
    case U_MISH: map_row(x, xs, out, n, [](vf v) { return v * v_tanh(v_softplus(v)); }); break;
    default: break;
  }
}

void unary_row_u8(int op, const float* x, i64 xs, uint8_t* out, i64 n) {
  switch (op) {
    case U_LOGICALNOT: for (i64 i = 0; i < n; i++) out[i] = !truthy(x[i * xs]); break;
    case U_ISNAN: for (i64 i = 0; i < n; i++) { float v = x[i * xs]; out[i] = v != v; } break;
    case U_ISINF: for (i64 i = 0; i < n; i++) out[i] = std::fabs(x[i * xs]) == __builtin_inff(); break;
    default: break;
  }
}

// ---- unary with scalar parameters (computed in double, as the reference) -------------

template <class SF>
inline void map_d(const float* __restrict x, i64 xs, float* __restrict out, i64 n, SF f) {
  if (xs == 1)
    for (i64 i = 0; i < n; i++) out[i] = static_cast<float>(f(static_cast<double>(x[i])));
  else
    for (i64 i = 0; i < n; i++) out[i] = static_cast<float>(f(static_cast<double>(x[i * xs])));
}

void scalar_row(int op, const float* x, i64 xs, double a, double b, float* out, i64 n) {
  switch (op) {
    // Clamps run in float vectors, and give exactly what the double comparisons give: where comparing a
    // float with float(bound) and with the double bound disagree, the value IS float(bound).
    case S_CLAMP: {
      // min(max(x, lo), hi): hi wins when lo > hi, as torch.clamp; NaN stays NaN.
      const vf lo = bcast(a != a ? -__builtin_inff() : static_cast<float>(a));
      const vf hi = bcast(b != b ? __builtin_inff() : static_cast<float>(b));
      map_row(x, xs, out, n, [=](vf v) {
        const vf r = v < lo ? lo : v;
        return r > hi ? hi : r;
      });
      break;
    }
    case S_HARDTANH: {
      // a wins when a > b, as the reference.
      const vf lo = bcast(static_cast<float>(a)), hi = bcast(static_cast<float>(b));
      map_row(x, xs, out, n, [=](vf v) { return v_hardtanh(v, lo, hi); });
      break;
    }
    case S_POW:
      if (a == 2) map_scalar(x, xs, out, n, [](float v) { return v * v; });
      else if (a == 1) map_scalar(x, xs, out, n, [](float v) { return v; });
      else map_d(x, xs, out, n, [=](double v) { return js_pow(v, a); });
      break;
    case S_RPOW: map_d(x, xs, out, n, [=](double v) { return js_pow(a, v); }); break;
    case S_LEAKYRELU: map_d(x, xs, out, n, [=](double v) { return v > 0 ? v : a * v; }); break;
    case S_ELU: map_d(x, xs, out, n, [=](double v) { return v > 0 ? v : a * std::expm1(v); }); break;
    case S_SOFTPLUSBETA:
      map_d(x, xs, out, n, [=](double v) {
        const double t = v * a;
        return t > b ? v : std::log1p(std::exp(t)) / a;
      });
      break;
    case S_THRESHOLD: map_d(x, xs, out, n, [=](double v) { return v <= a ? b : v; }); break;  // NaN stays NaN, as PyTorch
    default: break;
  }
}

// ---- binary -------------------------------------------------------------------------

template <class T, class F>
inline void bin_loop(const float* __restrict a, i64 as, const float* __restrict b, i64 bs, T* __restrict out, i64 n,
                     F f) {
  if (as == 1 && bs == 1) {
    for (i64 i = 0; i < n; i++) out[i] = f(a[i], b[i]);
  } else if (as == 1 && bs == 0) {
    const float bv = b[0];
    for (i64 i = 0; i < n; i++) out[i] = f(a[i], bv);
  } else if (as == 0 && bs == 1) {
    const float av = a[0];
    for (i64 i = 0; i < n; i++) out[i] = f(av, b[i]);
  } else {
    for (i64 i = 0; i < n; i++) out[i] = f(a[i * as], b[i * bs]);
  }
}

template <class T>
void binary_any(int op, const float* a, i64 as, const float* b, i64 bs, T* out, i64 n) {
  auto D = [](float v) { return static_cast<double>(v); };
  switch (op) {
    case B_ADD: bin_loop(a, as, b, bs, out, n, [](float x, float y) { return static_cast<T>(x + y); }); break;
    case B_SUB: bin_loop(a, as, b, bs, out, n, [](float x, float y) { return static_cast<T>(x - y); }); break;
    case B_MUL: bin_loop(a, as, b, bs, out, n, [](float x, float y) { return static_cast<T>(x * y); }); break;
    case B_DIV: bin_loop(a, as, b, bs, out, n, [](float x, float y) { return static_cast<T>(x / y); }); break;
    case B_POW:
      bin_loop(a, as, b, bs, out, n, [&](float x, float y) { return static_cast<T>(static_cast<float>(js_pow(D(x), D(y)))); });
      break;
    case B_MAXIMUM:
      bin_loop(a, as, b, bs, out, n, [](float x, float y) {
        return static_cast<T>(x != x || y != y ? __builtin_nanf("") : x > y ? x : y);
      });
      break;
    case B_MINIMUM:
      bin_loop(a, as, b, bs, out, n, [](float x, float y) {
        return static_cast<T>(x != x || y != y ? __builtin_nanf("") : x < y ? x : y);
      });
      break;
    case B_ATAN2:
      bin_loop(a, as, b, bs, out, n, [&](float x, float y) { return static_cast<T>(static_cast<float>(std::atan2(D(x), D(y)))); });
      break;
    case B_FMOD: bin_loop(a, as, b, bs, out, n, [](float x, float y) { return static_cast<T>(std::fmod(x, y)); }); break;
    case B_REMAINDER:
      bin_loop(a, as, b, bs, out, n, [&](float x, float y) { return static_cast<T>(static_cast<float>(remainder_d(x, y))); });
      break;
    case B_FLOORDIV:
      bin_loop(a, as, b, bs, out, n, [&](float x, float y) { return static_cast<T>(static_cast<float>(floor_divide_d(D(x), D(y)))); });
      break;
    case B_EQ: bin_loop(a, as, b, bs, out, n, [](float x, float y) { return static_cast<T>(x == y ? 1 : 0); }); break;
    case B_NE: bin_loop(a, as, b, bs, out, n, [](float x, float y) { return static_cast<T>(x != y ? 1 : 0); }); break;
    case B_LT: bin_loop(a, as, b, bs, out, n, [](float x, float y) { return static_cast<T>(x < y ? 1 : 0); }); break;
    case B_LE: bin_loop(a, as, b, bs, out, n, [](float x, float y) { return static_cast<T>(x <= y ? 1 : 0); }); break;
    case B_GT: bin_loop(a, as, b, bs, out, n, [](float x, float y) { return static_cast<T>(x > y ? 1 : 0); }); break;
    case B_GE: bin_loop(a, as, b, bs, out, n, [](float x, float y) { return static_cast<T>(x >= y ? 1 : 0); }); break;
    case B_AND:
      bin_loop(a, as, b, bs, out, n, [](float x, float y) { return static_cast<T>(truthy(x) && truthy(y) ? 1 : 0); });
      break;
    case B_OR:
      bin_loop(a, as, b, bs, out, n, [](float x, float y) { return static_cast<T>(truthy(x) || truthy(y) ? 1 : 0); });
      break;
    case B_XOR:
      bin_loop(a, as, b, bs, out, n, [](float x, float y) { return static_cast<T>(truthy(x) != truthy(y) ? 1 : 0); });
      break;
    case B_RELU_BACKWARD:
      bin_loop(a, as, b, bs, out, n, [](float x, float y) { return static_cast<T>(y <= 0.0f ? 0.0f : x); });
      break;
    default: break;
  }
}

void binary_row(int op, const float* a, i64 as, const float* b, i64 bs, float* out, i64 n) {
  binary_any<float>(op, a, as, b, bs, out, n);
}
void binary_row_u8(int op, const float* a, i64 as, const float* b, i64 bs, uint8_t* out, i64 n) {
  binary_any<uint8_t>(op, a, as, b, bs, out, n);
}

void where_row(const uint8_t* c, i64 cs, const float* a, i64 as, const float* b, i64 bs, float* out, i64 n) {
  if (cs == 1 && as == 1 && bs == 1) {
    for (i64 i = 0; i < n; i++) out[i] = c[i] ? a[i] : b[i];
  } else if (cs == 1 && as == 1 && bs == 0) {
    const float bv = b[0];
    for (i64 i = 0; i < n; i++) out[i] = c[i] ? a[i] : bv;
  } else if (cs == 1 && as == 0 && bs == 1) {
    const float av = a[0];
    for (i64 i = 0; i < n; i++) out[i] = c[i] ? av : b[i];
  } else {
    for (i64 i = 0; i < n; i++) out[i] = c[i * cs] ? a[i * as] : b[i * bs];
  }
}

void copy_row32(const uint32_t* x, i64 xs, uint32_t* out, i64 n) {
  if (xs == 1) std::memcpy(out, x, sizeof(uint32_t) * n);
  else if (xs == 0) std::fill(out, out + n, x[0]);
  else for (i64 i = 0; i < n; i++) out[i] = x[i * xs];
}

// ---- reductions ------------------------------------------------------------------------

double reduce_row(int op, const float* x, i64 n, double init) {
  switch (op) {
    case R_SUM: {
      // float → double vectors, several accumulators.
      constexpr int H = W / 2;
      vd s0{}, s1{}, s2{}, s3{};
      i64 i = 0;
      for (; i + 4 * H <= n; i += 4 * H) {
        s0 += __builtin_convertvector(loadh(x + i), vd);
        s1 += __builtin_convertvector(loadh(x + i + H), vd);
        s2 += __builtin_convertvector(loadh(x + i + 2 * H), vd);
        s3 += __builtin_convertvector(loadh(x + i + 3 * H), vd);
      }
      vd s = (s0 + s1) + (s2 + s3);
      double r = init;
      for (int j = 0; j < H; j++) r += s[j];
      for (; i < n; i++) r += x[i];
      return r;
    }
    case R_PROD: {
      double r = init;
      for (i64 i = 0; i < n; i++) r *= x[i];
      return r;
    }
    case R_MAX:
    case R_MIN: {
      const bool isMax = op == R_MAX;
      if (init != init) return init;
      vf m = bcast(static_cast<float>(init));
      vi nan{};
      i64 i = 0;
      for (; i + W <= n; i += W) {
        vf v = loadu(x + i);
        nan |= v != v;
        m = isMax ? (v > m ? v : m) : (v < m ? v : m);
      }
      float r = static_cast<float>(init);
      bool anyNan = false;
      for (int j = 0; j < W; j++) {
        anyNan |= nan[j] != 0;
        r = isMax ? (m[j] > r ? m[j] : r) : (m[j] < r ? m[j] : r);
      }
      for (; i < n; i++) {
        float v = x[i];
        if (v != v) anyNan = true;
        r = isMax ? (v > r ? v : r) : (v < r ? v : r);
      }
      return anyNan ? __builtin_nan("") : static_cast<double>(r);
    }
    case R_ANY: {
      if (init != 0) return init;
      for (i64 i = 0; i < n; i++)
        if (truthy(x[i])) return 1;
      return 0;
    }
    case R_ALL: {
      if (init == 0) return 0;
      for (i64 i = 0; i < n; i++)
        if (!truthy(x[i])) return 0;
      return 1;
    }
    default: return init;
  }
}

void reduce_acc(int op, const float* __restrict x, i64 n, double* __restrict acc) {
  switch (op) {
    case R_SUM: for (i64 i = 0; i < n; i++) acc[i] += x[i]; break;
    case R_PROD: for (i64 i = 0; i < n; i++) acc[i] *= x[i]; break;
    case R_MAX:
      for (i64 i = 0; i < n; i++) {
        double v = x[i], a = acc[i];
        acc[i] = v > a || v != v ? v : a;
      }
      break;
    case R_MIN:
      for (i64 i = 0; i < n; i++) {
        double v = x[i], a = acc[i];
        acc[i] = v < a || v != v ? v : a;
      }
      break;
    case R_ANY: for (i64 i = 0; i < n; i++) acc[i] = truthy(x[i]) ? 1.0 : acc[i]; break;
    case R_ALL: for (i64 i = 0; i < n; i++) acc[i] = truthy(x[i]) ? acc[i] : 0.0; break;
    default: break;
  }
}

void arg_reduce(bool isMax, const float* x, i64 outer, i64 size, i64 inner, int32_t* out) {
  const int nt = threads_for(static_cast<double>(outer) * size * inner * 0.5, 20000.0);
  if (inner == 1) {
    parallel(nt, [&](int tid, int nth) {
      i64 o0, o1;
      split_range(outer, nth, tid, o0, o1);
      for (i64 o = o0; o < o1; o++) {
        const float* row = x + o * size;
        float best = row[0];
        int32_t idx = 0;
        if (best == best) {
          for (i64 r = 1; r < size; r++) {
            const float v = row[r];
            if (v != v) {
              idx = static_cast<int32_t>(r);
              break;
            }
            if (isMax ? v > best : v < best) {
              best = v;
              idx = static_cast<int32_t>(r);
            }
          }
        }
        out[o] = idx;
      }
    });
    return;
  }
  // Inner > 1: scan rows, keeping one running best per inner position.
  const i64 work = outer * ((inner + 255) / 256);
  parallel(nt, [&](int tid, int nth) {
    i64 w0, w1;
    split_range(work, nth, tid, w0, w1);
    Buf<float> best(256);
    const i64 chunks = (inner + 255) / 256;
    for (i64 w = w0; w < w1; w++) {
      const i64 o = w / chunks, n0 = (w - o * chunks) * 256, cn = std::min<i64>(256, inner - n0);
      const float* base = x + o * size * inner + n0;
      int32_t* idx = out + o * inner + n0;
      for (i64 n = 0; n < cn; n++) {
        best[n] = base[n];
        idx[n] = 0;
      }
      for (i64 r = 1; r < size; r++) {
        const float* row = base + r * inner;
        for (i64 n = 0; n < cn; n++) {
          const float b = best[n], v = row[n];
          if (b == b && (v != v || (isMax ? v > b : v < b))) {
            best[n] = v;
            idx[n] = static_cast<int32_t>(r);
          }
        }
      }
    }
  });
}

// ---- softmax ------------------------------------------------------------------------------

/** out[i] = exp(x[i] − m[i]) (m broadcast when ms == 0); returns nothing. */
inline void exp_sub_row(const float* x, const float* m, i64 ms, float* out, i64 n) {
  i64 i = 0;
  if (ms == 0) {
    const vf mv = bcast(m[0]);
    for (; i + W <= n; i += W) storeu(out + i, v_exp(loadu(x + i) - mv));
  } else {
    for (; i + W <= n; i += W) storeu(out + i, v_exp(loadu(x + i) - loadu(m + i)));
  }
  if (i < n) {
    alignas(64) float t[W] = {}, u[W] = {};
    for (i64 j = 0; j < n - i; j++) {
      t[j] = x[i + j];
      u[j] = ms ? m[i + j] : m[0];
    }
    storeu(t, v_exp(loadu(t) - loadu(u)));
    for (i64 j = 0; j < n - i; j++) out[i + j] = t[j];
  }
}

void softmax_impl(const float* x, i64 outer, i64 size, i64 inner, bool log, float* out) {
  if (outer <= 0 || size <= 0 || inner <= 0) return;
  const int nt = threads_for(static_cast<double>(outer) * size * inner * 2.0, 20000.0);
  if (inner == 1) {
    parallel(nt, [&](int tid, int nth) {
      i64 o0, o1;
      split_range(outer, nth, tid, o0, o1);
      Buf<float> tmp(log ? size : 0);
      for (i64 o = o0; o < o1; o++) {
        const float* row = x + o * size;
        float* dst = out + o * size;
        double mx = reduce_row(R_MAX, row, size, -__builtin_inf());
        if (mx == -__builtin_inf()) mx = 0;
        const float mf = static_cast<float>(mx);
        float* e = log ? tmp.data() : dst;
        exp_sub_row(row, &mf, 0, e, size);
        const double sum = reduce_row(R_SUM, e, size, 0.0);
        if (log) {
          const double ls = std::log(sum) + mx;
          for (i64 r = 0; r < size; r++) dst[r] = static_cast<float>(static_cast<double>(row[r]) - ls);
        } else {
          const float inv = static_cast<float>(1.0 / sum);
          for (i64 r = 0; r < size; r++) dst[r] *= inv;
        }
      }
    });
    return;
  }
  constexpr i64 CH = 256;
  const i64 chunks = (inner + CH - 1) / CH;
  parallel(nt, [&](int tid, int nth) {
    i64 w0, w1;
    split_range(outer * chunks, nth, tid, w0, w1);
    Buf<float> mx(CH), e(CH);
    Buf<double> sum(CH);
    for (i64 w = w0; w < w1; w++) {
      const i64 o = w / chunks, n0 = (w - o * chunks) * CH, cn = std::min<i64>(CH, inner - n0);
      const float* base = x + o * size * inner + n0;
      float* obase = out + o * size * inner + n0;
      for (i64 n = 0; n < cn; n++) mx[n] = -__builtin_inff();
      for (i64 r = 0; r < size; r++) {
        const float* row = base + r * inner;
        for (i64 n = 0; n < cn; n++) {
          const float v = row[n], m = mx[n];
          mx[n] = v > m || v != v ? v : m;
        }
      }
      for (i64 n = 0; n < cn; n++) {
        if (mx[n] == -__builtin_inff()) mx[n] = 0;
        sum[n] = 0;
      }
      for (i64 r = 0; r < size; r++) {
        float* dst = log ? e.data() : obase + r * inner;
        exp_sub_row(base + r * inner, mx.data(), 1, dst, cn);
        for (i64 n = 0; n < cn; n++) sum[n] += dst[n];
      }
      if (log) {
        for (i64 n = 0; n < cn; n++) sum[n] = std::log(sum[n]) + mx[n];
        for (i64 r = 0; r < size; r++) {
          const float* row = base + r * inner;
          float* dst = obase + r * inner;
          for (i64 n = 0; n < cn; n++) dst[n] = static_cast<float>(static_cast<double>(row[n]) - sum[n]);
        }
      } else {
        for (i64 n = 0; n < cn; n++) e[n] = static_cast<float>(1.0 / sum[n]);
        for (i64 r = 0; r < size; r++) {
          float* dst = obase + r * inner;
          for (i64 n = 0; n < cn; n++) dst[n] *= e[n];
        }
      }
    }
  });
}

// ---- fused optimizer steps (double arithmetic rounded to float where the reference rounds) ----

inline float fr(double v) { return static_cast<float>(v); }

void sgd_step(float* p, const float* g, float* buf, i64 n, const SgdK& k) {
  const int nt = threads_for(static_cast<double>(n) * 1.0, 30000.0);
  parallel(nt, [&](int tid, int nth) {
    i64 b0, b1;
    split_range(n, nth, tid, b0, b1);
    const double wd = k.wd, mom = k.mom, omd = k.oneMinusDamp, negLr = k.negLr;
    // W/2 elements at a time in double vectors: the same operations and roundings as the scalar loop
    // below (which takes the tail), so the results are the same bits.
    constexpr int H = W / 2;
    static_assert(H >= 1, "sgd_step: vectors of at least 2 floats");
    const auto widen = [](const float* q) { return __builtin_convertvector(loadh(q), vd); };
    const auto narrow = [](vd v) { return __builtin_convertvector(v, vhf); };
    const auto rounded = [&](vd v) { return __builtin_convertvector(narrow(v), vd); };
    i64 i = b0;
    for (; i + H <= b1; i += H) {
      vd d = k.maximize ? -widen(g + i) : widen(g + i);
      if (k.hasWd) d = rounded(d + wd * widen(p + i));
      if (k.hasMom) {
        const vd bi = k.first ? rounded(d) : rounded(rounded(widen(buf + i) * mom) + omd * d);
        const vhf bf = narrow(bi);
        std::memcpy(buf + i, &bf, sizeof bf);
        d = k.nesterov ? rounded(d + mom * bi) : bi;
      }
      const vhf pf = narrow(widen(p + i) + negLr * d);
      std::memcpy(p + i, &pf, sizeof pf);
    }
    for (; i < b1; i++) {
      double d = k.maximize ? -static_cast<double>(g[i]) : static_cast<double>(g[i]);
      if (k.hasWd) d = fr(d + wd * p[i]);
      if (k.hasMom) {
        const float bi = k.first ? fr(d) : fr(static_cast<double>(fr(static_cast<double>(buf[i]) * mom)) + omd * d);
        buf[i] = bi;
        d = k.nesterov ? fr(d + mom * bi) : bi;
      }
      p[i] = fr(static_cast<double>(p[i]) + negLr * d);
    }
  });
}

void adam_step(float* p, const float* g, float* m, float* v, float* vmax, i64 n, const AdamK& k) {
  const int nt = threads_for(static_cast<double>(n) * 2.0, 30000.0);
  parallel(nt, [&](int tid, int nth) {
    i64 b0, b1;
    split_range(n, nth, tid, b0, b1);
    const double b1c = k.b1, b2c = k.b2, omb1 = k.omb1, omb2 = k.omb2, eps = k.eps, wd = k.wd, decay = k.decay;
    const double bc2 = k.bc2Sqrt, negStep = k.negStepSize;
    for (i64 i = b0; i < b1; i++) {
      double gi = k.maximize ? -static_cast<double>(g[i]) : static_cast<double>(g[i]);
      if (k.decoupled) p[i] = fr(static_cast<double>(p[i]) * decay);
      else if (k.hasWd) gi = fr(gi + wd * p[i]);
      m[i] = fr(static_cast<double>(fr(static_cast<double>(m[i]) * b1c)) + omb1 * gi);
      v[i] = fr(static_cast<double>(fr(static_cast<double>(v[i]) * b2c)) + static_cast<double>(fr(static_cast<double>(fr(omb2 * gi)) * gi)));
      double second = v[i];
      if (vmax) {
        const float a = vmax[i], b = v[i];
        vmax[i] = a != a || b != b ? __builtin_nanf("") : (a > b ? a : b);
        second = vmax[i];
      }
      const double denom = fr(static_cast<double>(fr(static_cast<double>(fr(std::sqrt(second))) / bc2)) + eps);
      p[i] = fr(static_cast<double>(p[i]) + static_cast<double>(fr(static_cast<double>(fr(negStep * m[i])) / denom)));
    }
  });
}

// ---- fused batch norm -------------------------------------------------------------------

/** Σ (x − s) and Σ (x − s)² in double (shifted sums: exact enough for the variance). */
inline void shifted_sums(const float* x, i64 n, double s, double& s1, double& s2) {
  constexpr int H = W / 2;
  vd a1{}, a2{}, c1{}, c2{};
  const vd sv = s - vd{};
  i64 i = 0;
  for (; i + 2 * H <= n; i += 2 * H) {
    const vd d0 = __builtin_convertvector(loadh(x + i), vd) - sv;
    const vd d1 = __builtin_convertvector(loadh(x + i + H), vd) - sv;
    a1 += d0;
    a2 += d0 * d0;
    c1 += d1;
    c2 += d1 * d1;
  }
  double r1 = 0, r2 = 0;
  for (int j = 0; j < H; j++) {
    r1 += a1[j] + c1[j];
    r2 += a2[j] + c2[j];
  }
  for (; i < n; i++) {
    const double d = static_cast<double>(x[i]) - s;
    r1 += d;
    r2 += d * d;
  }
  s1 += r1;
  s2 += r2;
}

/**
 * Work split of the batch-norm kernels: by images when there are enough (a thread then reads the
 * images the previous kernel wrote on that thread, not the other core's), else by channels.
 */
struct BnSplit {
  i64 n0, n1, c0, c1;
  BnSplit(i64 N, i64 C, int tid, int nth) {
    if (N >= nth) {
      split_range(N, nth, tid, n0, n1);
      c0 = 0;
      c1 = C;
    } else {
      split_range(C, nth, tid, c0, c1);
      n0 = 0;
      n1 = N;
    }
  }
};

void bn_forward(const float* x, i64 N, i64 C, i64 S, const float* w, const float* b, double eps, bool training,
                double* mean, double* invstd, double* var, float* out) {
  const double M = static_cast<double>(N) * S;
  const int nt = threads_for(static_cast<double>(N) * C * S * (training ? 1.0 : 0.5), 30000.0);
  if (training) {
    // Per-thread shifted sums over its images, then combined in thread order.
    Buf<double> part(static_cast<size_t>(nt * C * 2), 0.0);
    parallel(nt, [&](int tid, int nth) {
      const BnSplit r(N, C, tid, nth);
      double* p = part.data() + tid * C * 2;
      for (i64 c = r.c0; c < r.c1; c++) {
        const double shift = N > 0 && S > 0 ? static_cast<double>(x[c * S]) : 0.0;
        double s1 = 0, s2 = 0;
        for (i64 n = r.n0; n < r.n1; n++) shifted_sums(x + (n * C + c) * S, S, shift, s1, s2);
        p[2 * c] = s1;
        p[2 * c + 1] = s2;
      }
    });
    for (i64 c = 0; c < C; c++) {
      const double shift = N > 0 && S > 0 ? static_cast<double>(x[c * S]) : 0.0;
      double s1 = 0, s2 = 0;
      for (int t = 0; t < nt; t++) {
        s1 += part[(t * C + c) * 2];
        s2 += part[(t * C + c) * 2 + 1];
      }
      const double dm = s1 / M;
      const double v = std::max(0.0, s2 / M - dm * dm);
      mean[c] = shift + dm;
      if (var) var[c] = v;
      invstd[c] = 1 / std::sqrt(v + eps);
    }
  }
  Buf<double> scale(static_cast<size_t>(C)), shiftOut(static_cast<size_t>(C));
  for (i64 c = 0; c < C; c++) {
    scale[c] = invstd[c] * (w ? static_cast<double>(w[c]) : 1.0);
    shiftOut[c] = (b ? static_cast<double>(b[c]) : 0.0) - mean[c] * scale[c];
  }
  parallel(nt, [&](int tid, int nth) {
    i64 q0, q1;
    split_range(N * C, nth, tid, q0, q1);
    for (i64 q = q0; q < q1; q++) {
      // In float, as PyTorch's CPU kernel: x·scale + shift with both rounded to float once.
      const i64 c = q % C;
      const float sc = static_cast<float>(scale[c]), sh = static_cast<float>(shiftOut[c]);
      const vf scv = bcast(sc), shv = bcast(sh);
      const float* xp = x + q * S;
      float* op = out + q * S;
      i64 i = 0;
      for (; i + W <= S; i += W) storeu(op + i, loadu(xp + i) * scv + shv);
      for (; i < S; i++) op[i] = xp[i] * sc + sh;
    }
  });
}

/** Rows of p in place: act(x·scale + shift), each step rounded as the separate batch-norm and activation kernels. */
template <class F>
inline void affine_act_rows(float* p, i64 ld, i64 rows, i64 cols, const float* scale, const float* shift, F act) {
  for (i64 r = 0; r < rows; r++) {
    float* q = p + r * ld;
    const vf sc = bcast(scale ? scale[r] : 1.0f), sh = bcast(shift ? shift[r] : 0.0f);
    auto f = [&](vf v) {
      if (scale) v = v * sc;
      if (shift) v = v + sh;
      return act(v);
    };
    i64 i = 0;
    for (; i + W <= cols; i += W) storeu(q + i, f(loadu(q + i)));
    if (i < cols) {
      alignas(64) float t[W] = {};
      for (i64 j = 0; j < cols - i; j++) t[j] = q[i + j];
      storeu(t, f(loadu(t)));
      for (i64 j = 0; j < cols - i; j++) q[i + j] = t[j];
    }
  }
}

// The activations are unary_row's and scalar_row's (relu6 = S_HARDTANH on [0, 6]).
void affine_act(float* p, i64 ld, i64 rows, i64 cols, const float* scale, const float* shift, int act) {
  switch (act) {
    case ACT_RELU: affine_act_rows(p, ld, rows, cols, scale, shift, [](vf v) { return v_relu(v); }); break;
    case ACT_RELU6: affine_act_rows(p, ld, rows, cols, scale, shift, [](vf v) { return v_hardtanh(v, vf{}, bcast(6.0f)); }); break;
    case ACT_SILU: affine_act_rows(p, ld, rows, cols, scale, shift, [](vf v) { return v_silu(v); }); break;
    case ACT_HARDSWISH: affine_act_rows(p, ld, rows, cols, scale, shift, [](vf v) { return v_hardswish(v); }); break;
    default: affine_act_rows(p, ld, rows, cols, scale, shift, [](vf v) { return v; }); break;
  }
}

/** Σ g and Σ g·(x − m) over one plane, added to sg and sgx. */
inline void grad_sums(const float* gp, const float* xp, i64 S, double m, double& sg, double& sgx) {
  constexpr int H = W / 2;
  vd a{}, bb{};
  const vd mv = m - vd{};
  i64 i = 0;
  for (; i + H <= S; i += H) {
    const vd gv = __builtin_convertvector(loadh(gp + i), vd);
    a += gv;
    bb += gv * (__builtin_convertvector(loadh(xp + i), vd) - mv);
  }
  for (int j = 0; j < H; j++) {
    sg += a[j];
    sgx += bb[j];
  }
  for (; i < S; i++) {
    sg += gp[i];
    sgx += static_cast<double>(gp[i]) * (static_cast<double>(xp[i]) - m);
  }
}

void bn_backward(const float* g, const float* x, i64 N, i64 C, i64 S, const float* w, const double* mean,
                 const double* invstd, bool training, double* sumG, double* sumGX, float* gx) {
  const double M = static_cast<double>(N) * S;
  const int nt = threads_for(static_cast<double>(N) * C * S * (gx ? 1.5 : 1.0), 30000.0);
  Buf<double> part(static_cast<size_t>(nt * C * 2), 0.0);
  parallel(nt, [&](int tid, int nth) {
    const BnSplit r(N, C, tid, nth);
    double* p = part.data() + tid * C * 2;
    for (i64 c = r.c0; c < r.c1; c++) {
      double sg = 0, sgx = 0;
      for (i64 n = r.n0; n < r.n1; n++) grad_sums(g + (n * C + c) * S, x + (n * C + c) * S, S, mean[c], sg, sgx);
      p[2 * c] = sg;
      p[2 * c + 1] = sgx;
    }
  });
  for (i64 c = 0; c < C; c++) {
    double sg = 0, sgx = 0;
    for (int t = 0; t < nt; t++) {
      sg += part[(t * C + c) * 2];
      sgx += part[(t * C + c) * 2 + 1];
    }
    sumG[c] = sg;
    sumGX[c] = sgx;
  }
  if (!gx) return;
  parallel(nt, [&](int tid, int nth) {
    i64 q0, q1;
    split_range(N * C, nth, tid, q0, q1);
    for (i64 q = q0; q < q1; q++) {
      const i64 c = q % C;
      const double m = mean[c];
      const double k = invstd[c] * (w ? static_cast<double>(w[c]) : 1.0);
      const double meanG = sumG[c] / M, proj = sumGX[c] * invstd[c] * invstd[c] / M;
      const float* gp = g + q * S;
      const float* xp = x + q * S;
      float* op = gx + q * S;
      if (training)
        for (i64 i = 0; i < S; i++)
          op[i] = static_cast<float>(k * (static_cast<double>(gp[i]) - meanG - (static_cast<double>(xp[i]) - m) * proj));
      else
        for (i64 i = 0; i < S; i++) op[i] = static_cast<float>(k * static_cast<double>(gp[i]));
    }
  });
}

// ---- fused cross entropy ------------------------------------------------------------------

void ce_forward(const float* logits, i64 N, i64 C, i64 inner, const int32_t* target, const double* weight,
                i64 ignoreIndex, double eps, float* logp, double* loss) {
  softmax_impl(logits, N, C, inner, true, logp);
  const i64 positions = N * inner;
  const int nt = threads_for(static_cast<double>(positions) * (eps > 0 ? C : 4), 30000.0);
  parallel(nt, [&](int tid, int nth) {
    i64 q0, q1;
    split_range(positions, nth, tid, q0, q1);
    for (i64 q = q0; q < q1; q++) {
      const i64 n = q / inner, j = q - n * inner;
      const i64 t = target[q];
      if (t == ignoreIndex) {
        loss[q] = 0;
        continue;
      }
      const float* lp = logp + n * C * inner + j;
      const double wt = weight ? weight[t] : 1.0;
      double l = -wt * lp[t * inner];
      if (eps > 0) {
        double smooth = 0;
        for (i64 c = 0; c < C; c++) smooth -= (weight ? weight[c] : 1.0) * lp[c * inner];
        l = (1 - eps) * l + (eps / C) * smooth;
      }
      loss[q] = l;
    }
  });
}

void ce_backward(const float* logp, i64 N, i64 C, i64 inner, const int32_t* target, const double* weight,
                 i64 ignoreIndex, double eps, const double* coef, float* grad) {
  double Wsum = 0;
  for (i64 c = 0; c < C; c++) Wsum += weight ? weight[c] : 1.0;
  const i64 positions = N * inner;
  const int nt = threads_for(static_cast<double>(positions) * C * 2.0, 30000.0);
  parallel(nt, [&](int tid, int nth) {
    i64 q0, q1;
    split_range(positions, nth, tid, q0, q1);
    Buf<float> p(static_cast<size_t>(C));
    const float zero = 0.0f;
    for (i64 q = q0; q < q1; q++) {
      const i64 n = q / inner, j = q - n * inner;
      const i64 t = target[q];
      const float* lp = logp + n * C * inner + j;
      float* gr = grad + n * C * inner + j;
      if (t == ignoreIndex) {
        for (i64 c = 0; c < C; c++) gr[c * inner] = 0;
        continue;
      }
      if (inner == 1) {
        exp_sub_row(lp, &zero, 0, p.data(), C);
      } else {
        for (i64 c = 0; c < C; c++) p[c] = lp[c * inner];
        exp_sub_row(p.data(), &zero, 0, p.data(), C);
      }
      const double a = coef[q] * (1 - eps) * (weight ? weight[t] : 1.0);
      const double b = coef[q] * eps / C;
      for (i64 c = 0; c < C; c++) {
        const double pc = p[c];
        double v = a * pc + b * (pc * Wsum - (weight ? weight[c] : 1.0));
        if (c == t) v -= a;
        gr[c * inner] = static_cast<float>(v);
      }
    }
  });
}

// ---- pooling ----------------------------------------------------------------------------------

struct MaxTaps {
  Buf<i64> start, end;
};

MaxTaps max_taps(i64 k, i64 outSize, i64 inSize, i64 stride, i64 pad, i64 dilation) {
  MaxTaps t;
  t.start.resize(outSize);
  t.end.resize(outSize);
  for (i64 o = 0; o < outSize; o++) {
    i64 s = o * stride - pad;
    const i64 e = std::min(s + (k - 1) * dilation + 1, inSize);
    if (s < 0) s += ((-s + dilation - 1) / dilation) * dilation;
    t.start[o] = s;
    t.end[o] = e;
  }
  return t;
}

/** Max of one window (rows ih0..ih1, columns iw0..iw1 by the dilations), first maximum or last NaN, as torch. */
inline void max_window(const float* base, i64 inW, i64 ih0, i64 ih1, i64 dH, i64 iw0, i64 iw1, i64 dW, float& o,
                       int32_t& ix) {
  float best = -__builtin_inff();
  i64 bestIdx = ih0 * inW + iw0;
  for (i64 ih = ih0; ih < ih1; ih += dH) {
    const float* row = base + ih * inW;
    for (i64 iw = iw0; iw < iw1; iw += dW) {
      const float val = row[iw];
      const bool take = val > best || val != val;  // selects, not branches: maxima come in random order
      best = take ? val : best;
      bestIdx = take ? ih * inW + iw : bestIdx;
    }
  }
  o = best;
  ix = static_cast<int32_t>(bestIdx);
}

/** Lanes 0, 2, 4, … of the 2W floats at p. */
inline vf load_even(const float* p) { return even_lanes_of<vf, vi, W>(loadu(p), loadu(p + W)); }

/**
 * W outputs of one row whose windows lie inside the input (stride 1 or 2 along the row,
 * dilation 1): each tap is one vector load, the maximum and its index are vector selects.
 */
template <int SW>
inline void max_window_vec(const float* base, i64 inW, i64 ih0, i64 kH, i64 dH, i64 iw0, i64 kW, float* o,
                           int32_t* ix) {
  vf best = bcast(-__builtin_inff());
  vi lane;
  for (int j = 0; j < W; j++) lane[j] = j * SW;
  // Each lane starts at its own window's first element (PyTorch's index for a window of −inf only).
  vi bestIdx = ibcast(static_cast<int32_t>(ih0 * inW + iw0)) + lane;
  for (i64 kh = 0; kh < kH; kh++) {
    const i64 ih = ih0 + kh * dH;
    const float* row = base + ih * inW;
    for (i64 kw = 0; kw < kW; kw++) {
      const i64 iw = iw0 + kw;
      const vf val = SW == 1 ? loadu(row + iw) : load_even(row + iw);
      const vi take = (val > best) | (val != val);
      best = take ? val : best;
      bestIdx = take ? ibcast(static_cast<int32_t>(ih * inW + iw)) + lane : bestIdx;
    }
  }
  storeu(o, best);
  std::memcpy(ix, &bestIdx, sizeof bestIdx);
}

void max_pool(const float* x, const PoolGeom& g, float* out, int32_t* indices) {
  const MaxTaps h = max_taps(g.kH, g.outH, g.inH, g.sH, g.pH, g.dH);
  const MaxTaps v = max_taps(g.kW, g.outW, g.inW, g.sW, g.pW, g.dW);
  const i64 inPlane = g.inH * g.inW, outPlane = g.outH * g.outW;
  // A row costs about a vector's worth of outputs more than its width: narrow rows (LeNet's 10×10 → 5×5,
  // 1,024 planes: 65 µs on one thread) are worth two threads.
  const int nt = threads_for(static_cast<double>(g.planes) * g.outH * (g.outW + W) * g.kH * g.kW * 0.3, 20000.0);
  // Vector path (stride 1 or 2 and dilation 1 along rows) over the output columns [vlo, vhi)
  // whose windows lie inside the row. A block's loads may run past the row (those lanes are
  // dropped) but never past the end of x. Rows of a few outputs too: one vector with lanes to drop still
  // beats a scalar window per output (6× on LeNet's 10×10 → 5×5 pooling).
  const bool vec = (g.sW == 1 || g.sW == 2) && g.dW == 1 && g.outW >= 2;
  const i64 vlo = g.pW > 0 ? (g.pW + g.sW - 1) / g.sW : 0;
  i64 vhi = g.outW;
  while (vhi > vlo && (vhi - 1) * g.sW - g.pW + g.kW > g.inW) vhi--;
  const i64 loadLen = g.sW == 2 ? 2 * W : W;
  const float* xEnd = x + g.planes * inPlane;
  parallel(nt, [&](int tid, int nth) {
    i64 p0, p1;
    split_range(g.planes, nth, tid, p0, p1);
    alignas(64) float tv[W];
    alignas(64) int32_t ti[W];
    // A vector of a row's last outputs may spill into the outputs after it, up to this thread's last:
    // those are written later (rows in order), so narrow rows need no partial stores.
    const i64 spillEnd = p1 * outPlane;
    for (i64 p = p0; p < p1; p++) {
      const float* base = x + p * inPlane;
      float* o = out + p * outPlane;
      int32_t* ix = indices + p * outPlane;
      for (i64 oh = 0; oh < g.outH; oh++) {
        const i64 ih0 = h.start[oh], ih1 = h.end[oh];
        const bool fullRows = ih0 == oh * g.sH - g.pH && ih1 - ih0 == (g.kH - 1) * g.dH + 1;
        i64 ow = 0;
        auto scalar_to = [&](i64 end) {
          for (; ow < end; ow++) {
            const i64 iw0 = v.start[ow], iw1 = v.end[ow], at = oh * g.outW + ow;
            if (ih0 >= ih1 || iw0 >= iw1) {
              o[at] = -__builtin_inff();
              ix[at] = -1;
            } else {
              max_window(base, g.inW, ih0, ih1, g.dH, iw0, iw1, g.dW, o[at], ix[at]);
            }
          }
        };
        if (vec && fullRows) {
          scalar_to(vlo);
          const float* lastRow = base + (ih0 + (g.kH - 1) * g.dH) * g.inW;
          for (; ow < vhi; ow += W) {
            const i64 iw = ow * g.sW - g.pW;
            if (lastRow + iw + g.kW - 1 + loadLen > xEnd) break;  // would read past x: scalar tail
            const i64 at = oh * g.outW + ow, n = std::min<i64>(W, vhi - ow);
            const bool whole = n == W || p * outPlane + at + W <= spillEnd;
            float* od = whole ? o + at : tv;
            int32_t* id = whole ? ix + at : ti;
            if (g.sW == 1)
              max_window_vec<1>(base, g.inW, ih0, g.kH, g.dH, iw, g.kW, od, id);
            else
              max_window_vec<2>(base, g.inW, ih0, g.kH, g.dH, iw, g.kW, od, id);
            if (!whole) {
              for (i64 j = 0; j < n; j++) {
                o[at + j] = tv[j];
                ix[at + j] = ti[j];
              }
            }
          }
          ow = std::min(ow, vhi);
        }
        scalar_to(g.outW);
      }
    }
  });
}

void max_pool_backward(const float* gy, const int32_t* indices, const PoolGeom& g, float* gx) {
  const i64 inPlane = g.inH * g.inW, outPlane = g.outH * g.outW;
  const int nt = threads_for(static_cast<double>(g.planes) * (inPlane + outPlane) * 0.5, 20000.0);
  parallel(nt, [&](int tid, int nth) {
    i64 p0, p1;
    split_range(g.planes, nth, tid, p0, p1);
    for (i64 p = p0; p < p1; p++) {
      float* d = gx + p * inPlane;
      std::memset(d, 0, sizeof(float) * inPlane);
      const float* s = gy + p * outPlane;
      const int32_t* ix = indices + p * outPlane;
      for (i64 o = 0; o < outPlane; o++) {
        const int32_t i = ix[o];
        if (i >= 0 && i < inPlane) d[i] += s[o];
      }
    }
  });
}

struct AvgWin {
  Buf<i64> start, end, padded;
};

AvgWin avg_windows(i64 outSize, i64 inSize, i64 k, i64 stride, i64 pad) {
  AvgWin w;
  w.start.resize(outSize);
  w.end.resize(outSize);
  w.padded.resize(outSize);
  for (i64 o = 0; o < outSize; o++) {
    const i64 s = o * stride - pad;
    const i64 e = std::min(s + k, inSize + pad);
    w.padded[o] = e - s;
    w.start[o] = std::max<i64>(s, 0);
    w.end[o] = std::max(w.start[o], std::min(e, inSize));
  }
  return w;
}

Buf<float> avg_scales(const AvgWin& h, const AvgWin& v, i64 outH, i64 outW, bool countIncludePad,
                              double divisorOverride) {
  Buf<float> s(outH * outW);
  for (i64 oh = 0; oh < outH; oh++)
    for (i64 ow = 0; ow < outW; ow++) {
      const double d = divisorOverride > 0 ? divisorOverride
                       : countIncludePad ? static_cast<double>(h.padded[oh] * v.padded[ow])
                                         : static_cast<double>((h.end[oh] - h.start[oh]) * (v.end[ow] - v.start[ow]));
      s[oh * outW + ow] = static_cast<float>(d);
    }
  return s;
}

void avg_pool(const float* x, const PoolGeom& g, bool countIncludePad, double divisorOverride, float* out) {
  const AvgWin h = avg_windows(g.outH, g.inH, g.kH, g.sH, g.pH);
  const AvgWin v = avg_windows(g.outW, g.inW, g.kW, g.sW, g.pW);
  const Buf<float> scale = avg_scales(h, v, g.outH, g.outW, countIncludePad, divisorOverride);
  const i64 inPlane = g.inH * g.inW, outPlane = g.outH * g.outW;
  const int nt = threads_for(static_cast<double>(g.planes) * outPlane * g.kH * g.kW * 0.5, 20000.0);
  parallel(nt, [&](int tid, int nth) {
    i64 p0, p1;
    split_range(g.planes, nth, tid, p0, p1);
    for (i64 p = p0; p < p1; p++) {
      const float* base = x + p * inPlane;
      float* o = out + p * outPlane;
      for (i64 oh = 0; oh < g.outH; oh++) {
        const i64 ih0 = h.start[oh], ih1 = h.end[oh];
        for (i64 ow = 0; ow < g.outW; ow++) {
          const i64 iw0 = v.start[ow], iw1 = v.end[ow];
          float sum = 0;
          if (iw0 == 0 && iw1 == g.inW) {
            // Whole rows (global pooling): one contiguous run, summed in vectors.
            if (ih0 < ih1) sum = static_cast<float>(reduce_row(R_SUM, base + ih0 * g.inW, (ih1 - ih0) * g.inW, 0.0));
          } else if (iw1 - iw0 >= 4 * W) {
            double s = 0;
            for (i64 ih = ih0; ih < ih1; ih++) s = reduce_row(R_SUM, base + ih * g.inW + iw0, iw1 - iw0, s);
            sum = static_cast<float>(s);
          } else {
            for (i64 ih = ih0; ih < ih1; ih++) {
              const float* row = base + ih * g.inW;
              for (i64 iw = iw0; iw < iw1; iw++) sum += row[iw];
            }
          }
          o[oh * g.outW + ow] = ih0 < ih1 && iw0 < iw1 ? sum / scale[oh * g.outW + ow] : 0.0f;
        }
      }
    }
  });
}

void avg_pool_backward(const float* gy, const PoolGeom& g, bool countIncludePad, double divisorOverride, float* gx) {
  const AvgWin h = avg_windows(g.outH, g.inH, g.kH, g.sH, g.pH);
  const AvgWin v = avg_windows(g.outW, g.inW, g.kW, g.sW, g.pW);
  const Buf<float> scale = avg_scales(h, v, g.outH, g.outW, countIncludePad, divisorOverride);
  const i64 inPlane = g.inH * g.inW, outPlane = g.outH * g.outW;
  const int nt = threads_for(static_cast<double>(g.planes) * outPlane * g.kH * g.kW * 0.5, 20000.0);
  parallel(nt, [&](int tid, int nth) {
    i64 p0, p1;
    split_range(g.planes, nth, tid, p0, p1);
    for (i64 p = p0; p < p1; p++) {
      float* d = gx + p * inPlane;
      std::memset(d, 0, sizeof(float) * inPlane);
      const float* s = gy + p * outPlane;
      for (i64 oh = 0; oh < g.outH; oh++) {
        const i64 ih0 = h.start[oh], ih1 = h.end[oh];
        for (i64 ow = 0; ow < g.outW; ow++) {
          const i64 iw0 = v.start[ow], iw1 = v.end[ow];
          const float gv = s[oh * g.outW + ow] / scale[oh * g.outW + ow];
          for (i64 ih = ih0; ih < ih1; ih++) {
            float* row = d + ih * g.inW;
            for (i64 iw = iw0; iw < iw1; iw++) row[iw] += gv;
          }
        }
      }
    }
  });
}

}  // namespace

void fill_elementwise(KernelTable& t) {
  t.copy32 = copy_row32;
  t.unary = unary_row;
  t.unaryU8 = unary_row_u8;
  t.scalar = scalar_row;
  t.binary = binary_row;
  t.binaryU8 = binary_row_u8;
  t.where = where_row;
  t.reduceRow = reduce_row;
  t.reduceAcc = reduce_acc;
  t.argReduce = arg_reduce;
  t.softmax = softmax_impl;
  t.sgdStep = sgd_step;
  t.adamStep = adam_step;
  t.bnForward = bn_forward;
  t.affineAct = affine_act;
  t.bnBackward = bn_backward;
  t.ceForward = ce_forward;
  t.ceBackward = ce_backward;
  t.maxPool2d = max_pool;
  t.maxPool2dBackward = max_pool_backward;
  t.avgPool2d = avg_pool;
  t.avgPool2dBackward = avg_pool_backward;
}

}  // namespace STRATA_ISA
}  // namespace strata
