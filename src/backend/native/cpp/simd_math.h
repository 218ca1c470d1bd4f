// Vector float math over GCC/Clang generic vectors of STRATA_W floats.
// Included inside an ISA namespace. Compiled with -ffp-contract=off so results
// do not depend on whether the level has FMA.
//
// exp/log/tanh follow the Cephes single-precision algorithms (≈1–2 ulp), with
// IEEE special cases (NaN, ±inf, 0, denormals) handled explicitly.
#pragma once

typedef float vf __attribute__((vector_size(STRATA_W * 4)));
typedef int32_t vi __attribute__((vector_size(STRATA_W * 4)));
typedef float vhf __attribute__((vector_size(STRATA_W * 2)));
typedef double vd __attribute__((vector_size(STRATA_W * 4)));

constexpr int W = STRATA_W;

inline vf loadu(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void storeu(float* p, vf v) { std::memcpy(p, &v, sizeof v); }
inline vhf loadh(const float* p) {
  vhf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline vf bcast(float x) { return x - vf{}; }
inline vi ibcast(int32_t x) { return x + vi{}; }
inline vf as_f(vi x) { return reinterpret_cast<vf>(x); }
inline vi as_i(vf x) { return reinterpret_cast<vi>(x); }

inline vf v_abs(vf x) { return as_f(as_i(x) & 0x7fffffff); }
inline vf v_copysign(vf mag, vf sgn) {
  return as_f((as_i(mag) & 0x7fffffff) | (as_i(sgn) & static_cast<int32_t>(0x80000000u)));
}
/** Round to nearest even, valid for |x| < 2^22. */
inline vf v_round_small(vf x) {
  const vf m = bcast(12582912.0f);
  return (x + m) - m;
}
inline vf pow2i(vi n) { return as_f((n + 127) << 23); }

inline vf v_exp(vf x) {
  const vf hi = bcast(88.72283935546875f), lo = bcast(-103.972084f);
  const vi nan = x != x, over = x > hi, under = x < lo;
  vf xc = over ? hi : x;
  xc = under ? lo : xc;
  xc = nan ? vf{} : xc;
  const vf n = v_round_small(xc * 1.44269504088896341f);
  vf r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  const vf z = r * r;
  vf p = bcast(1.9875691500E-4f);
  p = p * r + 1.3981999507E-3f;
  p = p * r + 8.3334519073E-3f;
  p = p * r + 4.1665795894E-2f;
  p = p * r + 1.6666665459E-1f;
  p = p * r + 5.0000001201E-1f;
  p = p * z + r + 1.0f;
  const vi ni = __builtin_convertvector(n, vi);
  const vi n1 = ni >> 1, n2 = ni - n1;  // two steps so that 2^n may be denormal or 2^128
  vf res = p * pow2i(n1) * pow2i(n2);
  res = over ? bcast(__builtin_inff()) : res;
  res = under ? vf{} : res;
  return nan ? x : res;
}

inline vf v_log(vf x) {
  const vi nan = (x != x) | (x < vf{});
  const vi zero = x == vf{};
  const vi inf = x == bcast(__builtin_inff());
  const vi den = (x < bcast(1.17549435e-38f)) & (x > vf{});
  const vf xs = den ? x * 8388608.0f : x;
  const vi bits = as_i(xs);
  vi e = ((bits >> 23) & 0xff) - 126;
  e = den ? e - 23 : e;
  const vf m = as_f((bits & 0x007fffff) | 0x3f000000);  // [0.5, 1)
  const vi small = m < bcast(0.707106781186547524f);
  vf ef = __builtin_convertvector(e, vf);
  ef = small ? ef - 1.0f : ef;
  const vf xm = small ? (m + m) - 1.0f : m - 1.0f;
  const vf z = xm * xm;
  vf y = bcast(7.0376836292E-2f);
  y = y * xm - 1.1514610310E-1f;
  y = y * xm + 1.1676998740E-1f;
  y = y * xm - 1.2420140846E-1f;
  y = y * xm + 1.4249322787E-1f;
  y = y * xm - 1.6668057665E-1f;
  y = y * xm + 2.0000714765E-1f;
  y = y * xm - 2.4999993993E-1f;
  y = y * xm + 3.3333331174E-1f;
  y = y * xm * z;
  y = y + ef * -2.12194440e-4f;
  y = y - z * 0.5f;
  vf r = xm + y;
  r = r + ef * 0.693359375f;
  r = inf ? x : r;
  r = zero ? bcast(-__builtin_inff()) : r;
  return nan ? bcast(__builtin_nanf("")) : r;
}

inline vf v_tanh(vf x) {
  const vf ax = v_abs(x);
  const vf t = v_exp(ax + ax);
  const vf big = v_copysign(1.0f - 2.0f / (t + 1.0f), x);
  const vf z = x * x;
  vf p = bcast(-5.70498872745E-3f);
  p = p * z + 2.06390887954E-2f;
  p = p * z - 5.37397155531E-2f;
  p = p * z + 1.33314422036E-1f;
  p = p * z - 3.33332819422E-1f;
  const vf small = p * z * x + x;
  return ax > bcast(0.625f) ? big : small;
}

inline vf v_sigmoid(vf x) {
  const vf e = v_exp(-v_abs(x));
  const vf s = 1.0f / (1.0f + e);
  return x >= vf{} ? s : e * s;
}

/** log(1 + u) for u in [0, 1] (or NaN), accurate also for tiny u. */
inline vf v_log1p_unit(vf u) {
  const vf w = 1.0f + u;
  const vf wm1 = w - 1.0f;
  const vi exact = wm1 == vf{};
  const vf r = v_log(w) * (u / (exact ? bcast(1.0f) : wm1));
  return exact ? u : r;
}

/** log(1 + e^x), PyTorch's threshold 20 switching to the identity. */
inline vf v_softplus(vf x) {
  const vf pos = x > vf{} ? x : vf{};
  const vf r = pos + v_log1p_unit(v_exp(-v_abs(x)));
  const vf res = (x != x) ? x : r;
  return x > bcast(20.0f) ? x : res;
}
