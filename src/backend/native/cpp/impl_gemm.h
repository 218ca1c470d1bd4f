// SGEMM and convolution kernels, written once over GCC/Clang generic vectors
// and compiled once per ISA level (isa_<level>_gemm.cpp defines the macros):
//   STRATA_ISA  namespace            STRATA_W   floats per vector
//   STRATA_MR   micro-kernel rows    STRATA_NV  vectors per micro-kernel row (NR = NV·W)
//   STRATA_MR2  alternative row count for small M (0: none)
//   STRATA_KC / STRATA_MC / STRATA_NC   cache blocking
//
// Structure (BLIS): for each NC block of columns, for each KC block of the
// depth, pack B (KC×NC) into NR-wide micro-panels; for each MC block of rows
// pack A (MC×KC) into MR-tall micro-panels; then the MR×NR register-blocked
// micro-kernel runs over every (micro-panel of A, micro-panel of B). Packing
// goes through "packer" objects, so a convolution packs its im2col matrix
// straight into the B-panel layout (implicit GEMM) and never materializes it.
// Threads split C into a grid of row/column ranges chosen by a cost model.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <climits>
#include <cstring>
#include <numeric>
#include <utility>

#include "strata.h"

namespace strata {
namespace STRATA_ISA {
namespace {

#include "isa_local.h"

constexpr int W = STRATA_W;
constexpr int MR = STRATA_MR;
constexpr int MR2 = STRATA_MR2;
constexpr int NV = STRATA_NV;
constexpr int NR = NV * W;
constexpr i64 KC = STRATA_KC;
#ifndef STRATA_KC_PLAIN
#define STRATA_KC_PLAIN STRATA_KC
#endif
// Depth blocks of plain matrix products (PlainB). Deeper blocks mean fewer passes over C; measured on Zen 5
// (npm run bench -- gemm, AVX-512): 512 beats 192 by 3-4 % at 512³ and 1024³, 1 and 2 threads, as BLIS's
// 480 for Zen 4; the convolution packers keep KC (their weight-gradient products lose 10-20 % at 512).
constexpr i64 KC_PLAIN = STRATA_KC_PLAIN;
constexpr i64 MC = STRATA_MC;
constexpr i64 NC = STRATA_NC;
#ifndef STRATA_B_CHUNK
#define STRATA_B_CHUNK 32768
#endif
constexpr i64 B_CHUNK_FLOATS = STRATA_B_CHUNK;

typedef float vf __attribute__((vector_size(W * 4)));
typedef int32_t vi __attribute__((vector_size(W * 4)));

inline vf loadu(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void storeu(float* p, vf v) { std::memcpy(p, &v, sizeof v); }
// x − 0 is x for every x (also −0 and NaN), so this compiles to one broadcast.
inline vf bcast(float x) { return x - vf{}; }
/** Even lanes of the 2W floats a ++ b (a stride-2 gather of 2W contiguous floats). */
inline vf even_lanes(vf a, vf b) { return even_lanes_of<vf, vi, W>(a, b); }
inline vf odd_lanes(vf a, vf b) { return even_lanes_of<vf, vi, W, 1>(a, b); }

/** Interleave the lanes of a and b: (a0, b0, a1, b1, …) as two vectors. */
inline void zip_lanes(vf a, vf b, vf& lo, vf& hi) {
#if defined(__clang__)
  for (int j = 0; j < W; j++) {
    const int k = j / 2;
    lo[j] = j % 2 ? b[k] : a[k];
    hi[j] = j % 2 ? b[W / 2 + k] : a[W / 2 + k];
  }
#else
  vi ml, mh;
#pragma GCC unroll 16
  for (int j = 0; j < W; j++) {
    ml[j] = (j % 2 ? W : 0) + j / 2;
    mh[j] = (j % 2 ? W : 0) + W / 2 + j / 2;
  }
  lo = __builtin_shuffle(a, b, ml);
  hi = __builtin_shuffle(a, b, mh);
#endif
}

/** The two shuffles of transpose_block's stage h: (a[j] or b[j − h]) and (a[j + h] or b[j]) by lane j's bit h. */
template <int h, int... J>
inline vi transpose_mask_lo(std::integer_sequence<int, J...>) { return vi{((J & h) ? W + J - h : J)...}; }
template <int h, int... J>
inline vi transpose_mask_hi(std::integer_sequence<int, J...>) { return vi{((J & h) ? W + J : J + h)...}; }

/** Swap the off-diagonal h×h blocks of every 2h×2h block of the W×W block r, then the halves of those. */
template <int h>
inline void transpose_stage(vf (&r)[W]) {
  if constexpr (h >= 1) {
    const vi lo = transpose_mask_lo<h>(std::make_integer_sequence<int, W>{});
    const vi hi = transpose_mask_hi<h>(std::make_integer_sequence<int, W>{});
#pragma GCC unroll 16
    for (int i = 0; i < W; i++) {
      if (i & h) continue;
      const vf a = r[i], b = r[i + h];
#if defined(__clang__)
      for (int j = 0; j < W; j++) {
        r[i][j] = lo[j] < W ? a[lo[j]] : b[lo[j] - W];
        r[i + h][j] = hi[j] < W ? a[hi[j]] : b[hi[j] - W];
      }
#else
      r[i] = __builtin_shuffle(a, b, lo);
      r[i + h] = __builtin_shuffle(a, b, hi);
#endif
    }
    transpose_stage<h / 2>(r);
  }
}

/** Transpose the W×W block whose rows are r[0 … W−1] (W·log₂W two-vector shuffles). */
inline void transpose_block(vf (&r)[W]) { transpose_stage<W / 2>(r); }

inline vf relu(vf v) { return ((v > vf{}) | (v != v)) ? v : vf{}; }
inline float relu(float v) { return v > 0 || v != v ? v : 0.0f; }

inline i64 ceil_div(i64 a, i64 b) { return (a + b - 1) / b; }
inline i64 round_up(i64 a, i64 b) { return ceil_div(a, b) * b; }

// ---- aligned per-thread scratch -----------------------------------------------

struct Scratch {
  float* p = nullptr;
  size_t n = 0;
  float* get(size_t count) {
    if (count > n) {
      std::free(p);
      n = round_up(static_cast<i64>(count), 1024);
      p = static_cast<float*>(std::aligned_alloc(64, n * sizeof(float)));
      if (!p) std::abort();
    }
    return p;
  }
  ~Scratch() { std::free(p); }
};
thread_local Scratch tlsA, tlsB, tlsWt, tlsDcol;

// ---- epilogue -----------------------------------------------------------------

struct Epi {
  float alpha = 1, beta = 0;
  const float* rowBias = nullptr;  // indexed by C row
  const float* colBias = nullptr;  // indexed by C column
  int act = 0;                     // 1: relu
  const ConvPost* post = nullptr;  // a fused convolution's per-row scale/shift/activation, after the rest
  /** No epilogue beyond storing (or, after the first depth block, adding) the products. */
  bool plain(bool last) const {
    return alpha == 1.0f && !rowBias && !colBias && beta == 0.0f && !(last && (act || post));
  }
};

inline float epi_scalar(float acc, float* p, i64 i, i64 j, const Epi& e, bool first, bool last) {
  float r = e.alpha == 1.0f ? acc : e.alpha * acc;
  if (first) {
    if (e.beta != 0.0f) r += e.beta * *p;
    if (e.rowBias) r += e.rowBias[i];
    if (e.colBias) r += e.colBias[j];
  } else {
    r += *p;
  }
  if (last && e.act == 1) r = relu(r);
  return r;
}

// ---- C accessors ----------------------------------------------------------------

/** A plain row-major C. */
struct PlainC {
  float* c;
  i64 ldc;
  float* tile(i64 i, i64 j, int, i64& ld) const {
    ld = ldc;
    return c + i * ldc + j;
  }
  float* at(i64 i, i64 j) const { return c + i * ldc + j; }
  /** Pointer to C(i, j) and how many of the next `n` columns follow it contiguously. */
  float* run(i64 i, i64 j, i64 n, i64& len) const {
    len = n;
    return c + i * ldc + j;
  }
};

/** Convolution output: column j = (image, pixel); rows are channels of one group. */
struct ConvC {
  float* c;       // first channel of the group in image 0
  i64 P;          // pixels per image
  i64 imgStride;  // outC·P
  float* tile(i64 i, i64 j, int nr, i64& ld) const {
    i64 img = j / P, p = j - img * P;
    if (p + nr > P) return nullptr;
    ld = P;
    return c + img * imgStride + i * P + p;
  }
  float* at(i64 i, i64 j) const {
    i64 img = j / P;
    return c + img * imgStride + i * P + (j - img * P);
  }
  float* run(i64 i, i64 j, i64 n, i64& len) const {
    const i64 img = j / P, p = j - img * P;
    len = std::min(n, P - p);
    return c + img * imgStride + i * P + p;
  }
};

// ---- micro-kernel ---------------------------------------------------------------

/**
 * Cache lines to prefetch into L2, one at a time: `rows` rows of `floats` floats, `stride` floats apart.
 * The micro-kernel issues one every other depth step, so the lines arrive spread over the products
 * instead of in a burst that would fill the miss queues.
 */
struct LineStream {
  const char* line = nullptr;  // next line to ask for
  const char* rowEnd = nullptr;
  i64 rowBytes = 0, strideBytes = 0, rowsLeft = 0;

  static LineStream rows(const float* first, i64 stride, i64 rows, i64 floats) {
    LineStream s;
    const i64 bytes = floats * static_cast<i64>(sizeof(float));
    // From the line holding the first byte, so that a row's last partial line is covered too.
    s.line = reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(first) & ~uintptr_t(63));
    s.rowEnd = reinterpret_cast<const char*>(first) + bytes;
    s.rowBytes = s.rowEnd - s.line;
    s.strideBytes = stride * static_cast<i64>(sizeof(float));
    s.rowsLeft = rows;
    return s;
  }
  bool done() const { return rowsLeft <= 0; }
  void next() {
    __builtin_prefetch(line, 0, 2);
    line += 64;
    if (line >= rowEnd) {
      rowEnd += strideBytes;
      line = rowEnd - rowBytes;
      rowsLeft--;
    }
  }
};

template <int MRk, bool Prefetching>
__attribute__((always_inline)) inline void compute(i64 kc, const float* __restrict A, const float* __restrict B,
                                                   vf (&acc)[MRk][NV], LineStream* prefetch) {
#pragma GCC unroll 16
  for (int i = 0; i < MRk; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[i][v] = vf{};
  auto step = [&]() __attribute__((always_inline)) {
    vf b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) b[v] = loadu(B + v * W);
#pragma GCC unroll 16
    for (int i = 0; i < MRk; i++) {
      vf a = bcast(A[i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[i][v] += a * b[v];
    }
    A += MRk;
    B += NR;
  };
  i64 k = 0;
  if constexpr (Prefetching) {
    LineStream s = *prefetch;
    for (; k + 2 <= kc && !s.done(); k += 2) {
      step();
      step();
      s.next();
    }
    *prefetch = s;
  }
#pragma GCC unroll 4
  for (; k < kc; k++) step();
}

/** C rows [0, rows) of a full-width tile at c (leading dimension ldc) ← epilogue(acc). */
template <int MRk>
inline void store_rows(vf (&acc)[MRk][NV], float* c, i64 ldc, int rows, i64 i0, i64 j0, const Epi& e, bool first,
                       bool last) {
  const bool plain = e.plain(last);
  for (int i = 0; i < rows; i++)
    for (int v = 0; v < NV; v++) {
      float* p = c + i * ldc + v * W;
      if (plain) {
        storeu(p, first ? acc[i][v] : loadu(p) + acc[i][v]);
        continue;
      }
      vf r = e.alpha == 1.0f ? acc[i][v] : e.alpha * acc[i][v];
      if (first) {
        if (e.beta != 0.0f) r += e.beta * loadu(p);
        if (e.rowBias) r += e.rowBias[i0 + i];
        if (e.colBias) r += loadu(e.colBias + j0 + v * W);
      } else {
        r += loadu(p);
      }
      if (last && e.act == 1) r = relu(r);
      storeu(p, r);
    }
  if (last && e.post) e.post->run(c, ldc, rows, NR, i0);
}

template <int MRk, class CP, bool Prefetching = false>
__attribute__((noinline)) void micro_tile(i64 kc, const float* A, const float* B, const CP& cp, i64 i0, i64 j0,
                                          int mr, int nr, const Epi& e, bool first, bool last,
                                          LineStream* prefetch = nullptr) {
  vf acc[MRk][NV];
  i64 ldc = 0;
  // Full-width tiles store with vectors (all MRk rows, or the mr rows of the last row block).
  float* c = nr == NR ? cp.tile(i0, j0, nr, ldc) : nullptr;
  if (c) {
#pragma GCC unroll 16
    for (int i = 0; i < MRk; i++) __builtin_prefetch(c + i * (i < mr ? ldc : 0), 1);
  }
  compute<MRk, Prefetching>(kc, A, B, acc, prefetch);
  if (c) {
    const bool plain = e.plain(last);
    if (plain && mr == MRk) {
#pragma GCC unroll 16
      for (int i = 0; i < MRk; i++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) {
          float* p = c + i * ldc + v * W;
          storeu(p, first ? acc[i][v] : loadu(p) + acc[i][v]);
        }
      return;
    }
    store_rows<MRk>(acc, c, ldc, mr, i0, j0, e, first, last);
    return;
  }
  // Edge tiles (fewer than NR columns, or columns that cross an image in a convolution's output):
  // through a buffer, by runs of contiguous columns.
  alignas(64) float t[MRk * NR];
  for (int i = 0; i < MRk; i++)
    for (int v = 0; v < NV; v++) storeu(t + i * NR + v * W, acc[i][v]);
  const bool plain = e.plain(last);
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr;) {
      i64 len;
      float* p = cp.run(i0 + i, j0 + j, nr - j, len);
      const float* src = t + i * NR + j;
      if (plain && first)
        std::memcpy(p, src, sizeof(float) * len);
      else if (plain)
        for (i64 q = 0; q < len; q++) p[q] += src[q];
      else
        for (i64 q = 0; q < len; q++) p[q] = epi_scalar(src[q], p + q, i0 + i, j0 + j + q, e, first, last);
      if (last && e.post) e.post->run(p, 0, 1, len, i0 + i);
      j += static_cast<int>(len);
    }
}

// ---- packers for plain matrices ---------------------------------------------------

/** A(i, p) of a row-major matrix (or of its transpose). Packs one MRk-row micro-panel. */
struct PlainA {
  const float* a;
  i64 lda;
  bool trans;
  template <int MRk>
  void pack(i64 i0, int mr, i64 p0, i64 kc, float* __restrict dst) const {
    if (trans) {
      // A(i, p) = a[p·lda + i]: each depth step is a contiguous run of mr values.
      const float* src = a + p0 * lda + i0;
      for (i64 p = 0; p < kc; p++, src += lda, dst += MRk) {
        if (mr == MRk) {
#pragma GCC unroll 16
          for (int i = 0; i < MRk; i++) dst[i] = src[i];
        } else {
          for (int i = 0; i < mr; i++) dst[i] = src[i];
          for (int i = mr; i < MRk; i++) dst[i] = 0;
        }
      }
      return;
    }
    const float* rows[MRk];
    for (int i = 0; i < MRk; i++) rows[i] = a + (i0 + (i < mr ? i : 0)) * lda + p0;
    if (mr == MRk) {
      for (i64 p = 0; p < kc; p++, dst += MRk) {
#pragma GCC unroll 16
        for (int i = 0; i < MRk; i++) dst[i] = rows[i][p];
      }
    } else {
      for (i64 p = 0; p < kc; p++, dst += MRk) {
        for (int i = 0; i < mr; i++) dst[i] = rows[i][p];
        for (int i = mr; i < MRk; i++) dst[i] = 0;
      }
    }
  }
};

/** Packs a KC×NC block of B panel by panel (packers without a faster block routine). */
template <class PB>
inline void pack_panels(const PB& pb, i64 p0, i64 kc, i64 j0, i64 nc, float* dst) {
  for (i64 jr = 0; jr < nc; jr += NR)
    pb.pack(p0, kc, j0 + jr, static_cast<int>(std::min<i64>(NR, nc - jr)), dst + (jr / NR) * kc * NR);
}

/** B(p, j) of a row-major matrix (or of its transpose). Packs one NR-column micro-panel. */
struct PlainB {
  const float* b;
  i64 ldb;
  bool trans;
  static constexpr i64 depth_target() { return KC_PLAIN; }
  void pack(i64 p0, i64 kc, i64 j0, int nr, float* __restrict dst) const {
    if (!trans) {
      const float* src = b + p0 * ldb + j0;
      if (nr == NR) {
        for (i64 p = 0; p < kc; p++, src += ldb, dst += NR) {
#pragma GCC unroll 4
          for (int v = 0; v < NV; v++) storeu(dst + v * W, loadu(src + v * W));
        }
      } else {
        for (i64 p = 0; p < kc; p++, src += ldb, dst += NR) {
          for (int j = 0; j < nr; j++) dst[j] = src[j];
          for (int j = nr; j < NR; j++) dst[j] = 0;
        }
      }
      return;
    }
    pack_trans(p0, kc, j0, nr, dst);
  }

  /** The whole block: rows of B are read 8 at a time, sequentially, across all panels. */
  void pack_block(i64 p0, i64 kc, i64 j0, i64 nc, float* __restrict dst) const {
    if (trans) {
      pack_panels(*this, p0, kc, j0, nc, dst);
      return;
    }
    constexpr i64 RB = 8;
    const i64 full = nc / NR * NR;
    for (i64 p = 0; p < kc; p += RB) {
      const i64 rows = std::min(RB, kc - p);
      const float* src = b + (p0 + p) * ldb + j0;
      for (i64 jr = 0; jr < full; jr += NR) {
        float* d = dst + (jr / NR) * kc * NR + p * NR;
        for (i64 q = 0; q < rows; q++) {
#pragma GCC unroll 4
          for (int v = 0; v < NV; v++) storeu(d + q * NR + v * W, loadu(src + q * ldb + jr + v * W));
        }
      }
      if (full < nc) {
        const i64 nr = nc - full;
        float* d = dst + (full / NR) * kc * NR + p * NR;
        for (i64 q = 0; q < rows; q++) {
          for (i64 j = 0; j < nr; j++) d[q * NR + j] = src[q * ldb + full + j];
          for (i64 j = nr; j < NR; j++) d[q * NR + j] = 0;
        }
      }
    }
  }

  /** The source rows pack_block(p0, kc, j0, nc) reads, as a stream of cache lines to prefetch. */
  LineStream source_lines(i64 p0, i64 kc, i64 j0, i64 nc) const {
    if (trans || kc <= 0 || nc <= 0) return {};
    return LineStream::rows(b + p0 * ldb + j0, ldb, kc, nc);
  }

  void pack_trans(i64 p0, i64 kc, i64 j0, int nr, float* __restrict dst) const {
    // B(p, j) = b[j·ldb + p]: transpose blocks of 8 depth steps so that both
    // the reads (along a row of b) and the writes stay in short contiguous runs.
    const float* cols[NR];
    for (int j = 0; j < NR; j++) cols[j] = b + (j0 + (j < nr ? j : 0)) * ldb + p0;
    i64 p = 0;
    for (; p + 8 <= kc; p += 8) {
      for (int j = 0; j < nr; j++) {
        const float* s = cols[j] + p;
#pragma GCC unroll 8
        for (int q = 0; q < 8; q++) dst[(p + q) * NR + j] = s[q];
      }
      for (int j = nr; j < NR; j++)
        for (int q = 0; q < 8; q++) dst[(p + q) * NR + j] = 0;
    }
    for (; p < kc; p++) {
      for (int j = 0; j < nr; j++) dst[p * NR + j] = cols[j][p];
      for (int j = nr; j < NR; j++) dst[p * NR + j] = 0;
    }
  }
};

// ---- the blocked driver -------------------------------------------------------------

/** Depth block size: KC-sized blocks, balanced so that no tiny last block remains. */
inline i64 depth_block(i64 K, i64 target = KC) {
  i64 nb = ceil_div(K, target);
  return round_up(ceil_div(K, nb), 4);
}

/** pb.source_lines(...) for packers that have it; an empty stream for the others. */
template <class P>
inline auto source_lines_of(const P& p, int, i64 p0, i64 kc, i64 j0, i64 nc)
    -> decltype(p.source_lines(p0, kc, j0, nc)) {
  return p.source_lines(p0, kc, j0, nc);
}
template <class P>
inline LineStream source_lines_of(const P&, long, i64, i64, i64, i64) { return {}; }

/** The depth-block target of packer p: its depth_target() if it has one, else KC. */
template <class P>
inline auto depth_target_of(const P& p, int) -> decltype(p.depth_target()) { return p.depth_target(); }
template <class P>
inline i64 depth_target_of(const P&, long) { return KC; }

template <int MRk, class PA, class PB, class CP>
void gemm_region(i64 m0, i64 m1, i64 n0, i64 n1, i64 K, const PA& pa, const PB& pb, const CP& cp, const Epi& e) {
  if (m0 >= m1 || n0 >= n1) return;
  const i64 kb = depth_block(K, depth_target_of(pb, 0));
  // Row blocks: MC-sized (multiple of MRk), balanced.
  const i64 mcount = ceil_div(m1 - m0, round_up(MC, MRk));
  const i64 mc = round_up(ceil_div(m1 - m0, mcount), MRk);
  const i64 ncount = ceil_div(n1 - n0, NC);
  const i64 ncb = round_up(ceil_div(n1 - n0, ncount), NR);
  float* bufA = tlsA.get(static_cast<size_t>(mc * kb) + 64);
  const i64 mcc = m1 - m0;
  if (mcount == 1 && round_up(mcc, MRk) * K * static_cast<i64>(sizeof(float)) <= (i64(256) << 10)) {
    // Few rows: pack all of A once (it stays in L2).
    const i64 mpad = round_up(mcc, MRk);
    bufA = tlsA.get(static_cast<size_t>(mpad * K) + 64);
    for (i64 pc = 0; pc < K; pc += kb) {
      const i64 kc = std::min(kb, K - pc);
      for (i64 ir = 0; ir < mcc; ir += MRk)
        pa.template pack<MRk>(m0 + ir, static_cast<int>(std::min<i64>(MRk, mcc - ir)), pc, kc,
                              bufA + pc * mpad + (ir / MRk) * kc * MRk);
    }
    // Column chunks small enough that the packed B chunk and the C chunk stay
    // in L2 across the depth blocks; B is read row by row (no cache-set
    // aliasing for power-of-two leading dimensions).
    const i64 chunk = std::max<i64>(NR, round_up(B_CHUNK_FLOATS / kb, NR));
    float* bufB = tlsB.get(static_cast<size_t>(chunk * kb) + 64);
    for (i64 jc = n0; jc < n1; jc += chunk) {
      const i64 nc = std::min(chunk, n1 - jc);
      for (i64 pc = 0; pc < K; pc += kb) {
        const i64 kc = std::min(kb, K - pc);
        const bool first = pc == 0, last = pc + kc >= K;
        pb.pack_block(pc, kc, jc, nc, bufB);
        // The source of the block packed next is prefetched a line at a time inside the products, so that a
        // B streamed from L3 or memory is in L2 when its turn comes (B is used only M times per element).
        const bool lastDepth = pc + kb >= K;
        const i64 nextP = lastDepth ? 0 : pc + kb, nextJ = lastDepth ? jc + chunk : jc;
        LineStream next = source_lines_of(pb, 0, nextP, std::min(kb, K - nextP), nextJ, std::min(chunk, n1 - nextJ));
        const float* ap = bufA + pc * mpad;
        for (i64 jr = 0; jr < nc; jr += NR) {
          const int nr = static_cast<int>(std::min<i64>(NR, nc - jr));
          const float* bp = bufB + (jr / NR) * kc * NR;
          for (i64 ir = 0; ir < mcc; ir += MRk) {
            const float* a = ap + (ir / MRk) * kc * MRk;
            const int mr = static_cast<int>(std::min<i64>(MRk, mcc - ir));
            if (next.done()) micro_tile<MRk>(kc, a, bp, cp, m0 + ir, jc + jr, mr, nr, e, first, last);
            else micro_tile<MRk, CP, true>(kc, a, bp, cp, m0 + ir, jc + jr, mr, nr, e, first, last, &next);
          }
        }
      }
    }
    return;
  }
  float* bufB = tlsB.get(static_cast<size_t>(ncb * kb) + 64);
  for (i64 jc = n0; jc < n1; jc += ncb) {
    const i64 nc = std::min(ncb, n1 - jc);
    for (i64 pc = 0; pc < K; pc += kb) {
      const i64 kc = std::min(kb, K - pc);
      const bool first = pc == 0, last = pc + kc >= K;
      pb.pack_block(pc, kc, jc, nc, bufB);
      for (i64 ic = m0; ic < m1; ic += mc) {
        const i64 mcc = std::min(mc, m1 - ic);
        for (i64 ir = 0; ir < mcc; ir += MRk)
          pa.template pack<MRk>(ic + ir, static_cast<int>(std::min<i64>(MRk, mcc - ir)), pc, kc,
                                bufA + (ir / MRk) * kc * MRk);
        for (i64 jr = 0; jr < nc; jr += NR) {
          const int nr = static_cast<int>(std::min<i64>(NR, nc - jr));
          const float* bp = bufB + (jr / NR) * kc * NR;
          for (i64 ir = 0; ir < mcc; ir += MRk) {
            micro_tile<MRk>(kc, bufA + (ir / MRk) * kc * MRk, bp, cp, ic + ir, jc + jr,
                            static_cast<int>(std::min<i64>(MRk, mcc - ir)), nr, e, first, last);
          }
        }
      }
    }
  }
}

/** K == 0: C = beta·C + biases (then the activation). */
template <class CP>
void epilogue_only(i64 m0, i64 m1, i64 n0, i64 n1, const CP& cp, const Epi& e) {
  for (i64 i = m0; i < m1; i++)
    for (i64 j = n0; j < n1; j++) {
      float* p = cp.at(i, j);
      *p = epi_scalar(0.0f, p, i, j, e, true, true);
    }
}

/** Relative cost of packing one element with packer p: its pack_cost() if it has one, else `plain`. */
template <class P>
inline auto pack_cost_or(const P& p, double, int) -> decltype(p.pack_cost()) { return p.pack_cost(); }
template <class P>
inline double pack_cost_or(const P&, double plain, long) { return plain; }

/** Threads for an M×N×K product (1 when called inside a parallel region). */
inline int gemm_threads(i64 M, i64 N, i64 K) {
  double work = static_cast<double>(M) * N * (K + 4) / 40.0;  // ~ns at ~80 GFLOP/s
  return threads_for(work, 15000.0);
}

template <int MRk, class PA, class PB, class CP>
void gemm_run(i64 M, i64 N, i64 K, const PA& pa, const PB& pb, const CP& cp, const Epi& e, int nthreads) {
  if (M <= 0 || N <= 0) return;
  const i64 mtiles = ceil_div(M, MRk), ntiles = ceil_div(N, NR);
  if (nthreads > mtiles * ntiles) nthreads = static_cast<int>(mtiles * ntiles);
  if (nthreads < 1) nthreads = 1;
  // Choose the thread grid tm × tn with the lowest estimated time per thread.
  const double aCost = pack_cost_or(pa, 1.0, 0), bCost = pack_cost_or(pb, 0.7, 0);
  int bestTm = 1;
  double bestCost = 1e300;
  for (int tm = 1; tm <= nthreads; tm++) {
    if (nthreads % tm) continue;
    int tn = nthreads / tm;
    if (tm > mtiles || tn > ntiles) continue;
    double mt = static_cast<double>(ceil_div(mtiles, tm) * MRk);
    double nt = static_cast<double>(ceil_div(ntiles, tn) * NR);
    double kk = static_cast<double>(K);
    double cost = mt * nt * kk / 16.0                         // FMAs (16 lanes/cycle)
                  + mt * kk * std::ceil(nt / NC) * aCost       // packing A, once per column block
                  + nt * kk * bCost;                           // packing B
    if (cost < bestCost * 0.999) {
      bestCost = cost;
      bestTm = tm;
    }
  }
  const int tm = bestTm, tn = nthreads / bestTm;
  if (K > 0 && nthreads > 1 && (tm == 1 || tn == 1)) {
    // Threads along one dimension: cut it into a few chunks per thread, taken in turn, so that a thread
    // the OS (or the garbage collector's helpers) holds back leaves its share to the others instead of
    // keeping them waiting. Each chunk packs the other operand anew: as many chunks (up to 4 per thread,
    // of at least 256 columns or 24 rows) as that costs < 3 %.
    const bool byCols = tm == 1;
    const i64 tiles = byCols ? ntiles : mtiles;
    const double kk = static_cast<double>(K);
    const double otherPack = byCols ? static_cast<double>(mtiles * MRk) * kk * aCost    // A, per column chunk
                                    : static_cast<double>(ntiles * NR) * kk * bCost;    // B, per row chunk
    i64 chunks = nthreads;
    for (i64 per = 4; per > 1; per--) {
      const i64 c = std::min<i64>(per * nthreads, tiles / (byCols ? 16 : 4));
      if (c > chunks && static_cast<double>(c - nthreads) * otherPack <= 0.03 * bestCost) {
        chunks = c;
        break;
      }
    }
    if (chunks > nthreads) {
      std::atomic<i64> next{0};
      parallel(nthreads, [&](int, int) {
        for (i64 c; (c = next.fetch_add(1, std::memory_order_relaxed)) < chunks;) {
          i64 t0, t1;
          split_range(tiles, static_cast<int>(chunks), static_cast<int>(c), t0, t1);
          if (byCols) gemm_region<MRk>(0, M, t0 * NR, std::min(N, t1 * NR), K, pa, pb, cp, e);
          else gemm_region<MRk>(t0 * MRk, std::min(M, t1 * MRk), 0, N, K, pa, pb, cp, e);
        }
      });
      return;
    }
  }
  parallel(tm * tn, [&](int tid, int) {
    const int ti = tid / tn, tj = tid % tn;
    i64 a0, a1, b0, b1;
    split_range(mtiles, tm, ti, a0, a1);
    split_range(ntiles, tn, tj, b0, b1);
    const i64 m0 = a0 * MRk, m1 = std::min(M, a1 * MRk);
    const i64 n0 = b0 * NR, n1 = std::min(N, b1 * NR);
    if (K <= 0) epilogue_only(m0, m1, n0, n1, cp, e);
    else gemm_region<MRk>(m0, m1, n0, n1, K, pa, pb, cp, e);
  });
}

/** Pick the micro-kernel height that wastes fewest padded rows. */
inline bool use_alt_mr(i64 M) {
  if (MR2 <= 0 || M > 4 * MC) return false;
  i64 waste1 = round_up(M, MR) - M;
  i64 waste2 = round_up(M, MR2 > 0 ? MR2 : 1) - M;
  return waste2 < waste1;
}

template <class PA, class PB, class CP>
void gemm_dispatch(i64 M, i64 N, i64 K, const PA& pa, const PB& pb, const CP& cp, const Epi& e, int nthreads) {
  if constexpr (MR2 > 0) {
    if (use_alt_mr(M)) {
      gemm_run<MR2 == 0 ? 1 : MR2>(M, N, K, pa, pb, cp, e, nthreads);
      return;
    }
  }
  gemm_run<MR>(M, N, K, pa, pb, cp, e, nthreads);
}

// ---- public GEMM -------------------------------------------------------------------

void gemm_impl(const GemmCall& g0) {
  GemmCall g = g0;
  if (g.M <= 0 || g.N <= 0 || g.batch <= 0) return;
  // A batch sharing one B whose A and C rows continue from matrix to matrix is one tall GEMM.
  if (g.batch > 1 && g.strideB == 0 && !g.transA && !g.rowBias && g.strideA == g.M * g.lda &&
      g.strideC == g.M * g.ldc) {
    g.M *= g.batch;
    g.batch = 1;
  }
  Epi e;
  e.alpha = g.alpha;
  e.beta = g.beta;
  e.rowBias = g.rowBias;
  e.colBias = g.colBias;
  e.act = g.act;
  auto one = [&](i64 b, int nthreads) {
    PlainA pa{g.A + b * g.strideA, g.lda, g.transA};
    PlainB pb{g.B + b * g.strideB, g.ldb, g.transB};
    PlainC pc{g.C + b * g.strideC, g.ldc};
    gemm_dispatch(g.M, g.N, g.K, pa, pb, pc, e, nthreads);
  };
  const int perMatrix = gemm_threads(g.M, g.N, g.K);
  const int all = gemm_threads(g.M * g.batch, g.N, g.K);
  if (g.batch > 1 && all > 1 && (perMatrix < all || g.batch >= 4 * all)) {
    // Many small products: one thread per matrix range.
    parallel(all, [&](int tid, int nt) {
      i64 b0, b1;
      split_range(g.batch, nt, tid, b0, b1);
      for (i64 b = b0; b < b1; b++) one(b, 1);
    });
    return;
  }
  for (i64 b = 0; b < g.batch; b++) one(b, perMatrix);
}

// ---- convolution ----------------------------------------------------------------------

/**
 * A run of consecutive im2col columns that lie in one output row of one image:
 * columns t0 .. t0+len−1 map to output pixels (oh, ow0 .. ow0+len−1).
 */
struct Seg {
  i64 t0, len;
  i64 xoff;      // offset of the image (and group) in the input
  i64 ih0, iw0;  // input position of the run's first pixel before the tap offset
};

struct ConvIm2col {
  const float* x;  // input of the group's first channel in image 0
  i64 imgStride;   // inC·inH·inW
  i64 inH, inW, inHW, outH, outW, P, kH, kW, kHW, sH, sW, pH, pW, dH, dW;

  /** Split columns [j0, j0+len) into runs within one output row. Returns the count. */
  i64 make_segs(i64 j0, i64 len, Seg* segs) const {
    i64 img = j0 / P, pix = j0 - img * P;
    i64 oh = pix / outW, ow = pix - oh * outW;
    i64 n = 0;
    for (i64 t = 0; t < len;) {
      i64 run = std::min(len - t, outW - ow);
      segs[n++] = Seg{t, run, img * imgStride, oh * sH - pH, ow * sW - pW};
      t += run;
      ow = 0;
      if (++oh == outH) {
        oh = 0;
        img++;
      }
    }
    return n;
  }

  /** Valid column range [lo, hi) of a run for input column start iw. */
  inline void col_range(i64 iw, i64 len, i64& lo, i64& hi) const {
    if (sW == 1) {
      lo = iw < 0 ? -iw : 0;
      hi = inW - iw;
    } else {
      lo = iw < 0 ? (-iw + sW - 1) / sW : 0;
      hi = iw < inW ? (inW - iw + sW - 1) / sW : 0;
    }
    if (lo > len) lo = len;
    if (hi > len) hi = len;
    if (hi < lo) hi = lo;
  }

  /** Write the im2col values of tap (c, kh, kw) for a run into d[t·ds]. */
  inline void fill(const Seg& s, i64 c, i64 kh, i64 kw, float* __restrict d, i64 ds, i64 lo, i64 hi) const {
    const i64 ih = s.ih0 + kh * dH;
    if (ih < 0 || ih >= inH) {
      for (i64 t = 0; t < s.len; t++) d[t * ds] = 0;
      return;
    }
    const i64 iw = s.iw0 + kw * dW;
    const float* row = x + s.xoff + c * inHW + ih * inW + iw;
    i64 t = 0;
    for (; t < lo; t++) d[t * ds] = 0;
    if (ds == 1) {
      if (sW == 1)
        for (; t < hi; t++) d[t] = row[t];
      else
        for (; t < hi; t++) d[t] = row[t * sW];
    } else {
      if (sW == 1)
        for (; t < hi; t++) d[t * ds] = row[t];
      else
        for (; t < hi; t++) d[t * ds] = row[t * sW];
    }
    for (; t < s.len; t++) d[t * ds] = 0;
  }
};

thread_local Buf<Seg> tlsBlockSegs;
thread_local Buf<int32_t> tlsBlockRanges;
thread_local Buf<i64> tlsPieces;  // storage for ConvFwdB pieces (4 × i64 each)
thread_local Buf<i64> tlsPieceTables;

/** Runs of a column range and, per (run, kw), the valid part [lo, hi) of the run. */
inline i64 block_segs(const ConvIm2col& cx, i64 j0, i64 len, Seg*& segs, int32_t*& ranges) {
  tlsBlockSegs.resize(static_cast<size_t>(len + 2));
  segs = tlsBlockSegs.data();
  const i64 ns = cx.make_segs(j0, len, segs);
  tlsBlockRanges.resize(static_cast<size_t>(ns * cx.kW * 2 + 2));
  ranges = tlsBlockRanges.data();
  for (i64 q = 0; q < ns; q++)
    for (i64 kw = 0; kw < cx.kW; kw++) {
      i64 l, h;
      cx.col_range(segs[q].iw0 + kw * cx.dW, segs[q].len, l, h);
      ranges[(q * cx.kW + kw) * 2] = static_cast<int32_t>(l);
      ranges[(q * cx.kW + kw) * 2 + 1] = static_cast<int32_t>(h);
    }
  return ns;
}

/** B(p = tap (c, kh, kw), j = (image, pixel)): the forward im2col matrix. */
struct ConvFwdB {
  ConvIm2col cx;

  /**
   * The whole KC×NC block, tap row by tap row: each row of the im2col matrix
   * reads input rows sequentially and is written into the panels piece by
   * piece (a piece never crosses a panel boundary).
   */
  void pack_block(i64 p0, i64 kc, i64 j0, i64 nc, float* __restrict dst) const {
    Seg* segs;
    int32_t* ranges;
    const i64 ns = block_segs(cx, j0, nc, segs, ranges);
    // Split the runs at panel boundaries into pieces; each piece is written as
    // a contiguous part of one panel row.
    struct Piece {
      i64 q, toff, len, dstOff;
    };
    tlsPieces.resize(static_cast<size_t>(4 * (ns + nc / NR + 2)));
    Piece* pieces = reinterpret_cast<Piece*>(tlsPieces.data());
    i64 np = 0;
    for (i64 q = 0; q < ns; q++) {
      for (i64 t = 0; t < segs[q].len;) {
        const i64 col = segs[q].t0 + t, panel = col / NR, jj = col - panel * NR;
        const i64 n = std::min<i64>(segs[q].len - t, NR - jj);
        pieces[np++] = Piece{q, t, n, panel * kc * NR + jj};
        t += n;
      }
    }
    const i64 padEnd = round_up(nc, NR);
    const i64 c0 = p0 / cx.kHW, r0 = p0 - c0 * cx.kHW;
    const i64 kh0 = r0 / cx.kW, kw0 = r0 - kh0 * cx.kW;
    const i64 sW = cx.sW;
    if (cx.kH <= 64 && cx.kW <= 64) {
      // Per piece, everything but the channel offset is precomputed per kernel
      // row / column; then blocks of 8 depth rows are written piece by piece
      // (8 input rows are read sequentially across the chunk at a time).
      const i64 kH = cx.kH, kW = cx.kW;
      const i64 per = kH + 3 * kW;  // rowOff[kH], colOff[kW], lo|hi<<32 [kW], full [kW]
      tlsPieceTables.resize(static_cast<size_t>(np * per + 1));
      i64* tab = tlsPieceTables.data();
      constexpr i64 BAD = INT64_MIN;
      for (i64 k = 0; k < np; k++) {
        const Piece& pc = pieces[k];
        const Seg& sg = segs[pc.q];
        i64* t = tab + k * per;
        for (i64 kh = 0; kh < kH; kh++) {
          const i64 ih = sg.ih0 + kh * cx.dH;
          t[kh] = ih >= 0 && ih < cx.inH ? sg.xoff + ih * cx.inW : BAD;
        }
        for (i64 kw = 0; kw < kW; kw++) {
          const i64 lo = std::min<i64>(std::max<i64>(ranges[(pc.q * kW + kw) * 2] - pc.toff, 0), pc.len);
          i64 hi = std::min<i64>(ranges[(pc.q * kW + kw) * 2 + 1] - pc.toff, pc.len);
          if (hi < lo) hi = lo;
          t[kH + kw] = sg.iw0 + kw * cx.dW + pc.toff * sW;
          t[kH + kW + kw] = lo | (hi << 32);
          // 1: a full contiguous panel row; 2: a full stride-2 row whose 2·NR source floats are all in the row.
          const i64 col0 = sg.iw0 + kw * cx.dW + pc.toff * sW;
          // 3: a contiguous, fully valid piece of W..NR floats: two overlapping vector copies.
          t[kH + 2 * kW + kw] = lo == 0 && hi == NR ? (sW == 1 ? 1 : sW == 2 && col0 + 2 * NR <= cx.inW ? 2 : 0)
                                : (sW == 1 && lo == 0 && hi == pc.len && pc.len >= W && NV == 2) ? 3 : 0;
        }
      }
      constexpr i64 RB = 8;
      i64 cB = c0, khB = kh0, kwB = kw0;
      for (i64 pb = 0; pb < kc; pb += RB) {
        const i64 rows = std::min(RB, kc - pb);
        for (i64 k = 0; k < np; k++) {
          const Piece& pc = pieces[k];
          const i64* t = tab + k * per;
          const i64 len = pc.len;
          float* d = dst + pc.dstOff + pb * NR;
          i64 c = cB, kh = khB, kw = kwB;
          const float* plane = cx.x + c * cx.inHW;
          for (i64 p = 0; p < rows; p++, d += NR) {
            const i64 ro = t[kh];
            if (ro == BAD) {
              for (i64 q = 0; q < len; q++) d[q] = 0;
            } else {
              const float* src = plane + ro + t[kH + kw];
              const i64 mode = t[kH + 2 * kW + kw];
              if (mode == 1) {
#pragma GCC unroll 4
                for (int v = 0; v < NV; v++) storeu(d + v * W, loadu(src + v * W));
              } else if (mode == 2) {
#pragma GCC unroll 4
                for (int v = 0; v < NV; v++) storeu(d + v * W, even_lanes(loadu(src + 2 * v * W), loadu(src + 2 * v * W + W)));
              } else if (mode == 3) {
                const vf v0 = loadu(src), v1 = loadu(src + len - W);
                storeu(d, v0);
                storeu(d + len - W, v1);
              } else {
                const i64 lh = t[kH + kW + kw], lo = lh & 0xffffffff, hi = lh >> 32;
                i64 q = 0;
                for (; q < lo; q++) d[q] = 0;
                if (sW == 1)
                  for (; q < hi; q++) d[q] = src[q];
                else
                  for (; q < hi; q++) d[q] = src[q * sW];
                for (; q < len; q++) d[q] = 0;
              }
            }
            if (++kw == kW) {
              kw = 0;
              if (++kh == kH) {
                kh = 0;
                plane += cx.inHW;
              }
            }
          }
        }
        for (i64 p = 0; p < rows; p++) {
          if (++kwB == kW) {
            kwB = 0;
            if (++khB == kH) {
              khB = 0;
              cB++;
            }
          }
        }
      }
      for (i64 col = nc; col < padEnd; col++) {
        float* d = dst + (col / NR) * kc * NR + col % NR;
        for (i64 p = 0; p < kc; p++) d[p * NR] = 0;
      }
      return;
    }
    i64 c = c0, kh = kh0, kw = kw0;
    for (i64 p = 0; p < kc; p++) {
      float* drow = dst + p * NR;
      const float* plane = cx.x + c * cx.inHW;
      const i64 khOff = kh * cx.dH, kwOff = kw * cx.dW;
      for (i64 k = 0; k < np; k++) {
        const Piece& pc = pieces[k];
        const Seg& sg = segs[pc.q];
        float* d = drow + pc.dstOff;
        const i64 ih = sg.ih0 + khOff;
        if (ih < 0 || ih >= cx.inH) {
          for (i64 t = 0; t < pc.len; t++) d[t] = 0;
          continue;
        }
        const i64 lo = std::min<i64>(std::max<i64>(ranges[(pc.q * cx.kW + kw) * 2] - pc.toff, 0), pc.len);
        const i64 hi = std::max<i64>(lo, std::min<i64>(ranges[(pc.q * cx.kW + kw) * 2 + 1] - pc.toff, pc.len));
        const float* src = plane + sg.xoff + ih * cx.inW + sg.iw0 + kwOff + pc.toff * sW;
        if (sW == 1 && lo == 0 && hi == NR) {
#pragma GCC unroll 4
          for (int v = 0; v < NV; v++) storeu(d + v * W, loadu(src + v * W));
          continue;
        }
        i64 t = 0;
        for (; t < lo; t++) d[t] = 0;
        if (sW == 1)
          for (; t < hi; t++) d[t] = src[t];
        else
          for (; t < hi; t++) d[t] = src[t * sW];
        for (; t < pc.len; t++) d[t] = 0;
      }
      for (i64 col = nc; col < padEnd; col++) drow[(col / NR) * kc * NR + col % NR] = 0;
      if (++kw == cx.kW) {
        kw = 0;
        if (++kh == cx.kH) {
          kh = 0;
          c++;
        }
      }
    }
  }
  /** Short output rows split the panels into many short pieces: packing then costs more per element. */
  double pack_cost() const { return cx.outW >= NR ? 0.7 : 0.7 * static_cast<double>(NR) / static_cast<double>(std::max<i64>(cx.outW, 1)); }
};


/** B(p = (image, pixel), j = tap): the transposed im2col matrix (backward weight). */
struct ConvBwdWB {
  ConvIm2col cx;

  /** The whole block: the pixel runs and their valid ranges are computed once for every tap. */
  void pack_block(i64 p0, i64 kc, i64 j0, i64 nc, float* __restrict dst) const {
    Seg* segs;
    int32_t* ranges;
    const i64 ns = block_segs(cx, p0, kc, segs, ranges);
    i64 c = j0 / cx.kHW, r = j0 - c * cx.kHW;
    i64 kh = r / cx.kW, kw = r - kh * cx.kW;
    for (i64 jcol = 0; jcol < round_up(nc, NR); jcol++) {
      float* d = dst + (jcol / NR) * kc * NR + (jcol % NR);
      if (jcol >= nc) {
        for (i64 p = 0; p < kc; p++) d[p * NR] = 0;
        continue;
      }
      for (i64 q = 0; q < ns; q++) {
        const i64 l = ranges[(q * cx.kW + kw) * 2], h = ranges[(q * cx.kW + kw) * 2 + 1];
        cx.fill(segs[q], c, kh, kw, d + segs[q].t0 * NR, NR, l, h);
      }
      if (++kw == cx.kW) {
        kw = 0;
        if (++kh == cx.kH) {
          kh = 0;
          c++;
        }
      }
    }
  }
  double pack_cost() const { return 2.0; }  // element by element, strided writes
};

/** A(i = output channel of the group, p = (image, pixel)) of gradOut (backward weight). */
struct ConvGradOutA {
  const float* g;  // gradOut of the group's first channel in image 0
  i64 P, imgStride;
  template <int MRk>
  void pack(i64 i0, int mr, i64 p0, i64 kc, float* __restrict dst) const {
    i64 img = p0 / P, pix = p0 - img * P;
    for (i64 t = 0; t < kc;) {
      const i64 run = std::min(kc - t, P - pix);
      const float* base = g + img * imgStride + i0 * P + pix;
      float* d = dst + t * MRk;
      if (mr == MRk) {
        for (i64 q = 0; q < run; q++) {
#pragma GCC unroll 16
          for (int i = 0; i < MRk; i++) d[q * MRk + i] = base[i * P + q];
        }
      } else {
        for (i64 q = 0; q < run; q++) {
          for (int i = 0; i < mr; i++) d[q * MRk + i] = base[i * P + q];
          for (int i = mr; i < MRk; i++) d[q * MRk + i] = 0;
        }
      }
      t += run;
      pix = 0;
      img++;
    }
  }
};

inline ConvIm2col im2col_of(const ConvGeom& g, const float* x, i64 group) {
  const i64 cinG = g.inC / g.groups;
  ConvIm2col cx;
  cx.inH = g.inH;
  cx.inW = g.inW;
  cx.inHW = g.inH * g.inW;
  cx.x = x + group * cinG * cx.inHW;
  cx.imgStride = g.inC * cx.inHW;
  cx.outH = g.outH;
  cx.outW = g.outW;
  cx.P = g.outH * g.outW;
  cx.kH = g.kH;
  cx.kW = g.kW;
  cx.kHW = g.kH * g.kW;
  cx.sH = g.sH;
  cx.sW = g.sW;
  cx.pH = g.pH;
  cx.pW = g.pW;
  cx.dH = g.dH;
  cx.dW = g.dW;
  if (g.kH == 1 && g.kW == 1 && g.sH == 1 && g.sW == 1 && g.pH == 0 && g.pW == 0 && g.inH == g.outH && g.inW == g.outW) {
    // Pointwise: column pixel p reads input pixel p, so treat each plane as one long row.
    cx.inH = cx.outH = 1;
    cx.inW = cx.outW = cx.inHW;
  }
  return cx;
}

// ---- depthwise-style convolution (one input channel per output channel) --------------

/**
 * Stride 1: gradIn is the forward convolution of gradOut with the flipped (and, across channels,
 * transposed) kernels over this geometry: channels and sizes swapped, padding d·(k − 1) − p.
 */
inline ConvGeom flipped_geometry(const ConvGeom& g) {
  ConvGeom t = g;
  t.inC = g.outC;
  t.inH = g.outH;
  t.inW = g.outW;
  t.outC = g.inC;
  t.outH = g.inH;
  t.outW = g.inW;
  t.pH = g.dH * (g.kH - 1) - g.pH;
  t.pW = g.dW * (g.kW - 1) - g.pW;
  return t;
}

/** Valid output range [lo, hi) along one axis for tap offset `off` (input = o·s + off). */
inline void tap_range(i64 off, i64 s, i64 in, i64 out, i64& lo, i64& hi) {
  lo = off >= 0 ? 0 : (-off + s - 1) / s;
  hi = off < in ? (in - off + s - 1) / s : 0;
  if (lo > out) lo = out;
  if (hi > out) hi = out;
  if (hi < lo) hi = lo;
}

/** Valid output columns [lo, hi) of every kernel column (they do not depend on the row). */
struct KwRanges {
  Buf<i64> lo, hi;
  explicit KwRanges(const ConvGeom& g) : lo(static_cast<size_t>(g.kW)), hi(static_cast<size_t>(g.kW)) {
    for (i64 kw = 0; kw < g.kW; kw++) tap_range(kw * g.dW - g.pW, g.sW, g.inW, g.outW, lo[kw], hi[kw]);
  }
};

/**
 * One input plane copied into a zero-bordered buffer, so that every output
 * position reads in-bounds memory and whole vectors of outputs need no edge
 * tests: padded row r holds input row r − pH at columns pW ...
 */
struct PaddedPlane {
  i64 rows, cols;  // padded size
  Buf<float> buf;
  explicit PaddedPlane(const ConvGeom& g) {
    const i64 outWv = round_up(std::max<i64>(g.outW, 1), W) + 4 * W;
    rows = std::max(g.inH + 2 * g.pH, (g.outH - 1) * g.sH + (g.kH - 1) * g.dH + 1);
    cols = std::max(g.inW + 2 * g.pW, outWv * g.sW + (g.kW - 1) * g.dW + 2);
    buf.resize(static_cast<size_t>(rows * cols));
    for (i64 i = 0; i < rows * cols; i++) buf[i] = 0;
  }
  /** Copy a plane in (the border stays zero). */
  void load(const float* src, const ConvGeom& g) {
    for (i64 h = 0; h < g.inH; h++) std::memcpy(buf.data() + (h + g.pH) * cols + g.pW, src + h * g.inW, sizeof(float) * g.inW);
  }
  const float* row(i64 r) const { return buf.data() + r * cols; }
};

/** Strided (1 or 2) load of W floats starting at p. */
inline vf load_s(const float* p, i64 s) { return s == 1 ? loadu(p) : even_lanes(loadu(p), loadu(p + W)); }

/**
 * NVEC vectors of one output row from column ow: out = b + Σ_taps w·x, with NVEC independent accumulators
 * (one would wait on each FMA's latency). `len` outputs are stored (the last vector may be partial).
 */
template <int NVEC>
inline void dw_vectors(const float* const* rows, const float* wk, i64 kH, i64 kW, i64 sW, i64 dW, float b, i64 ow,
                       i64 len, float* orow) {
  vf a[NVEC];
#pragma GCC unroll 4
  for (int v = 0; v < NVEC; v++) a[v] = bcast(b);
  for (i64 kh = 0; kh < kH; kh++) {
    const float* src = rows[kh] + ow * sW;
    for (i64 kw = 0; kw < kW; kw++) {
      const vf wv = bcast(wk[kh * kW + kw]);
      const float* q = src + kw * dW;
#pragma GCC unroll 4
      for (int v = 0; v < NVEC; v++) a[v] += wv * load_s(q + v * W * sW, sW);
    }
  }
#pragma GCC unroll 4
  for (int v = 0; v < NVEC; v++) {
    if ((v + 1) * W <= len) {
      storeu(orow + ow + v * W, a[v]);
    } else {
      alignas(64) float t[W];
      storeu(t, a[v]);
      for (i64 j = 0, end = std::min<i64>(W, len - v * W); j < end; j++) orow[ow + v * W + j] = t[j];
    }
  }
}

/** out[ow] = b + Σ_taps w·x for one output row: rows[kh] are padded input rows (readable past the row's end). */
inline void dw_row(const float* const* rows, const float* wk, i64 kH, i64 kW, i64 sW, i64 dW, float b, i64 outW,
                   float* orow) {
  i64 ow = 0;
  for (; ow + 4 * W <= outW; ow += 4 * W) dw_vectors<4>(rows, wk, kH, kW, sW, dW, b, ow, 4 * W, orow);
  const i64 rest = outW - ow;
  switch (ceil_div(rest, W)) {
    case 1: dw_vectors<1>(rows, wk, kH, kW, sW, dW, b, ow, rest, orow); break;
    case 2: dw_vectors<2>(rows, wk, kH, kW, sW, dW, b, ow, rest, orow); break;
    case 3: dw_vectors<3>(rows, wk, kH, kW, sW, dW, b, ow, rest, orow); break;
    default: break;
  }
}

void depthwise_forward(const float* x, const float* w, const float* bias, const ConvGeom& g, float* out,
                       const ConvPost* post = nullptr) {
  const i64 coutG = g.outC / g.groups;
  const i64 inHW = g.inH * g.inW, P = g.outH * g.outW, kHW = g.kH * g.kW;
  const i64 planes = g.n * g.outC;
  const int nt = threads_for(static_cast<double>(planes) * P * kHW / 4.0, 20000.0);
  if (g.sW > 2) {
    // Rare: scalar loops with bounds tests.
    const KwRanges kr(g);
    parallel(nt, [&](int tid, int nth) {
      i64 q0, q1;
      split_range(planes, nth, tid, q0, q1);
      for (i64 q = q0; q < q1; q++) {
        const i64 img = q / g.outC, oc = q - img * g.outC, c = oc / coutG;
        const float* xin = x + (img * g.inC + c) * inHW;
        const float* wk = w + oc * kHW;
        float* o = out + q * P;
        for (i64 oh = 0; oh < g.outH; oh++) {
          float* orow = o + oh * g.outW;
          for (i64 ow = 0; ow < g.outW; ow++) orow[ow] = bias ? bias[oc] : 0.0f;
          for (i64 kh = 0; kh < g.kH; kh++) {
            const i64 ih = oh * g.sH - g.pH + kh * g.dH;
            if (ih < 0 || ih >= g.inH) continue;
            for (i64 kw = 0; kw < g.kW; kw++) {
              const float wv = wk[kh * g.kW + kw];
              const float* src = xin + ih * g.inW + kw * g.dW - g.pW;
              for (i64 ow = kr.lo[kw]; ow < kr.hi[kw]; ow++) orow[ow] += wv * src[ow * g.sW];
            }
          }
        }
        if (post) post->run(o, 0, 1, P, oc);
      }
    });
    return;
  }
  parallel(nt, [&](int tid, int nth) {
    i64 q0, q1;
    split_range(planes, nth, tid, q0, q1);
    PaddedPlane pp(g);
    Buf<const float*> rows(static_cast<size_t>(g.kH));
    i64 loaded = -1;
    for (i64 q = q0; q < q1; q++) {
      const i64 img = q / g.outC, oc = q - img * g.outC, c = oc / coutG;
      const i64 plane = img * g.inC + c;
      if (plane != loaded) {
        pp.load(x + plane * inHW, g);
        loaded = plane;
      }
      const float* wk = w + oc * kHW;
      float* o = out + q * P;
      const float b = bias ? bias[oc] : 0.0f;
      for (i64 oh = 0; oh < g.outH; oh++) {
        for (i64 kh = 0; kh < g.kH; kh++) rows[kh] = pp.row(oh * g.sH + kh * g.dH);
        dw_row(rows.data(), wk, g.kH, g.kW, g.sW, g.dW, b, g.outW, o + oh * g.outW);
      }
      if (post) post->run(o, 0, 1, P, oc);
    }
  });
}

void depthwise_backward_input(const float* gy, const float* w, const ConvGeom& g, float* gx) {
  const i64 coutG = g.outC / g.groups;
  const i64 inHW = g.inH * g.inW, P = g.outH * g.outW, kHW = g.kH * g.kW;
  if (coutG == 1 && g.sH == 1 && g.sW == 1 && g.dH * (g.kH - 1) >= g.pH && g.dW * (g.kW - 1) >= g.pW) {
    // Stride 1, one output channel per input channel: the forward depthwise
    // convolution of gradOut with the flipped kernels.
    Buf<float> wf(static_cast<size_t>(g.outC * kHW));
    for (i64 oc = 0; oc < g.outC; oc++)
      for (i64 t = 0; t < kHW; t++) wf[oc * kHW + t] = w[oc * kHW + (kHW - 1 - t)];
    const ConvGeom t = flipped_geometry(g);
    depthwise_forward(gy, wf.data(), nullptr, t, gx);
    return;
  }
  const KwRanges kr(g);
  const i64 planes = g.n * g.inC;
  const int nt = threads_for(static_cast<double>(planes) * coutG * P * kHW / 4.0, 20000.0);
  parallel(nt, [&](int tid, int nth) {
    i64 q0, q1;
    split_range(planes, nth, tid, q0, q1);
    for (i64 q = q0; q < q1; q++) {
      const i64 img = q / g.inC, c = q - img * g.inC;
      float* dx = gx + q * inHW;
      for (i64 i = 0; i < inHW; i++) dx[i] = 0;
      for (i64 m = 0; m < coutG; m++) {
        const i64 oc = c * coutG + m;
        const float* gplane = gy + (img * g.outC + oc) * P;
        const float* wk = w + oc * kHW;
        for (i64 oh = 0; oh < g.outH; oh++) {
          const float* grow = gplane + oh * g.outW;
          for (i64 kh = 0; kh < g.kH; kh++) {
            const i64 ih = oh * g.sH - g.pH + kh * g.dH;
            if (ih < 0 || ih >= g.inH) continue;
            float* drow = dx + ih * g.inW;
            for (i64 kw = 0; kw < g.kW; kw++) {
              const i64 off = kw * g.dW - g.pW;
              const i64 lo = kr.lo[kw], hi = kr.hi[kw];
              const float wv = wk[kh * g.kW + kw];
              float* dst = drow + off;
              if (g.sW == 1)
                for (i64 ow = lo; ow < hi; ow++) dst[ow] += wv * grow[ow];
              else
                for (i64 ow = lo; ow < hi; ow++) dst[ow * g.sW] += wv * grow[ow];
            }
          }
        }
      }
    }
  });
}

/** Σ a[i]·b[i·s] over i < n (s = 1 or 2; b readable up to b[n·s + W]), in float vectors. */
inline float dot_s(const float* a, const float* b, i64 n, i64 s) {
  vf a0{}, a1{};
  i64 i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    a0 += loadu(a + i) * load_s(b + i * s, s);
    a1 += loadu(a + i + W) * load_s(b + (i + W) * s, s);
  }
  for (; i + W <= n; i += W) a0 += loadu(a + i) * load_s(b + i * s, s);
  a0 += a1;
  float r = 0;
  for (int j = 0; j < W; j++) r += a0[j];
  for (; i < n; i++) r += a[i] * b[i * s];
  return r;
}

void depthwise_backward_weight(const float* gy, const float* x, const ConvGeom& g, float* gw) {
  const i64 coutG = g.outC / g.groups;
  const i64 inHW = g.inH * g.inW, P = g.outH * g.outW, kHW = g.kH * g.kW;
  const int nt = threads_for(static_cast<double>(g.n) * g.outC * P * kHW / 4.0, 20000.0);
  parallel(nt, [&](int tid, int nth) {
    i64 o0, o1;
    split_range(g.outC, nth, tid, o0, o1);
    Buf<double> acc(static_cast<size_t>(kHW), 0.0);
    if (g.sW <= 2) {
      PaddedPlane pp(g);
      for (i64 oc = o0; oc < o1; oc++) {
        const i64 c = oc / coutG;
        for (i64 t = 0; t < kHW; t++) acc[t] = 0.0;
        for (i64 img = 0; img < g.n; img++) {
          pp.load(x + (img * g.inC + c) * inHW, g);
          const float* gplane = gy + (img * g.outC + oc) * P;
          for (i64 kh = 0; kh < g.kH; kh++)
            for (i64 kw = 0; kw < g.kW; kw++) {
              float s = 0;
              for (i64 oh = 0; oh < g.outH; oh++)
                s += dot_s(gplane + oh * g.outW, pp.row(oh * g.sH + kh * g.dH) + kw * g.dW, g.outW, g.sW);
              acc[kh * g.kW + kw] += s;
            }
        }
        for (i64 t = 0; t < kHW; t++) gw[oc * kHW + t] = static_cast<float>(acc[t]);
      }
      return;
    }
    const KwRanges kr(g);
    for (i64 oc = o0; oc < o1; oc++) {
      const i64 c = oc / coutG;
      for (i64 t = 0; t < kHW; t++) acc[t] = 0.0;
      for (i64 img = 0; img < g.n; img++) {
        const float* xin = x + (img * g.inC + c) * inHW;
        const float* gplane = gy + (img * g.outC + oc) * P;
        for (i64 kh = 0; kh < g.kH; kh++) {
          for (i64 kw = 0; kw < g.kW; kw++) {
            const i64 off = kw * g.dW - g.pW;
            float s = 0;
            for (i64 oh = 0; oh < g.outH; oh++) {
              const i64 ih = oh * g.sH - g.pH + kh * g.dH;
              if (ih < 0 || ih >= g.inH) continue;
              const float* src = xin + ih * g.inW + off;
              const float* grow = gplane + oh * g.outW;
              for (i64 ow = kr.lo[kw]; ow < kr.hi[kw]; ow++) s += grow[ow] * src[ow * g.sW];
            }
            acc[kh * g.kW + kw] += s;
          }
        }
      }
      for (i64 t = 0; t < kHW; t++) gw[oc * kHW + t] = static_cast<float>(acc[t]);
    }
  });
}

#include "impl_conv_direct.h"
#include "impl_winograd.h"

// ---- convolution entry points ----------------------------------------------------------

/** Run fn(group, threadsPerGemm) for every group, in parallel over groups when each is small. */
template <class F>
void for_groups(const ConvGeom& g, i64 M, i64 N, i64 K, F&& fn) {
  const int per = gemm_threads(M, N, K);
  const int all = threads_for(static_cast<double>(M) * N * K * g.groups / 40.0, 15000.0);
  if (g.groups > 1 && all > 1 && per < all) {
    parallel(all, [&](int tid, int nt) {
      i64 a, b;
      split_range(g.groups, nt, tid, a, b);
      for (i64 gi = a; gi < b; gi++) fn(gi, 1);
    });
    return;
  }
  for (i64 gi = 0; gi < g.groups; gi++) fn(gi, per);
}

void conv2d_impl(const float* x, const float* w, const float* bias, const ConvGeom& g, float* out,
                 const ConvPost* post = nullptr) {
  const i64 cinG = g.inC / g.groups, coutG = g.outC / g.groups;
  const i64 P = g.outH * g.outW;
  if (g.n <= 0 || g.outC <= 0 || P <= 0) return;
  if (direct_worthwhile(g)) {
    direct_forward(x, w, bias, g, out, post);
    return;
  }
  // Winograd's transforms turn an inf in x or w into NaN where the direct sum gives ±inf: finite inputs
  // only (checked as its transforms read them; it declines the others).
  if (winograd_worthwhile(g) && winograd_forward(x, w, bias, g, out, false, post)) return;
  if (cinG == 1) {
    depthwise_forward(x, w, bias, g, out, post);
    return;
  }
  const i64 Kg = cinG * g.kH * g.kW, N = g.n * P;
  for_groups(g, coutG, N, Kg, [&](i64 gi, int nthreads) {
    PlainA pa{w + gi * coutG * Kg, Kg, false};
    ConvFwdB pb{im2col_of(g, x, gi)};
    ConvC pc{out + gi * coutG * P, P, g.outC * P};
    Epi e;
    e.rowBias = bias ? bias + gi * coutG : nullptr;
    ConvPost groupPost;
    if (post) {
      groupPost = *post;
      if (groupPost.scale) groupPost.scale += gi * coutG;
      if (groupPost.shift) groupPost.shift += gi * coutG;
      e.post = &groupPost;
    }
    gemm_dispatch(coutG, N, Kg, pa, pb, pc, e, nthreads);
  });
}

void conv2d_backward_weight_impl(const float* gy, const float* x, const ConvGeom& g, float* gw) {
  const i64 cinG = g.inC / g.groups, coutG = g.outC / g.groups;
  const i64 P = g.outH * g.outW, Kg = cinG * g.kH * g.kW;
  if (g.outC <= 0 || Kg <= 0) return;
  if (g.n <= 0 || P <= 0) {
    std::memset(gw, 0, sizeof(float) * g.outC * Kg);
    return;
  }
  if (direct_worthwhile(g) && direct_backward_weight(gy, x, g, gw)) return;
  // (Below 8×8 outputs the tiles are too few for the products' depth: the GEMM is faster there,
  // measured 7×7 with 512 channels 147 against 104 GF/s; at 8×8 with 256 Winograd wins 148 to 117; unless
  // dU streams.)
  if (winograd_backward_weight_worthwhile(g) && winograd_backward_weight(gy, x, g, gw)) return;
  if (cinG == 1) {
    depthwise_backward_weight(gy, x, g, gw);
    return;
  }
  const i64 Kp = g.n * P;
  for_groups(g, coutG, Kg, Kp, [&](i64 gi, int nthreads) {
    ConvGradOutA pa{gy + gi * coutG * P, P, g.outC * P};
    ConvBwdWB pb{im2col_of(g, x, gi)};
    PlainC pc{gw + gi * coutG * Kg, Kg};
    Epi e;
    gemm_dispatch(coutG, Kg, Kp, pa, pb, pc, e, nthreads);
  });
}

/** Adjoint of im2col for columns [j0, j0+len) of one group: gx += col2im(dcol). */
void col2im_add(const ConvIm2col& cx, i64 cinG, const float* dcol, i64 ldcol, i64 j0, i64 len, float* gxGroup,
                int maxThreads) {
  Buf<Seg> segs(len + 1);
  const i64 ns = cx.make_segs(j0, len, segs.data());
  const int nt = std::min(maxThreads, threads_for(static_cast<double>(cinG) * cx.kHW * len / 2.0, 20000.0));
  parallel(nt, [&](int tid, int nth) {
    i64 c0, c1;
    split_range(cinG, nth, tid, c0, c1);
    for (i64 c = c0; c < c1; c++) {
      for (i64 kh = 0; kh < cx.kH; kh++)
        for (i64 kw = 0; kw < cx.kW; kw++) {
          const float* row = dcol + ((c * cx.kH + kh) * cx.kW + kw) * ldcol;
          for (i64 s = 0; s < ns; s++) {
            const Seg& sg = segs[s];
            const i64 ih = sg.ih0 + kh * cx.dH;
            if (ih < 0 || ih >= cx.inH) continue;
            const i64 iw = sg.iw0 + kw * cx.dW;
            i64 lo, hi;
            cx.col_range(iw, sg.len, lo, hi);
            float* dst = gxGroup + sg.xoff + c * cx.inHW + ih * cx.inW + iw;
            const float* src = row + sg.t0;
            if (cx.sW == 1) {
              for (i64 t = lo; t < hi; t++) dst[t] += src[t];
            } else if (cx.sW == 2) {
              // Stride 2 (ResNet's downsampling layers): W values zipped with −0 into 2W lanes (x + −0 is x
              // for every x), while those 2W floats stay in this thread's plane.
              const float* planeEnd = gxGroup + sg.xoff + (c + 1) * cx.inHW;
              const vf negZero = bcast(-0.0f);
              i64 t = lo;
              for (; t + W <= hi && dst + 2 * t + 2 * W <= planeEnd; t += W) {
                vf head, tail;  // the 2W lanes: src values in the even ones
                zip_lanes(loadu(src + t), negZero, head, tail);
                float* d = dst + 2 * t;
                storeu(d, loadu(d) + head);
                storeu(d + W, loadu(d + W) + tail);
              }
              for (; t < hi; t++) dst[t * 2] += src[t];
            } else {
              for (i64 t = lo; t < hi; t++) dst[t * cx.sW] += src[t];
            }
          }
        }
    }
  });
}

void conv2d_backward_input_impl(const float* gy, const float* w, const ConvGeom& g, float* gx) {
  const i64 cinG = g.inC / g.groups, coutG = g.outC / g.groups;
  const i64 P = g.outH * g.outW, Kg = cinG * g.kH * g.kW, kHW = g.kH * g.kW;
  const i64 inHW = g.inH * g.inW;
  if (g.n <= 0 || g.inC <= 0 || inHW <= 0) return;
  if (g.outC <= 0 || P <= 0) {
    std::memset(gx, 0, sizeof(float) * g.n * g.inC * inHW);
    return;
  }
  if (cinG == 1) {
    depthwise_backward_input(gy, w, g, gx);
    return;
  }
  // Stride 1 with padding ≤ d·(k − 1): gradIn is the forward convolution of gradOut with the flipped,
  // transposed weights, so it runs as an implicit GEMM with no scatter (Winograd reads the weights in
  // that order itself). A larger padding would make that convolution's padding negative, and inf or NaN
  // weights would meet gradOut's zero border there (0·inf is NaN where PyTorch sums only real products):
  // col2im below.
  const ConvGeom t = flipped_geometry(g);
  const bool flippedForward = g.sH == 1 && g.sW == 1 && g.pH <= g.dH * (g.kH - 1) && g.pW <= g.dW * (g.kW - 1);
  if (flippedForward && winograd_worthwhile(t) && winograd_forward(gy, w, nullptr, t, gx, true)) return;
  if (flippedForward && all_finite(w, g.outC * Kg)) {
    // wt[c][m][t] = w[m][c][kHW−1−t] per group, in blocks of output channels so that both the reads
    // (along w's rows) and the writes (runs of the block's kernels) stay local; scratch is reused.
    float* wt = tlsWt.get(static_cast<size_t>(g.outC) * Kg);
    constexpr i64 MB = 32;
    parallel(threads_for(static_cast<double>(g.outC) * Kg, 30000.0), [&](int tid, int nth) {
      i64 b0, b1;  // blocks of MB output channels over all groups
      const i64 blocks = ceil_div(coutG, MB);
      split_range(g.groups * blocks, nth, tid, b0, b1);
      for (i64 b = b0; b < b1; b++) {
        const i64 gi = b / blocks, m0 = (b - gi * blocks) * MB;
        for (i64 c = 0; c < cinG; c++)
          for (i64 m = m0; m < std::min(coutG, m0 + MB); m++) {
            const float* src = w + ((gi * coutG + m) * cinG + c) * kHW;
            float* dst = wt + ((gi * cinG + c) * coutG + m) * kHW;
            for (i64 q = 0; q < kHW; q++) dst[q] = src[kHW - 1 - q];
          }
      }
    });
    conv2d_impl(gy, wt, nullptr, t, gx);
    return;
  }
  // Strided: dcol = Wᵀ·gradOut for a range of columns, then col2im.
  // gradOut of a group, as the im2col matrix of a 1×1 stride-1 convolution.
  ConvGeom og{};
  og.n = g.n;
  og.inC = g.outC;
  og.inH = g.outH;
  og.inW = g.outW;
  og.outC = g.outC;
  og.outH = g.outH;
  og.outW = g.outW;
  og.kH = og.kW = og.sH = og.sW = og.dH = og.dW = 1;
  og.groups = g.groups;
  // Columns [j0, j0 + len) of every group, into gx (zeroed by the caller), on `nthreads` threads.
  auto columns = [&](i64 j0, i64 len, float* dcol, int nthreads) {
    for (i64 gi = 0; gi < g.groups; gi++) {
      struct OffsetB {
        ConvFwdB inner;
        i64 j0;
        void pack_block(i64 p0, i64 kc, i64 j, i64 nc, float* dst) const { inner.pack_block(p0, kc, j + j0, nc, dst); }
        double pack_cost() const { return inner.pack_cost(); }
      } pb{ConvFwdB{im2col_of(og, gy, gi)}, j0};
      PlainA pa{w + gi * coutG * Kg, Kg, true};
      PlainC pc{dcol, len};
      Epi e;
      gemm_dispatch(Kg, len, coutG, pa, pb, pc, e, nthreads);
      col2im_add(im2col_of(g, gx, gi), cinG, dcol, len, j0, len, gx + gi * cinG * inHW, nthreads);
    }
  };
  const i64 N = g.n * P;
  const i64 imgFloats = g.inC * inHW;
  const int nt = gemm_threads(Kg * g.groups, N, coutG);
  if (nt > 1 && g.n >= nt) {
    // Images split over the threads: each zeroes, multiplies and scatters a few images at a time on its own,
    // so that gx and dcol are written and read back by the same core while cached, and no thread touches
    // another's part of gx (images own disjoint planes). Chunks of up to 1M floats of dcol (4 MB): smaller
    // ones repack Wᵀ too often (256→512 at 8²: 3.4 → 4.0 ms at 256K floats). In the CIFAR ResNet-18 training
    // step, 64→128 at 32² went 5.3 → 3.7 ms and 128→256 at 16² 4.25 → 3.6 ms; the others are unchanged.
    constexpr i64 DCOL_FLOATS = i64(1) << 20;
    const i64 imgs = std::clamp<i64>(DCOL_FLOATS / std::max<i64>(Kg * P, 1), 1, ceil_div(g.n, nt));
    parallel(nt, [&](int tid, int nth) {
      i64 i0, i1;
      split_range(g.n, nth, tid, i0, i1);
      float* dcol = tlsDcol.get(static_cast<size_t>(Kg * imgs * P));  // per thread, reused
      for (i64 a = i0; a < i1; a += imgs) {
        const i64 b = std::min(i1, a + imgs);
        std::memset(gx + a * imgFloats, 0, sizeof(float) * (b - a) * imgFloats);
        columns(a * P, (b - a) * P, dcol, 1);
      }
    });
    return;
  }
  std::memset(gx, 0, sizeof(float) * g.n * imgFloats);
  const i64 chunk = std::max<i64>(NR, std::min<i64>(N, (i64(8) << 20) / std::max<i64>(Kg, 1)));
  float* dcol = tlsDcol.get(static_cast<size_t>(Kg) * chunk);  // reused: a fresh buffer costs page faults
  for (i64 j0 = 0; j0 < N; j0 += chunk) {
    const i64 len = std::min(chunk, N - j0);
    columns(j0, len, dcol, gemm_threads(Kg, len, coutG));
  }
}

// ---- peak probe ------------------------------------------------------------------------

/** 12 independent FMA chains (enough to cover latency × throughput); returns flops. */
__attribute__((noinline)) double fma_probe(i64 iters) {
  constexpr int CH = 12;
  vf acc[CH];
  for (int c = 0; c < CH; c++) acc[c] = bcast(0.001f * c);
  const vf m = bcast(0.999999f), a = bcast(1e-7f);
  for (i64 i = 0; i < iters; i++) {
#pragma GCC unroll 12
    for (int c = 0; c < CH; c++) acc[c] = acc[c] * m + a;
  }
  vf s = vf{};
  for (int c = 0; c < CH; c++) s += acc[c];
  float t = 0;
  for (int j = 0; j < W; j++) t += s[j];
  volatile float sink = t;
  (void)sink;
  return 2.0 * W * CH * static_cast<double>(iters);
}

}  // namespace

void fill_gemm(KernelTable& t) {
  t.fmaProbe = fma_probe;
  t.vectorWidth = W;
  t.gemmMR = MR;
  t.gemmNR = NR;
  t.gemm = gemm_impl;
  t.conv2d = conv2d_impl;
  t.conv2dBackwardInput = conv2d_backward_input_impl;
  t.conv2dBackwardWeight = conv2d_backward_weight_impl;
}

}  // namespace STRATA_ISA
}  // namespace strata
