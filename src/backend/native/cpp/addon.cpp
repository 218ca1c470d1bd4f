// N-API entry points of the native backend.
//
// Every kernel works zero-copy on the memory of the JavaScript typed arrays
// (napi_get_typedarray_info gives the data pointer already adjusted by the
// array's byteOffset) and writes into caller-allocated outputs. Shapes and
// strides arrive packed in a Float64Array "meta" argument. Every extent is
// checked against the arrays' lengths before any kernel runs, so a bad call
// throws a RangeError instead of touching memory out of bounds.
//
// This file holds the ISA-independent drivers (strided row iteration for the
// elementwise kernels, axis grouping for reductions, argument checks); the
// arithmetic lives in the per-ISA kernel tables.
#include <napi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "strata.h"

namespace strata {
Napi::Value PooledArray(const Napi::CallbackInfo& info);  // pooled_arrays.cpp
Napi::Value PooledStats(const Napi::CallbackInfo& info);
Napi::Value GraphReleased(const Napi::CallbackInfo& info);
void EnableRequestedCollections();
}

namespace strata {
namespace {

int gLevel = CPU_SCALAR;
const KernelTable* gK = nullptr;

constexpr int kMaxRank = 24;

// ---- argument helpers -----------------------------------------------------------

struct Arr {
  void* data = nullptr;
  size_t length = 0;
  napi_typedarray_type type = napi_int8_array;
};

[[noreturn]] void throw_type(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, "strata native: " + msg); }
[[noreturn]] void throw_range(Napi::Env env, const std::string& msg) {
  throw Napi::RangeError::New(env, "strata native: " + msg);
}

Arr typed(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Env env = info.Env();
  napi_value v = info[i];
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) throw_type(env, std::string(what) + " must be a typed array");
  Arr a;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &a.type, &a.length, &a.data, &ab, &off) != napi_ok)
    throw_type(env, std::string(what) + ": cannot read typed array");
  return a;
}

Arr typed_as(const Napi::CallbackInfo& info, size_t i, napi_typedarray_type t, const char* what) {
  Arr a = typed(info, i, what);
  if (a.type != t) throw_type(info.Env(), std::string(what) + " has the wrong element type");
  return a;
}

float* f32(const Napi::CallbackInfo& info, size_t i, const char* what, size_t& len) {
  Arr a = typed_as(info, i, napi_float32_array, what);
  len = a.length;
  return static_cast<float*>(a.data);
}

double num(const Napi::CallbackInfo& info, size_t i) {
  double v = 0;
  napi_get_value_double(info.Env(), info[i], &v);
  return v;
}

/** Reads the i-th argument as a Float64Array of meta data. */
struct Meta {
  const double* p;
  size_t n;
  size_t pos = 0;
  Napi::Env env;
  Meta(const Napi::CallbackInfo& info, size_t i) : env(info.Env()) {
    Arr a = typed_as(info, i, napi_float64_array, "meta");
    p = static_cast<const double*>(a.data);
    n = a.length;
  }
  i64 next() {
    if (pos >= n) throw_range(env, "meta array too short");
    double v = p[pos++];
    if (!(v >= -9007199254740991.0 && v <= 9007199254740991.0) || v != std::floor(v))
      throw_range(env, "meta entries must be integers");
    return static_cast<i64>(v);
  }
  double next_double() {
    if (pos >= n) throw_range(env, "meta array too short");
    return p[pos++];
  }
};

/** Checks that a strided view of `shape` stays inside [0, length). */
void check_view(Napi::Env env, const char* what, int rank, const i64* shape, const i64* strides, i64 offset,
                size_t length) {
  i64 lo = offset, hi = offset;
  for (int d = 0; d < rank; d++) {
    if (shape[d] == 0) return;  // empty: nothing is read
    i64 span = (shape[d] - 1) * strides[d];
    if (span > 0) hi += span;
    else lo += span;
  }
  if (lo < 0 || hi >= static_cast<i64>(length))
    throw_range(env, std::string(what) + " view reaches outside its array");
}

i64 size_of(int rank, const i64* shape) {
  i64 n = 1;
  for (int d = 0; d < rank; d++) n *= shape[d];
  return n;
}

// ---- strided row iteration ----------------------------------------------------------

template <int NV>
struct Layout {
  int rank = 0;
  i64 dims[kMaxRank];
  i64 st[NV][kMaxRank];
};

/** Drop size-1 dims and merge dims that are contiguous in every view (as the JS forEachRow). */
template <int NV>
Layout<NV> collapse(int rank, const i64* shape, const i64* const* strides) {
  Layout<NV> L;
  for (int d = 0; d < rank; d++) {
    if (shape[d] == 1) continue;
    int last = L.rank - 1;
    bool merge = last >= 0;
    for (int v = 0; v < NV && merge; v++) merge = L.st[v][last] == strides[v][d] * shape[d];
    if (merge) {
      L.dims[last] *= shape[d];
      for (int v = 0; v < NV; v++) L.st[v][last] = strides[v][d];
    } else {
      L.dims[L.rank] = shape[d];
      for (int v = 0; v < NV; v++) L.st[v][L.rank] = strides[v][d];
      L.rank++;
    }
  }
  return L;
}

/** Calls row(offsets, length, innerStrides) for the rows covering flat indices [b, e). */
template <int NV, class F>
void rows_range(const Layout<NV>& L, const i64* base, i64 b, i64 e, F&& row) {
  const int r = L.rank;
  if (b >= e) return;
  if (r == 0) {
    i64 zero[NV] = {};
    row(base, 1, zero);
    return;
  }
  i64 idx[kMaxRank];
  i64 off[NV];
  i64 rem = b;
  for (int d = r - 1; d >= 0; d--) {
    idx[d] = rem % L.dims[d];
    rem /= L.dims[d];
  }
  for (int v = 0; v < NV; v++) {
    off[v] = base[v];
    for (int d = 0; d < r; d++) off[v] += idx[d] * L.st[v][d];
  }
  i64 inner[NV];
  for (int v = 0; v < NV; v++) inner[v] = L.st[v][r - 1];
  const i64 len = L.dims[r - 1];
  i64 pos = b;
  while (pos < e) {
    const i64 take = std::min(len - idx[r - 1], e - pos);
    row(off, take, inner);
    pos += take;
    if (pos >= e) break;
    // The row ended (take reached its end): move to the start of the next row.
    for (int v = 0; v < NV; v++) off[v] -= idx[r - 1] * inner[v];
    idx[r - 1] = 0;
    for (int d = r - 2; d >= 0; d--) {
      idx[d]++;
      for (int v = 0; v < NV; v++) off[v] += L.st[v][d];
      if (idx[d] < L.dims[d]) break;
      for (int v = 0; v < NV; v++) off[v] -= L.st[v][d] * L.dims[d];
      idx[d] = 0;
    }
  }
}

/** Run rows over all elements, split among threads by flat index when large. */
template <int NV, class F>
void run_rows(const Layout<NV>& L, const i64* base, i64 total, double costPerElement, F&& row) {
  const int nt = threads_for(static_cast<double>(total) * costPerElement, 30000.0);
  parallel(nt, [&](int tid, int nth) {
    i64 b, e;
    split_range(total, nth, tid, b, e);
    rows_range<NV>(L, base, b, e, row);
  });
}

double unary_cost(int op) {
  switch (op) {
    case U_NEG: case U_ABS: case U_SIGN: case U_SQUARE: case U_RELU: case U_FLOOR: case U_CEIL: case U_ROUND:
    case U_TRUNC: case U_LOGICALNOT: case U_ISNAN: case U_ISINF: case U_HARDSWISH: case U_HARDSIGMOID:
      return 0.4;
    case U_SQRT: case U_RSQRT: case U_RECIPROCAL: return 0.6;
    case U_EXP: case U_LOG: case U_TANH: case U_SIGMOID: case U_SILU: case U_SOFTPLUS: case U_GELUTANH: case U_MISH:
      return 1.5;
    default: return 15.0;  // libm in double
  }
}

double binary_cost(int op) {
  switch (op) {
    case B_POW: case B_ATAN2: case B_FMOD: case B_REMAINDER: case B_FLOORDIV: return 15.0;
    default: return 0.5;
  }
}

/** Parses [rank, offsets(nIn)..., shape(rank)..., strides(nIn × rank)...] of nIn input views. */
struct ViewsMeta {
  int rank;
  i64 shape[kMaxRank];
  i64 offs[4];
  i64 strides[4][kMaxRank];
};

ViewsMeta parse_views(Meta& m, int nIn) {
  ViewsMeta v;
  i64 rank = m.next();
  if (rank < 0 || rank > kMaxRank) throw_range(m.env, "rank out of range");
  v.rank = static_cast<int>(rank);
  for (int i = 0; i < nIn; i++) v.offs[i] = m.next();
  for (int d = 0; d < v.rank; d++) {
    v.shape[d] = m.next();
    if (v.shape[d] < 0) throw_range(m.env, "negative dimension");
  }
  for (int i = 0; i < nIn; i++)
    for (int d = 0; d < v.rank; d++) v.strides[i][d] = m.next();
  return v;
}

void contiguous_strides(int rank, const i64* shape, i64* out) {
  i64 s = 1;
  for (int d = rank - 1; d >= 0; d--) {
    out[d] = s;
    s *= shape[d];
  }
}

size_t elem_size(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: case napi_uint8_array: case napi_uint8_clamped_array: return 1;
    case napi_int16_array: case napi_uint16_array: return 2;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: return 4;
    default: return 8;
  }
}

// ---- elementwise entry points ----------------------------------------------------------

// copy(x, meta, out): x and out Float32Array or Int32Array (same type).
Napi::Value Copy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arr x = typed(info, 0, "x");
  Meta m(info, 1);
  Arr out = typed(info, 2, "out");
  if (elem_size(x.type) != 4 || x.type != out.type) throw_type(env, "copy: needs two 4-byte arrays of one type");
  ViewsMeta v = parse_views(m, 1);
  const i64 total = size_of(v.rank, v.shape);
  if (total == 0) return env.Undefined();
  check_view(env, "x", v.rank, v.shape, v.strides[0], v.offs[0], x.length);
  if (static_cast<i64>(out.length) < total) throw_range(env, "out too small");
  i64 os[kMaxRank];
  contiguous_strides(v.rank, v.shape, os);
  const i64* st[2] = {v.strides[0], os};
  Layout<2> L = collapse<2>(v.rank, v.shape, st);
  const i64 base[2] = {v.offs[0], 0};
  const uint32_t* xp = static_cast<const uint32_t*>(x.data);
  uint32_t* op = static_cast<uint32_t*>(out.data);
  // A (batched) transpose: the output's rows walk the input with a large
  // stride while the next dim is contiguous in the input. Copy 32×32 tiles so
  // both sides stay in cache.
  if (L.rank >= 2 && L.st[0][L.rank - 2] == 1 && L.st[0][L.rank - 1] != 1 && L.dims[L.rank - 1] >= 16 &&
      L.dims[L.rank - 2] >= 16) {
    const int r = L.rank;
    const i64 R = L.dims[r - 2], Cn = L.dims[r - 1], sc = L.st[0][r - 1];
    const i64 batch = total / (R * Cn);
    constexpr i64 T = 32;
    const i64 tilesR = (R + T - 1) / T, tilesC = (Cn + T - 1) / T;
    const i64 work = batch * tilesR;
    const int nt = threads_for(static_cast<double>(total) * 0.5, 30000.0);
    parallel(nt, [&](int tid, int nth) {
      i64 w0, w1;
      split_range(work, nth, tid, w0, w1);
      for (i64 w = w0; w < w1; w++) {
        const i64 bi = w / tilesR, tr = w - bi * tilesR;
        // Input offset of batch entry bi (dims before the last two, row-major).
        i64 ioff = base[0], rem = bi;
        for (int d = r - 3; d >= 0; d--) {
          ioff += (rem % L.dims[d]) * L.st[0][d];
          rem /= L.dims[d];
        }
        const i64 ooff = bi * R * Cn;
        const i64 r0 = tr * T, r1 = std::min(R, r0 + T);
        for (i64 tc = 0; tc < tilesC; tc++) {
          const i64 c0 = tc * T, c1 = std::min(Cn, c0 + T);
          for (i64 i = r0; i < r1; i++) {
            const uint32_t* src = xp + ioff + i;
            uint32_t* dst = op + ooff + i * Cn;
            for (i64 j = c0; j < c1; j++) dst[j] = src[j * sc];
          }
        }
      }
    });
    return env.Undefined();
  }
  auto copy32 = gK->copy32;
  run_rows<2>(L, base, total, 0.3, [&](const i64* o, i64 len, const i64* s) { copy32(xp + o[0], s[0], op + o[1], len); });
  return env.Undefined();
}

// unary(op, x, meta, out): out Float32Array, or Uint8Array for isnan/isinf/logicalNot.
Napi::Value Unary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int op = static_cast<int>(num(info, 0));
  if (op < 0 || op >= U_COUNT) throw_range(env, "unknown unary op");
  Arr x = typed_as(info, 1, napi_float32_array, "x");
  Meta m(info, 2);
  Arr out = typed(info, 3, "out");
  ViewsMeta v = parse_views(m, 1);
  const i64 total = size_of(v.rank, v.shape);
  if (total == 0) return env.Undefined();
  check_view(env, "x", v.rank, v.shape, v.strides[0], v.offs[0], x.length);
  if (static_cast<i64>(out.length) < total) throw_range(env, "out too small");
  i64 os[kMaxRank];
  contiguous_strides(v.rank, v.shape, os);
  const i64* st[2] = {v.strides[0], os};
  Layout<2> L = collapse<2>(v.rank, v.shape, st);
  const i64 base[2] = {v.offs[0], 0};
  const float* xp = static_cast<const float*>(x.data);
  if (out.type == napi_float32_array) {
    float* op_ = static_cast<float*>(out.data);
    auto fn = gK->unary;
    run_rows<2>(L, base, total, unary_cost(op), [&](const i64* o, i64 len, const i64* s) { fn(op, xp + o[0], s[0], op_ + o[1], len); });
  } else if (out.type == napi_uint8_array && (op == U_ISNAN || op == U_ISINF || op == U_LOGICALNOT)) {
    uint8_t* op_ = static_cast<uint8_t*>(out.data);
    auto fn = gK->unaryU8;
    run_rows<2>(L, base, total, 0.5, [&](const i64* o, i64 len, const i64* s) { fn(op, xp + o[0], s[0], op_ + o[1], len); });
  } else {
    throw_type(env, "unary: unsupported output type");
  }
  return env.Undefined();
}

// scalar(op, x, meta, a, b, out)
Napi::Value Scalar(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int op = static_cast<int>(num(info, 0));
  if (op < 0 || op >= S_COUNT) throw_range(env, "unknown scalar op");
  Arr x = typed_as(info, 1, napi_float32_array, "x");
  Meta m(info, 2);
  const double a = num(info, 3), b = num(info, 4);
  Arr out = typed_as(info, 5, napi_float32_array, "out");
  ViewsMeta v = parse_views(m, 1);
  const i64 total = size_of(v.rank, v.shape);
  if (total == 0) return env.Undefined();
  check_view(env, "x", v.rank, v.shape, v.strides[0], v.offs[0], x.length);
  if (static_cast<i64>(out.length) < total) throw_range(env, "out too small");
  i64 os[kMaxRank];
  contiguous_strides(v.rank, v.shape, os);
  const i64* st[2] = {v.strides[0], os};
  Layout<2> L = collapse<2>(v.rank, v.shape, st);
  const i64 base[2] = {v.offs[0], 0};
  const float* xp = static_cast<const float*>(x.data);
  float* op_ = static_cast<float*>(out.data);
  auto fn = gK->scalar;
  const double cost = (op == S_POW && a != 2 && a != 1) || op == S_RPOW || op == S_ELU || op == S_SOFTPLUSBETA ? 15.0 : 0.6;
  run_rows<2>(L, base, total, cost, [&](const i64* o, i64 len, const i64* s) { fn(op, xp + o[0], s[0], a, b, op_ + o[1], len); });
  return env.Undefined();
}

// binary(op, a, b, meta, out): out Float32Array or Uint8Array.
Napi::Value Binary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int op = static_cast<int>(num(info, 0));
  if (op < 0 || op >= B_COUNT) throw_range(env, "unknown binary op");
  Arr a = typed_as(info, 1, napi_float32_array, "a");
  Arr b = typed_as(info, 2, napi_float32_array, "b");
  Meta m(info, 3);
  Arr out = typed(info, 4, "out");
  ViewsMeta v = parse_views(m, 2);
  const i64 total = size_of(v.rank, v.shape);
  if (total == 0) return env.Undefined();
  check_view(env, "a", v.rank, v.shape, v.strides[0], v.offs[0], a.length);
  check_view(env, "b", v.rank, v.shape, v.strides[1], v.offs[1], b.length);
  if (static_cast<i64>(out.length) < total) throw_range(env, "out too small");
  i64 os[kMaxRank];
  contiguous_strides(v.rank, v.shape, os);
  const i64* st[3] = {v.strides[0], v.strides[1], os};
  Layout<3> L = collapse<3>(v.rank, v.shape, st);
  const i64 base[3] = {v.offs[0], v.offs[1], 0};
  const float* ap = static_cast<const float*>(a.data);
  const float* bp = static_cast<const float*>(b.data);
  if (out.type == napi_float32_array) {
    float* op_ = static_cast<float*>(out.data);
    auto fn = gK->binary;
    run_rows<3>(L, base, total, binary_cost(op), [&](const i64* o, i64 len, const i64* s) {
      fn(op, ap + o[0], s[0], bp + o[1], s[1], op_ + o[2], len);
    });
  } else if (out.type == napi_uint8_array) {
    uint8_t* op_ = static_cast<uint8_t*>(out.data);
    auto fn = gK->binaryU8;
    run_rows<3>(L, base, total, binary_cost(op), [&](const i64* o, i64 len, const i64* s) {
      fn(op, ap + o[0], s[0], bp + o[1], s[1], op_ + o[2], len);
    });
  } else {
    throw_type(env, "binary: unsupported output type");
  }
  return env.Undefined();
}

// where(cond: Uint8Array, a, b, meta, out)
Napi::Value Where(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arr c = typed_as(info, 0, napi_uint8_array, "cond");
  Arr a = typed_as(info, 1, napi_float32_array, "a");
  Arr b = typed_as(info, 2, napi_float32_array, "b");
  Meta m(info, 3);
  Arr out = typed_as(info, 4, napi_float32_array, "out");
  ViewsMeta v = parse_views(m, 3);
  const i64 total = size_of(v.rank, v.shape);
  if (total == 0) return env.Undefined();
  check_view(env, "cond", v.rank, v.shape, v.strides[0], v.offs[0], c.length);
  check_view(env, "a", v.rank, v.shape, v.strides[1], v.offs[1], a.length);
  check_view(env, "b", v.rank, v.shape, v.strides[2], v.offs[2], b.length);
  if (static_cast<i64>(out.length) < total) throw_range(env, "out too small");
  i64 os[kMaxRank];
  contiguous_strides(v.rank, v.shape, os);
  const i64* st[4] = {v.strides[0], v.strides[1], v.strides[2], os};
  Layout<4> L = collapse<4>(v.rank, v.shape, st);
  const i64 base[4] = {v.offs[0], v.offs[1], v.offs[2], 0};
  const uint8_t* cp = static_cast<const uint8_t*>(c.data);
  const float* ap = static_cast<const float*>(a.data);
  const float* bp = static_cast<const float*>(b.data);
  float* op_ = static_cast<float*>(out.data);
  auto fn = gK->where;
  run_rows<4>(L, base, total, 0.5, [&](const i64* o, i64 len, const i64* s) {
    fn(cp + o[0], s[0], ap + o[1], s[1], bp + o[2], s[2], op_ + o[3], len);
  });
  return env.Undefined();
}

// ---- reductions ------------------------------------------------------------------------

double reduce_init(int op) {
  switch (op) {
    case R_SUM: return 0;
    case R_PROD: return 1;
    case R_MAX: return -__builtin_inf();
    case R_MIN: return __builtin_inf();
    case R_ANY: return 0;
    default: return 1;
  }
}

double combine(int op, double a, double b) {
  switch (op) {
    case R_SUM: return a + b;
    case R_PROD: return a * b;
    case R_MAX: return a != a || b != b ? __builtin_nan("") : std::max(a, b);
    case R_MIN: return a != a || b != b ? __builtin_nan("") : std::min(a, b);
    case R_ANY: return a != 0 || b != 0 ? 1 : 0;
    default: return a != 0 && b != 0 ? 1 : 0;
  }
}

// reduce(op, x, meta [rank, shape..., ndims, dims...], out: Float32Array | Uint8Array)
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int op = static_cast<int>(num(info, 0));
  if (op < 0 || op >= R_COUNT) throw_range(env, "unknown reduce op");
  Arr x = typed_as(info, 1, napi_float32_array, "x");
  Meta m(info, 2);
  Arr out = typed(info, 3, "out");
  if (out.type != napi_float32_array && out.type != napi_uint8_array) throw_type(env, "reduce: unsupported output type");
  const i64 rank = m.next();
  if (rank < 0 || rank > kMaxRank) throw_range(env, "rank out of range");
  i64 shape[kMaxRank];
  for (i64 d = 0; d < rank; d++) {
    shape[d] = m.next();
    if (shape[d] < 0) throw_range(env, "negative dimension");
  }
  bool reduced[kMaxRank] = {};
  const i64 nd = m.next();
  for (i64 i = 0; i < nd; i++) {
    i64 d = m.next();
    if (d < 0 || d >= rank) throw_range(env, "reduce axis out of range");
    reduced[d] = true;
  }
  const i64 total = size_of(static_cast<int>(rank), shape);
  i64 outSize = 1;
  for (i64 d = 0; d < rank; d++)
    if (!reduced[d]) outSize *= shape[d];
  if (static_cast<i64>(x.length) < total) throw_range(env, "x too small");
  if (static_cast<i64>(out.length) < outSize) throw_range(env, "out too small");
  if (outSize == 0) return env.Undefined();
  const double init = reduce_init(op);
  std::vector<double> acc(outSize, init);
  const float* xp = static_cast<const float*>(x.data);

  if (total > 0) {
    // Group adjacent axes of the same kind (size-1 axes dropped): kept/reduced alternate.
    int ng = 0;
    i64 gsize[kMaxRank];
    bool gred[kMaxRank];
    for (i64 d = 0; d < rank; d++) {
      if (shape[d] == 1) continue;
      if (ng > 0 && gred[ng - 1] == reduced[d]) gsize[ng - 1] *= shape[d];
      else {
        gsize[ng] = shape[d];
        gred[ng] = reduced[d];
        ng++;
      }
    }
    if (ng == 0) {
      gsize[0] = 1;
      gred[0] = false;
      ng = 1;
    }
    i64 inSt[kMaxRank], outSt[kMaxRank];
    {
      i64 s = 1, o = 1;
      for (int g = ng - 1; g >= 0; g--) {
        inSt[g] = s;
        s *= gsize[g];
        outSt[g] = gred[g] ? 0 : o;
        if (!gred[g]) o *= gsize[g];
      }
    }
    const int last = ng - 1;
    const i64 L = gsize[last];
    const bool innerReduced = gred[last];
    // Split the largest kept group among threads (disjoint outputs).
    int split = -1;
    for (int g = 0; g < ng; g++)
      if (!gred[g] && gsize[g] >= 2 && (split < 0 || gsize[g] > gsize[split])) split = g;
    const int nt = threads_for(static_cast<double>(total) * (op == R_SUM || op == R_MAX || op == R_MIN ? 0.3 : 1.0), 30000.0);
    auto reduceRow = gK->reduceRow;
    auto reduceAcc = gK->reduceAcc;
    if (split >= 0) {
      parallel(nt, [&](int tid, int nth) {
        i64 lo[kMaxRank], hi[kMaxRank];
        for (int g = 0; g < ng; g++) {
          lo[g] = 0;
          hi[g] = gsize[g];
        }
        split_range(gsize[split], nth, tid, lo[split], hi[split]);
        if (lo[split] >= hi[split]) return;
        // Odometer over the outer groups [0, last), innermost handled as a row.
        i64 idx[kMaxRank];
        for (int g = 0; g < last; g++) idx[g] = lo[g];
        for (;;) {
          i64 io = 0, oo = 0;
          for (int g = 0; g < last; g++) {
            io += idx[g] * inSt[g];
            oo += idx[g] * outSt[g];
          }
          if (innerReduced) {
            acc[oo] = reduceRow(op, xp + io, L, acc[oo]);
          } else {
            const i64 c0 = lo[last], c1 = hi[last];
            reduceAcc(op, xp + io + c0, c1 - c0, acc.data() + oo + c0);
          }
          int g = last - 1;
          for (; g >= 0; g--) {
            if (++idx[g] < hi[g]) break;
            idx[g] = lo[g];
          }
          if (g < 0) break;
        }
      });
    } else {
      // A single output: the input is one contiguous row. Partial results per thread, combined in order.
      std::vector<double> part(nt, init);
      parallel(nt, [&](int tid, int nth) {
        i64 b, e;
        split_range(total, nth, tid, b, e);
        part[tid] = reduceRow(op, xp + b, e - b, reduce_init(op));
      });
      double r = init;
      for (int t = 0; t < nt; t++) r = combine(op, r, part[t]);
      acc[0] = r;
    }
  }
  if (out.type == napi_float32_array) {
    float* o = static_cast<float*>(out.data);
    for (i64 i = 0; i < outSize; i++) o[i] = static_cast<float>(acc[i]);
  } else {
    uint8_t* o = static_cast<uint8_t*>(out.data);
    for (i64 i = 0; i < outSize; i++) o[i] = static_cast<uint8_t>(static_cast<int64_t>(acc[i]));
  }
  return env.Undefined();
}

// argReduce(isMax, x, outer, size, inner, out: Int32Array)
Napi::Value ArgReduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool isMax = info[0].ToBoolean();
  Arr x = typed_as(info, 1, napi_float32_array, "x");
  const i64 outer = static_cast<i64>(num(info, 2)), size = static_cast<i64>(num(info, 3)),
            inner = static_cast<i64>(num(info, 4));
  Arr out = typed_as(info, 5, napi_int32_array, "out");
  if (outer < 0 || size < 0 || inner < 0) throw_range(env, "negative size");
  if (outer == 0 || inner == 0) return env.Undefined();
  if (size == 0) throw_range(env, "argReduce over an empty axis");
  if (static_cast<i64>(x.length) < outer * size * inner) throw_range(env, "x too small");
  if (static_cast<i64>(out.length) < outer * inner) throw_range(env, "out too small");
  gK->argReduce(isMax, static_cast<const float*>(x.data), outer, size, inner, static_cast<int32_t*>(out.data));
  return env.Undefined();
}

// softmax(x, outer, size, inner, log, out)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t xl, ol;
  const float* x = f32(info, 0, "x", xl);
  const i64 outer = static_cast<i64>(num(info, 1)), size = static_cast<i64>(num(info, 2)),
            inner = static_cast<i64>(num(info, 3));
  const bool log = info[4].ToBoolean();
  float* out = f32(info, 5, "out", ol);
  if (outer < 0 || size < 0 || inner < 0) throw_range(env, "negative size");
  const i64 n = outer * size * inner;
  if (n == 0) return env.Undefined();
  if (static_cast<i64>(xl) < n || static_cast<i64>(ol) < n) throw_range(env, "array too small");
  gK->softmax(x, outer, size, inner, log, out);
  return env.Undefined();
}

// ---- matmul ---------------------------------------------------------------------------------

// matmul(a, b, out, meta [batch, m, n, k, transA, transB, aOffset, bOffset, aBatchStride, bBatchStride, alpha, beta])
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t al, bl, ol;
  const float* a = f32(info, 0, "a", al);
  const float* b = f32(info, 1, "b", bl);
  float* out = f32(info, 2, "out", ol);
  Meta m(info, 3);
  GemmCall g{};
  g.batch = m.next();
  g.M = m.next();
  g.N = m.next();
  g.K = m.next();
  g.transA = m.next() != 0;
  g.transB = m.next() != 0;
  const i64 aOff = m.next(), bOff = m.next();
  g.strideA = m.next();
  g.strideB = m.next();
  g.alpha = static_cast<float>(m.next_double());
  g.beta = static_cast<float>(m.next_double());
  if (g.batch < 0 || g.M < 0 || g.N < 0 || g.K < 0 || aOff < 0 || bOff < 0 || g.strideA < 0 || g.strideB < 0)
    throw_range(env, "matmul: negative argument");
  if (g.batch == 0 || g.M == 0 || g.N == 0) return env.Undefined();
  if (static_cast<i64>(ol) < g.batch * g.M * g.N) throw_range(env, "matmul: out too small");
  if (g.K > 0) {
    if (aOff + (g.batch - 1) * g.strideA + g.M * g.K > static_cast<i64>(al)) throw_range(env, "matmul: a too small");
    if (bOff + (g.batch - 1) * g.strideB + g.K * g.N > static_cast<i64>(bl)) throw_range(env, "matmul: b too small");
  }
  g.A = a + aOff;
  g.B = b + bOff;
  g.C = out;
  g.lda = g.transA ? g.M : g.K;
  g.ldb = g.transB ? g.K : g.N;
  g.ldc = g.N;
  g.strideC = g.M * g.N;
  if (info.Length() > 4 && info[4].IsTypedArray()) {
    size_t rl;
    g.rowBias = f32(info, 4, "rowBias", rl);
    if (static_cast<i64>(rl) < g.M) throw_range(env, "matmul: rowBias too small");
  }
  if (info.Length() > 5 && info[5].IsTypedArray()) {
    size_t cl;
    g.colBias = f32(info, 5, "colBias", cl);
    if (static_cast<i64>(cl) < g.N) throw_range(env, "matmul: colBias too small");
  }
  if (info.Length() > 6) g.act = static_cast<int>(num(info, 6));
  gK->gemm(g);
  return env.Undefined();
}

// ---- convolution ---------------------------------------------------------------------------

ConvGeom parse_conv(Meta& m) {
  ConvGeom g;
  g.n = m.next(); g.inC = m.next(); g.inH = m.next(); g.inW = m.next();
  g.outC = m.next(); g.outH = m.next(); g.outW = m.next();
  g.kH = m.next(); g.kW = m.next(); g.sH = m.next(); g.sW = m.next();
  g.pH = m.next(); g.pW = m.next(); g.dH = m.next(); g.dW = m.next(); g.groups = m.next();
  if (g.n < 0 || g.inC < 0 || g.inH < 0 || g.inW < 0 || g.outC < 0 || g.outH < 0 || g.outW < 0)
    throw_range(m.env, "conv2d: negative size");
  if (g.kH < 1 || g.kW < 1 || g.sH < 1 || g.sW < 1 || g.dH < 1 || g.dW < 1 || g.groups < 1)
    throw_range(m.env, "conv2d: kernel, stride, dilation and groups must be >= 1");
  if (g.pH < 0 || g.pW < 0) throw_range(m.env, "conv2d: negative padding");
  if (g.inC % g.groups || g.outC % g.groups) throw_range(m.env, "conv2d: groups must divide the channels");
  return g;
}

void check_len(Napi::Env env, const char* what, size_t have, i64 need) {
  if (static_cast<i64>(have) < need) throw_range(env, std::string("conv2d: ") + what + " too small");
}

// conv2d(x, w, bias|null, meta, out[, scale|null, shift|null, act]): with the last three, a fused
// inference convolution (out ← act(conv·scale + shift) per output channel, see ConvPost).
Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t xl, wl, ol, bl = 0;
  const float* x = f32(info, 0, "x", xl);
  const float* w = f32(info, 1, "w", wl);
  const float* bias = info[2].IsTypedArray() ? f32(info, 2, "bias", bl) : nullptr;
  Meta m(info, 3);
  ConvGeom g = parse_conv(m);
  float* out = f32(info, 4, "out", ol);
  check_len(env, "x", xl, g.n * g.inC * g.inH * g.inW);
  check_len(env, "w", wl, g.outC * (g.inC / g.groups) * g.kH * g.kW);
  check_len(env, "out", ol, g.n * g.outC * g.outH * g.outW);
  if (bias) check_len(env, "bias", bl, g.outC);
  if (info.Length() <= 7) {
    gK->conv2d(x, w, bias, g, out, nullptr);
    return env.Undefined();
  }
  size_t sl = 0, hl = 0;
  ConvPost post{};
  post.scale = info[5].IsTypedArray() ? f32(info, 5, "scale", sl) : nullptr;
  post.shift = info[6].IsTypedArray() ? f32(info, 6, "shift", hl) : nullptr;
  post.act = static_cast<int>(num(info, 7));
  post.apply = gK->affineAct;
  if (post.scale) check_len(env, "scale", sl, g.outC);
  if (post.shift) check_len(env, "shift", hl, g.outC);
  if (post.act < 0 || post.act >= ACT_COUNT) throw_range(env, "conv2d: unknown activation code");
  gK->conv2d(x, w, bias, g, out, &post);
  return env.Undefined();
}

// conv2dBackwardInput(gradOut, w, meta, gradIn)
Napi::Value Conv2dBackwardInput(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t gl, wl, il;
  const float* gy = f32(info, 0, "gradOut", gl);
  const float* w = f32(info, 1, "w", wl);
  Meta m(info, 2);
  ConvGeom g = parse_conv(m);
  float* gx = f32(info, 3, "gradIn", il);
  check_len(env, "gradOut", gl, g.n * g.outC * g.outH * g.outW);
  check_len(env, "w", wl, g.outC * (g.inC / g.groups) * g.kH * g.kW);
  check_len(env, "gradIn", il, g.n * g.inC * g.inH * g.inW);
  gK->conv2dBackwardInput(gy, w, g, gx);
  return env.Undefined();
}

// conv2dBackwardWeight(gradOut, x, meta, gradW)
Napi::Value Conv2dBackwardWeight(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t gl, xl, wl;
  const float* gy = f32(info, 0, "gradOut", gl);
  const float* x = f32(info, 1, "x", xl);
  Meta m(info, 2);
  ConvGeom g = parse_conv(m);
  float* gw = f32(info, 3, "gradW", wl);
  check_len(env, "gradOut", gl, g.n * g.outC * g.outH * g.outW);
  check_len(env, "x", xl, g.n * g.inC * g.inH * g.inW);
  check_len(env, "gradW", wl, g.outC * (g.inC / g.groups) * g.kH * g.kW);
  gK->conv2dBackwardWeight(gy, x, g, gw);
  return env.Undefined();
}

// ---- pooling -----------------------------------------------------------------------------------

PoolGeom parse_pool(Meta& m) {
  PoolGeom g;
  g.planes = m.next(); g.inH = m.next(); g.inW = m.next(); g.outH = m.next(); g.outW = m.next();
  g.kH = m.next(); g.kW = m.next(); g.sH = m.next(); g.sW = m.next();
  g.pH = m.next(); g.pW = m.next(); g.dH = m.next(); g.dW = m.next();
  if (g.planes < 0 || g.inH < 0 || g.inW < 0 || g.outH < 0 || g.outW < 0) throw_range(m.env, "pool2d: negative size");
  if (g.kH < 1 || g.kW < 1 || g.sH < 1 || g.sW < 1 || g.dH < 1 || g.dW < 1)
    throw_range(m.env, "pool2d: kernel, stride and dilation must be >= 1");
  if (g.pH < 0 || g.pW < 0) throw_range(m.env, "pool2d: negative padding");
  return g;
}

void check_pool_len(Napi::Env env, const char* what, size_t have, i64 need) {
  if (static_cast<i64>(have) < need) throw_range(env, std::string("pool2d: ") + what + " too small");
}

// maxPool2d(x, meta, out, indices)
Napi::Value MaxPool2d(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t xl, ol;
  const float* x = f32(info, 0, "x", xl);
  Meta m(info, 1);
  PoolGeom g = parse_pool(m);
  float* out = f32(info, 2, "out", ol);
  Arr idx = typed_as(info, 3, napi_int32_array, "indices");
  check_pool_len(env, "x", xl, g.planes * g.inH * g.inW);
  check_pool_len(env, "out", ol, g.planes * g.outH * g.outW);
  check_pool_len(env, "indices", idx.length, g.planes * g.outH * g.outW);
  gK->maxPool2d(x, g, out, static_cast<int32_t*>(idx.data));
  return env.Undefined();
}

// maxPool2dBackward(gradOut, indices, meta, gradIn)
Napi::Value MaxPool2dBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t gl, il;
  const float* gy = f32(info, 0, "gradOut", gl);
  Arr idx = typed_as(info, 1, napi_int32_array, "indices");
  Meta m(info, 2);
  PoolGeom g = parse_pool(m);
  float* gx = f32(info, 3, "gradIn", il);
  check_pool_len(env, "gradOut", gl, g.planes * g.outH * g.outW);
  check_pool_len(env, "indices", idx.length, g.planes * g.outH * g.outW);
  check_pool_len(env, "gradIn", il, g.planes * g.inH * g.inW);
  gK->maxPool2dBackward(gy, static_cast<const int32_t*>(idx.data), g, gx);
  return env.Undefined();
}

// avgPool2d(x, meta, countIncludePad, divisorOverride, out)
Napi::Value AvgPool2d(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t xl, ol;
  const float* x = f32(info, 0, "x", xl);
  Meta m(info, 1);
  PoolGeom g = parse_pool(m);
  const bool cip = info[2].ToBoolean();
  const double div = num(info, 3);
  float* out = f32(info, 4, "out", ol);
  check_pool_len(env, "x", xl, g.planes * g.inH * g.inW);
  check_pool_len(env, "out", ol, g.planes * g.outH * g.outW);
  gK->avgPool2d(x, g, cip, div, out);
  return env.Undefined();
}

// avgPool2dBackward(gradOut, meta, countIncludePad, divisorOverride, gradIn)
Napi::Value AvgPool2dBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t gl, il;
  const float* gy = f32(info, 0, "gradOut", gl);
  Meta m(info, 1);
  PoolGeom g = parse_pool(m);
  const bool cip = info[2].ToBoolean();
  const double div = num(info, 3);
  float* gx = f32(info, 4, "gradIn", il);
  check_pool_len(env, "gradOut", gl, g.planes * g.outH * g.outW);
  check_pool_len(env, "gradIn", il, g.planes * g.inH * g.inW);
  gK->avgPool2dBackward(gy, g, cip, div, gx);
  return env.Undefined();
}

// ---- fused kernels ----------------------------------------------------------------------------------

Arr opt_typed(const Napi::CallbackInfo& info, size_t i, napi_typedarray_type t, const char* what) {
  if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) return Arr{};
  return typed_as(info, i, t, what);
}

void need(Napi::Env env, const Arr& a, i64 n, const char* what) {
  if (static_cast<i64>(a.length) < n) throw_range(env, std::string(what) + " too small");
}

// sgdStep(param, grad, buf|null, meta [wd, mom, oneMinusDamp, negLr, hasWd, hasMom, nesterov, maximize, first])
Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arr p = typed_as(info, 0, napi_float32_array, "param");
  Arr g = typed_as(info, 1, napi_float32_array, "grad");
  Arr b = opt_typed(info, 2, napi_float32_array, "momentumBuffer");
  Meta m(info, 3);
  SgdK k;
  k.wd = static_cast<float>(m.next_double());
  k.mom = static_cast<float>(m.next_double());
  k.oneMinusDamp = static_cast<float>(m.next_double());
  k.negLr = static_cast<float>(m.next_double());
  k.hasWd = m.next() != 0;
  k.hasMom = m.next() != 0;
  k.nesterov = m.next() != 0;
  k.maximize = m.next() != 0;
  k.first = m.next() != 0;
  const i64 n = static_cast<i64>(p.length);
  need(env, g, n, "grad");
  if (k.hasMom) {
    if (!b.data && n > 0) throw_type(env, "sgdStep: momentum needs a momentum buffer");
    need(env, b, n, "momentumBuffer");
  }
  if (n > 0) gK->sgdStep(static_cast<float*>(p.data), static_cast<const float*>(g.data), static_cast<float*>(b.data), n, k);
  return env.Undefined();
}

// adamStep(param, grad, m, v, vmax|null, meta [bc2Sqrt, negStepSize, b1, b2, omb1, omb2, eps, wd, decay, hasWd, decoupled, amsgrad, maximize])
Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arr p = typed_as(info, 0, napi_float32_array, "param");
  Arr g = typed_as(info, 1, napi_float32_array, "grad");
  Arr mm = typed_as(info, 2, napi_float32_array, "expAvg");
  Arr vv = typed_as(info, 3, napi_float32_array, "expAvgSq");
  Arr vmax = opt_typed(info, 4, napi_float32_array, "maxExpAvgSq");
  Meta m(info, 5);
  AdamK k;
  k.bc2Sqrt = static_cast<float>(m.next_double());
  k.negStepSize = static_cast<float>(m.next_double());
  k.b1 = static_cast<float>(m.next_double());
  k.b2 = static_cast<float>(m.next_double());
  k.omb1 = static_cast<float>(m.next_double());
  k.omb2 = static_cast<float>(m.next_double());
  k.eps = static_cast<float>(m.next_double());
  k.wd = static_cast<float>(m.next_double());
  k.decay = static_cast<float>(m.next_double());
  k.hasWd = m.next() != 0;
  k.decoupled = m.next() != 0;
  k.amsgrad = m.next() != 0;
  k.maximize = m.next() != 0;
  const i64 n = static_cast<i64>(p.length);
  need(env, g, n, "grad");
  need(env, mm, n, "expAvg");
  need(env, vv, n, "expAvgSq");
  if (k.amsgrad) {
    if (!vmax.data && n > 0) throw_type(env, "adamStep: amsgrad needs maxExpAvgSq");
    need(env, vmax, n, "maxExpAvgSq");
  }
  if (n > 0)
    gK->adamStep(static_cast<float*>(p.data), static_cast<const float*>(g.data), static_cast<float*>(mm.data),
                 static_cast<float*>(vv.data), k.amsgrad ? static_cast<float*>(vmax.data) : nullptr, n, k);
  return env.Undefined();
}

// batchNormForward(x, meta [N, C, S, training, eps], weight|null, bias|null, mean, invstd, variance|null, out)
Napi::Value BatchNormForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arr x = typed_as(info, 0, napi_float32_array, "x");
  Meta m(info, 1);
  const i64 N = m.next(), C = m.next(), S = m.next();
  const bool training = m.next() != 0;
  const double eps = m.next_double();
  Arr w = opt_typed(info, 2, napi_float32_array, "weight");
  Arr b = opt_typed(info, 3, napi_float32_array, "bias");
  Arr mean = typed_as(info, 4, napi_float64_array, "mean");
  Arr invstd = typed_as(info, 5, napi_float64_array, "invstd");
  Arr var = opt_typed(info, 6, napi_float64_array, "variance");
  Arr out = typed_as(info, 7, napi_float32_array, "out");
  if (N < 0 || C < 0 || S < 0) throw_range(env, "batchNorm: negative size");
  need(env, x, N * C * S, "x");
  need(env, out, N * C * S, "out");
  need(env, mean, C, "mean");
  need(env, invstd, C, "invstd");
  if (w.data) need(env, w, C, "weight");
  if (b.data) need(env, b, C, "bias");
  if (var.data) need(env, var, C, "variance");
  if (C == 0) return env.Undefined();
  gK->bnForward(static_cast<const float*>(x.data), N, C, S, static_cast<const float*>(w.data), static_cast<const float*>(b.data),
                eps, training, static_cast<double*>(mean.data), static_cast<double*>(invstd.data),
                static_cast<double*>(var.data), static_cast<float*>(out.data));
  return env.Undefined();
}

// batchNormBackward(gradOut, x, meta [N, C, S, training], weight|null, mean, invstd, sumG, sumGX, gradIn|null)
Napi::Value BatchNormBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arr g = typed_as(info, 0, napi_float32_array, "gradOut");
  Arr x = typed_as(info, 1, napi_float32_array, "x");
  Meta m(info, 2);
  const i64 N = m.next(), C = m.next(), S = m.next();
  const bool training = m.next() != 0;
  Arr w = opt_typed(info, 3, napi_float32_array, "weight");
  Arr mean = typed_as(info, 4, napi_float64_array, "mean");
  Arr invstd = typed_as(info, 5, napi_float64_array, "invstd");
  Arr sumG = typed_as(info, 6, napi_float64_array, "sumG");
  Arr sumGX = typed_as(info, 7, napi_float64_array, "sumGX");
  Arr gx = opt_typed(info, 8, napi_float32_array, "gradIn");
  if (N < 0 || C < 0 || S < 0) throw_range(env, "batchNorm: negative size");
  need(env, g, N * C * S, "gradOut");
  need(env, x, N * C * S, "x");
  need(env, mean, C, "mean");
  need(env, invstd, C, "invstd");
  need(env, sumG, C, "sumG");
  need(env, sumGX, C, "sumGX");
  if (w.data) need(env, w, C, "weight");
  if (gx.data) need(env, gx, N * C * S, "gradIn");
  if (C == 0) return env.Undefined();
  gK->bnBackward(static_cast<const float*>(g.data), static_cast<const float*>(x.data), N, C, S, static_cast<const float*>(w.data),
                 static_cast<const double*>(mean.data), static_cast<const double*>(invstd.data), training,
                 static_cast<double*>(sumG.data), static_cast<double*>(sumGX.data), static_cast<float*>(gx.data));
  return env.Undefined();
}

void check_targets(Napi::Env env, const Arr& t, i64 positions, i64 C, i64 ignoreIndex) {
  need(env, t, positions, "target");
  const int32_t* tp = static_cast<const int32_t*>(t.data);
  for (i64 i = 0; i < positions; i++)
    if (tp[i] != ignoreIndex && (tp[i] < 0 || tp[i] >= C)) throw_range(env, "crossEntropy: target out of range");
}

// crossEntropyForward(logits, meta [N, C, inner, ignoreIndex, smoothing], target, weight|null, logp, loss)
Napi::Value CrossEntropyForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arr x = typed_as(info, 0, napi_float32_array, "logits");
  Meta m(info, 1);
  const i64 N = m.next(), C = m.next(), inner = m.next(), ignoreIndex = m.next();
  const double eps = m.next_double();
  Arr t = typed_as(info, 2, napi_int32_array, "target");
  Arr w = opt_typed(info, 3, napi_float64_array, "weight");
  Arr logp = typed_as(info, 4, napi_float32_array, "logp");
  Arr loss = typed_as(info, 5, napi_float64_array, "loss");
  if (N < 0 || C <= 0 || inner < 0) throw_range(env, "crossEntropy: bad sizes");
  need(env, x, N * C * inner, "logits");
  need(env, logp, N * C * inner, "logp");
  need(env, loss, N * inner, "loss");
  if (w.data) need(env, w, C, "weight");
  check_targets(env, t, N * inner, C, ignoreIndex);
  if (N * inner == 0) return env.Undefined();
  gK->ceForward(static_cast<const float*>(x.data), N, C, inner, static_cast<const int32_t*>(t.data),
                static_cast<const double*>(w.data), ignoreIndex, eps, static_cast<float*>(logp.data), static_cast<double*>(loss.data));
  return env.Undefined();
}

// crossEntropyBackward(logp, meta [N, C, inner, ignoreIndex, smoothing], target, weight|null, coef, grad)
Napi::Value CrossEntropyBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Arr lp = typed_as(info, 0, napi_float32_array, "logp");
  Meta m(info, 1);
  const i64 N = m.next(), C = m.next(), inner = m.next(), ignoreIndex = m.next();
  const double eps = m.next_double();
  Arr t = typed_as(info, 2, napi_int32_array, "target");
  Arr w = opt_typed(info, 3, napi_float64_array, "weight");
  Arr coef = typed_as(info, 4, napi_float64_array, "coef");
  Arr grad = typed_as(info, 5, napi_float32_array, "gradLogits");
  if (N < 0 || C <= 0 || inner < 0) throw_range(env, "crossEntropy: bad sizes");
  need(env, lp, N * C * inner, "logp");
  need(env, grad, N * C * inner, "gradLogits");
  need(env, coef, N * inner, "coef");
  if (w.data) need(env, w, C, "weight");
  check_targets(env, t, N * inner, C, ignoreIndex);
  if (N * inner == 0) return env.Undefined();
  gK->ceBackward(static_cast<const float*>(lp.data), N, C, inner, static_cast<const int32_t*>(t.data),
                 static_cast<const double*>(w.data), ignoreIndex, eps, static_cast<const double*>(coef.data),
                 static_cast<float*>(grad.data));
  return env.Undefined();
}

// ---- configuration ---------------------------------------------------------------------------------

int level_from_name(const std::string& s) {
  for (int l = 0; l < CPU_LEVEL_COUNT; l++)
    if (s == cpu_level_name(l)) return l;
  return -1;
}

void use_level(int level) {
  gLevel = level;
  gK = &kernel_table(level);
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("level", cpu_level_name(gLevel));
  o.Set("bestLevel", cpu_level_name(cpu_best_level()));
  Napi::Array levels = Napi::Array::New(env);
  uint32_t k = 0;
  for (int l = 0; l < CPU_LEVEL_COUNT; l++)
    if (cpu_level_supported(l)) levels.Set(k++, cpu_level_name(l));
  o.Set("supportedLevels", levels);
  o.Set("threads", max_threads());
  o.Set("vectorWidth", gK->vectorWidth);
  o.Set("gemmMR", gK->gemmMR);
  o.Set("gemmNR", gK->gemmNR);
  return o;
}

// setCpuLevel(name): switches kernel tables; throws if the CPU lacks the level.
Napi::Value SetCpuLevel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  int l = level_from_name(name);
  if (l < 0) throw_range(env, "unknown CPU level '" + name + "' (scalar, avx2, avx512, avx512sim)");
  if (!cpu_level_supported(l)) throw_range(env, "CPU level '" + name + "' is not supported by this CPU");
  use_level(l);
  return Napi::String::New(env, cpu_level_name(gLevel));
}

// fmaPeak(seconds, threads): GFLOP/s of a pure FMA loop on `threads` pool threads (the level's vectors).
Napi::Value FmaPeak(const Napi::CallbackInfo& info) {
  const double seconds = num(info, 0);
  int threads = info.Length() > 1 ? static_cast<int>(num(info, 1)) : 1;
  if (threads < 1) threads = 1;
  auto probe = gK->fmaProbe;
  // Calibrate the iteration count on this thread, then run everywhere.
  i64 iters = 1 << 16;
  double rate = 0;
  for (;;) {
    auto t0 = std::chrono::steady_clock::now();
    double f = probe(iters);
    double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (dt > 0.02) {
      rate = f / dt;
      break;
    }
    iters *= 4;
  }
  const i64 n = std::max<i64>(1, static_cast<i64>(seconds * rate / (probe(1))));
  // FLOP over the wall time of the whole region: if a pool thread was held back
  // and another ran its share, the figure shows it.
  std::vector<double> perTask(threads, 0.0);
  auto t0 = std::chrono::steady_clock::now();
  parallel(threads, [&](int tid, int) { perTask[tid] = probe(n); });
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double flop = 0;
  for (double f : perTask) flop += f;
  const double total = flop / wall / 1e9;
  return Napi::Number::New(info.Env(), total);
}

// clockProbe(seconds): the core clock in GHz, from a chain of dependent integer adds (one per cycle on every
// x86-64 core), so the bench can tell FLOP per cycle (32 on Zen 4, 64 on Zen 5) instead of assuming it; 0 elsewhere.
Napi::Value ClockProbe(const Napi::CallbackInfo& info) {
#if defined(__x86_64__)
  const double seconds = num(info, 0);
  double best = 0;
  for (i64 iters = 1 << 14;;) {
    std::uint64_t x = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (i64 i = 0; i < iters; i++) {
      // 16 adds, each waiting for the last: 16 cycles whatever the loop's own instructions cost beside them.
      asm volatile(
          "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
          "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
          "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
          "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0"
          : "+r"(x));
    }
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (dt < seconds / 5) {
      iters *= 4;
      continue;
    }
    best = std::max(best, static_cast<double>(x) / dt / 1e9);
    if (dt >= seconds) break;
    iters = static_cast<i64>(iters * 1.5);
  }
  return Napi::Number::New(info.Env(), best);
#else
  return Napi::Number::New(info.Env(), 0.0);
#endif
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  int n = static_cast<int>(num(info, 0));
  set_max_threads(n);
  return Napi::Number::New(info.Env(), max_threads());
}

Napi::Value HoldPoolWorkers(const Napi::CallbackInfo& info) {
  hold_pool_workers(info.Length() > 0 && info[0].ToBoolean().Value());
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  int level = cpu_best_level();
  const char* forced = std::getenv("STRATA_CPU");
  std::string warning;
  if (forced && *forced) {
    int l = level_from_name(forced);
    if (l < 0) warning = std::string("STRATA_CPU='") + forced + "' is not a CPU level (scalar, avx2, avx512, avx512sim)";
    else if (!cpu_level_supported(l)) warning = std::string("STRATA_CPU='") + forced + "' is not supported by this CPU";
    else level = l;
  }
  use_level(level);
  exports.Set("levelWarning", Napi::String::New(env, warning));
  exports.Set("info", Napi::Function::New(env, Info, "info"));
  exports.Set("setCpuLevel", Napi::Function::New(env, SetCpuLevel, "setCpuLevel"));
  exports.Set("fmaPeak", Napi::Function::New(env, FmaPeak, "fmaPeak"));
  exports.Set("clockProbe", Napi::Function::New(env, ClockProbe, "clockProbe"));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("holdPoolWorkers", Napi::Function::New(env, HoldPoolWorkers, "holdPoolWorkers"));
  EnableRequestedCollections();
  exports.Set("pooledArray", Napi::Function::New(env, PooledArray, "pooledArray"));
  exports.Set("pooledStats", Napi::Function::New(env, PooledStats, "pooledStats"));
  exports.Set("graphReleased", Napi::Function::New(env, GraphReleased, "graphReleased"));
  exports.Set("copy", Napi::Function::New(env, Copy, "copy"));
  exports.Set("unary", Napi::Function::New(env, Unary, "unary"));
  exports.Set("scalar", Napi::Function::New(env, Scalar, "scalar"));
  exports.Set("binary", Napi::Function::New(env, Binary, "binary"));
  exports.Set("where", Napi::Function::New(env, Where, "where"));
  exports.Set("reduce", Napi::Function::New(env, Reduce, "reduce"));
  exports.Set("argReduce", Napi::Function::New(env, ArgReduce, "argReduce"));
  exports.Set("softmax", Napi::Function::New(env, Softmax, "softmax"));
  exports.Set("matmul", Napi::Function::New(env, Matmul, "matmul"));
  exports.Set("conv2d", Napi::Function::New(env, Conv2d, "conv2d"));
  exports.Set("conv2dBackwardInput", Napi::Function::New(env, Conv2dBackwardInput, "conv2dBackwardInput"));
  exports.Set("conv2dBackwardWeight", Napi::Function::New(env, Conv2dBackwardWeight, "conv2dBackwardWeight"));
  exports.Set("sgdStep", Napi::Function::New(env, SgdStep, "sgdStep"));
  exports.Set("adamStep", Napi::Function::New(env, AdamStep, "adamStep"));
  exports.Set("batchNormForward", Napi::Function::New(env, BatchNormForward, "batchNormForward"));
  exports.Set("batchNormBackward", Napi::Function::New(env, BatchNormBackward, "batchNormBackward"));
  exports.Set("crossEntropyForward", Napi::Function::New(env, CrossEntropyForward, "crossEntropyForward"));
  exports.Set("crossEntropyBackward", Napi::Function::New(env, CrossEntropyBackward, "crossEntropyBackward"));
  exports.Set("maxPool2d", Napi::Function::New(env, MaxPool2d, "maxPool2d"));
  exports.Set("maxPool2dBackward", Napi::Function::New(env, MaxPool2dBackward, "maxPool2dBackward"));
  exports.Set("avgPool2d", Napi::Function::New(env, AvgPool2d, "avgPool2d"));
  exports.Set("avgPool2dBackward", Napi::Function::New(env, AvgPool2dBackward, "avgPool2dBackward"));
  return exports;
}

}  // namespace
}  // namespace strata

static Napi::Object InitStrata(Napi::Env env, Napi::Object exports) { return strata::Init(env, exports); }

NODE_API_MODULE(strata_native, InitStrata)
