// Winograd F(2×2, 3×3) convolution (Lavin & Gray 2016) for 3×3 stride-1 layers with many channels,
// included by impl_gemm.h inside its per-ISA anonymous namespace.
//
// Each 2×2 block of outputs ("tile") comes from a 4×4 input patch d: with the 4×4 transforms
// V = Bᵀ d B (input) and U = G g Gᵀ (weights), the 16 products U ⊙ V summed over input channels
// are 16 independent GEMMs, Mo[ξ] (M × tiles) = U[ξ] (M × C) · V[ξ] (C × tiles), and Y = Aᵀ Mo A
// gives the tile: 16 multiplies per tile and channel pair instead of 36 (2.25× fewer FLOPs).
// The transforms are vectorised across W neighbouring tiles of a row. Results differ from the
// direct sum by rounding only (the transforms use the exact factors 1 and 1/2).

/** Whether a convolution runs as Winograd F(2×2, 3×3): 3×3, stride 1, no dilation, one group, ≥ 64 channels. */
inline bool winograd_worthwhile(const ConvGeom& g) {
  static const bool off = std::getenv("STRATA_WINOGRAD") && std::getenv("STRATA_WINOGRAD")[0] == '0';
  return !off && g.groups == 1 && g.kH == 3 && g.kW == 3 && g.sH == 1 && g.sW == 1 && g.dH == 1 && g.dW == 1 &&
         g.pH >= 0 && g.pW >= 0 && g.pH <= 2 && g.pW <= 2 && g.inC >= 64 && g.outC >= 64 && g.n > 0 &&
         g.outH >= 2 && g.outW >= 2 && g.outH == g.inH + 2 * g.pH - 2 && g.outW == g.inW + 2 * g.pW - 2;
}

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

thread_local Scratch tlsWinoPlane, tlsWinoU, tlsWinoV, tlsWinoM;

/** The zero-padded 4-row strip of plane `src` under tile row th (rows 2·th − pH … 2·th + 3 − pH). */
inline void load_strip(float* pp, i64 Wp, const float* src, i64 th, const ConvGeom& g) {
  std::memset(pp, 0, sizeof(float) * 4 * Wp);
  for (i64 i = 0; i < 4; i++) {
    const i64 h = 2 * th + i - g.pH;
    if (h >= 0 && h < g.inH) std::memcpy(pp + i * Wp + g.pW, src + h * g.inW, sizeof(float) * std::min(g.inW, Wp - g.pW));
  }
}

/** V = Bᵀ d B for W tiles, d[i][k] holding column k of row i of each tile's 4×4 input patch (v[4·i + j] = V(i, j)),
    Bᵀ = [[1,0,−1,0],[0,1,1,0],[0,−1,1,0],[0,1,0,−1]]. */
inline void transform_patches(const vf (&d)[4][4], vf (&v)[16]) {
  vf t[4][4];
#pragma GCC unroll 4
  for (int k = 0; k < 4; k++) {
    t[0][k] = d[0][k] - d[2][k];
    t[1][k] = d[1][k] + d[2][k];
    t[2][k] = d[2][k] - d[1][k];
    t[3][k] = d[1][k] - d[3][k];
  }
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++) {
    v[i * 4 + 0] = t[i][0] - t[i][2];
    v[i * 4 + 1] = t[i][1] + t[i][2];
    v[i * 4 + 2] = t[i][2] - t[i][1];
    v[i * 4 + 3] = t[i][1] - t[i][3];
  }
}

/** V for the W tiles from tile tw of a strip (4 zero-padded input rows, Wp apart). */
inline void input_transform(const float* pp, i64 Wp, i64 tw, vf (&v)[16]) {
  vf d[4][4];
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++)
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) d[i][k] = even_lanes(loadu(pp + i * Wp + 2 * tw + k), loadu(pp + i * Wp + 2 * tw + k + W));
  transform_patches(d, v);
}

/**
 * The input patches of a run of tile rows, laid out so that any W consecutive tiles (across tile rows and
 * images) load as whole vectors: row i of X holds, tile row after tile row, input columns 2t and 2t + 1
 * of each tile t's patch row i (patch columns 0 and 1); row 4 + i the same shifted by two columns (patch
 * columns 2 and 3). Narrow maps (8 or 4 tiles per row) thus fill every lane.
 */
struct TileRowPatches {
  // Between rows of X: twice the tiles, rounded up to whole vectors (what transform reads), and a vector
  // more (fill's short copies may spill one vector past a row).
  i64 stride;
  explicit TileRowPatches(i64 tiles) : stride(round_up(tiles, W) * 2 + W) {}
  /**
   * Input columns [start, start + n) of an input row (null: a padding row) to dst, zeros outside the row.
   * Copies shorter than a vector (the rows of narrow maps) move a whole vector where the source has one
   * before `end`, spilling up to W floats past dst + n (fill overwrites or zeroes them).
   */
  static void copy_columns(float* dst, const float* row, i64 start, i64 n, i64 inW, const float* end) {
    const i64 a = row ? std::clamp<i64>(-start, 0, n) : n, b = row ? std::clamp<i64>(inW - start, a, n) : n;
    for (i64 j = 0; j < a; j++) dst[j] = 0.0f;
    if (b - a >= W) {  // whole vectors, the last one overlapping the one before
      for (i64 j = a; j < b; j += W) {
        const i64 k = std::min(j, b - W);
        storeu(dst + k, loadu(row + start + k));
      }
    } else if (b > a && row + start + a + W <= end) {
      storeu(dst + a, loadu(row + start + a));
    } else {
      for (i64 j = a; j < b; j++) dst[j] = row[start + j];
    }
    for (i64 j = b; j < n; j++) dst[j] = 0.0f;
  }
  /**
   * For plane ch of t (an [n, channels, H, Wd] tensor ending at `end`) and global tile rows [ra, ra + nr)
   * (row r: image r / tH, tile row r % tH): plane row 2·th + i − padRow of each (i < R; zeros outside the
   * plane), columns starts[s] … starts[s] + 2·tW − 1, into row s·R + i of dst (rows `stride` apart), tile
   * row after tile row; zeros past them.
   */
  template <int R, int S>
  static void gather(float* dst, i64 stride, const float* t, const float* end, i64 channels, i64 ch, i64 H, i64 Wd, i64 padRow,
                     const i64 (&starts)[S], i64 ra, i64 nr, i64 tH, i64 tW) {
    for (i64 lr = 0; lr < nr; lr++) {
      const i64 img = (ra + lr) / tH, th = (ra + lr) - img * tH;
      const float* plane = t + (img * channels + ch) * H * Wd;
      for (i64 i = 0; i < R; i++) {
        const i64 h = 2 * th + i - padRow;
        const float* row = h >= 0 && h < H ? plane + h * Wd : nullptr;
        for (int k = 0; k < S; k++) copy_columns(dst + (k * R + i) * stride + lr * 2 * tW, row, starts[k], 2 * tW, Wd, end);
      }
    }
    for (i64 i = 0; i < R * S; i++) std::memset(dst + i * stride + nr * 2 * tW, 0, sizeof(float) * (stride - nr * 2 * tW));
  }
  /** X for channel c of global tile rows [ra, ra + nr); `end`: the end of x. */
  void fill(float* X, const float* x, const float* end, i64 C, i64 c, i64 ra, i64 nr, i64 tH, i64 tW,
            const ConvGeom& g) const {
    gather<4, 2>(X, stride, x, end, C, c, g.inH, g.inW, g.pH, {-g.pW, 2 - g.pW}, ra, nr, tH, tW);
  }
  /** Prefetch the input rows that fill(…, c, ra, nr, …) reads. */
  static void prefetch(const float* x, i64 C, i64 c, i64 ra, i64 nr, i64 tH, const ConvGeom& g) {
    const i64 img = ra / tH, th = ra - img * tH;  // (rows of another image come later: not prefetched)
    const float* plane = x + (img * C + c) * g.inH * g.inW;
    const i64 h0 = std::max<i64>(0, 2 * th - g.pH), h1 = std::min(g.inH, 2 * std::min(th + nr, tH) + 2 - g.pH);
    const char* p = reinterpret_cast<const char*>(plane + h0 * g.inW);
    for (const char* e = reinterpret_cast<const char*>(plane + h1 * g.inW); p < e; p += 64) __builtin_prefetch(p);
  }
  /** V for tiles t … t + W − 1 of X. */
  void transform(const float* X, i64 t, vf (&v)[16]) const {
    vf d[4][4];
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
      const float* p0 = X + i * stride + 2 * t;
      const float* p2 = X + (4 + i) * stride + 2 * t;
      const vf a0 = loadu(p0), b0 = loadu(p0 + W), a2 = loadu(p2), b2 = loadu(p2 + W);
      d[i][0] = even_lanes(a0, b0);
      d[i][1] = odd_lanes(a0, b0);
      d[i][2] = even_lanes(a2, b2);
      d[i][3] = odd_lanes(a2, b2);
    }
    transform_patches(d, v);
  }
};

/** Where (row, k) of a matrix packed as R-row panels lives: rowsPad rows in all, the depth (of
    `depth`) cut into blocks of kb, each block's panels one after another. */
template <int R>
inline i64 panel_index(i64 row, i64 k, i64 kb, i64 depth, i64 rowsPad) {
  const i64 pc = k / kb * kb, kcb = std::min(kb, depth - pc);
  return pc * rowsPad + (row / R) * kcb * R + (k - pc) * R + row % R;
}

/**
 * Where the 16 products' operands live, already in the GEMM's packed layouts (so the products
 * pack nothing): U[ξ] as MRk-row panels and V[ξ] as NR-column panels, both cut into the GEMM's
 * depth blocks over the channels. Each ξ starts one cache line after a multiple of 4 KB, since the
 * transforms touch all 16 at the same offset (which would otherwise be one cache set).
 */
template <int MRk>
struct WinoLayout {
  i64 M, C, tiles, kb, Mpad, panels, sU, sV, sM;
  WinoLayout(i64 m, i64 c, i64 t)
      : M(m), C(c), tiles(t), kb(depth_block(c)), Mpad(round_up(m, MRk)), panels(ceil_div(t, NR)) {
    sU = round_up(Mpad * C, 1024) + 16;
    sV = round_up(panels * (C * NR + ceil_div(C, kb) * GAP), 1024) + 16;
    sM = round_up(M * tiles, 1024) + 16;
  }
  /** A line between V panels: one plane's stores go to the panels of all its tile rows, which
      would share one cache set when a panel is a multiple of 4 KB. */
  static constexpr i64 GAP = 16;
  /** U[ξ](m, c) (m < Mpad: rows past M are zero). */
  i64 u_index(i64 m, i64 c) const { return panel_index<MRk>(m, c, kb, C, Mpad); }
  /** The depth block (at pc) of U[ξ] and V[ξ]. */
  i64 u_block(i64 pc) const { return pc * Mpad; }
  i64 v_block(i64 pc) const { return (pc / kb) * panels * (kb * NR + GAP); }
  static i64 v_panel(i64 kc) { return kc * NR + GAP; }
  /** V[ξ](c, t) is at v_row(c, kcb) + v_tile(t, kcb). */
  i64 v_row(i64 c, i64& kcb) const {
    const i64 pc = c / kb * kb;
    kcb = std::min(kb, C - pc);
    return v_block(pc) + (c - pc) * NR;
  }
  static i64 v_tile(i64 t, i64 kcb) { return (t / NR) * v_panel(kcb) + t % NR; }
};

/** The products Mo[ξ] = U[ξ] · V[ξ] for ξ in [x0, x1), from the packed operands. */
template <int MRk>
void winograd_products(const WinoLayout<MRk>& L, const float* U, const float* V, float* Mo, i64 x0, i64 x1) {
  const Epi e;
  const i64 M = L.M, C = L.C, tc = L.tiles, kb = L.kb;
  // Column chunks whose V panels stay in L2 while each U panel streams past them once.
  const i64 chunk = std::max<i64>(NR, round_up(B_CHUNK_FLOATS / kb, NR));
  for (i64 xi = x0; xi < x1; xi++) {
    const PlainC cp{Mo + xi * L.sM, tc};
    for (i64 pc = 0; pc < C; pc += kb) {
      const i64 kc = std::min(kb, C - pc);
      const bool first = pc == 0, last = pc + kc >= C;
      const float* Ab = U + xi * L.sU + L.u_block(pc);
      const float* Bb = V + xi * L.sV + L.v_block(pc);
      for (i64 jc = 0; jc < tc; jc += chunk) {
        const i64 je = std::min(tc, jc + chunk);
        for (i64 ir = 0; ir < M; ir += MRk)
          for (i64 jr = jc; jr < je; jr += NR)
            micro_tile<MRk>(kc, Ab + (ir / MRk) * kc * MRk, Bb + (jr / NR) * L.v_panel(kc), cp, ir, jr,
                            static_cast<int>(std::min<i64>(MRk, M - ir)), static_cast<int>(std::min<i64>(NR, tc - jr)),
                            e, first, last);
      }
    }
  }
}

template <int MRk>
void winograd_forward_mr(const float* x, const float* w, const float* bias, const ConvGeom& g, float* out, bool flipped,
                         const ConvPost* post) {
  const i64 C = g.inC, M = g.outC, tH = (g.outH + 1) / 2, tW = (g.outW + 1) / 2, tiles = tH * tW;
  const i64 inHW = g.inH * g.inW, outHW = g.outH * g.outW;
  const float* const xEnd = x + g.n * C * inHW;
  // Chunks of tile rows: V and Mo of a chunk (16·(C + M) floats per tile) should stay in L2, but
  // a chunk needs enough tiles to pay for streaming all of U past them (16·M·C floats).
  const i64 perRow = 16 * (C + M) * tW;
  // (At least 48 tiles: three NR-wide panels keep the micro-kernels busy between U panels.)
  i64 chunkRows = std::max({(i64(96) << 10) / perRow, ceil_div(48, tW), ceil_div(M * C / 2048, tW)});
  // A chunk of whole NR-wide panels where at most twice the rows give one: the products' last panel
  // would otherwise be part empty (48 tiles = 1.5 panels of 32 ran the 3×3 layers of a CIFAR
  // ResNet-18 at 64–128 channels 25–30% slower).
  const i64 panelRows = NR / std::gcd(i64(NR), tW);
  if (round_up(chunkRows, panelRows) <= 2 * chunkRows) chunkRows = round_up(chunkRows, panelRows);
  const int nt = threads_for(2.0 * 16 * static_cast<double>(M) * C * tiles * g.n / 40.0, 15000.0);
  const bool imageSplit = nt > 1 && g.n >= nt;
  const WinoLayout<MRk> LU(M, C, chunkRows * tW);
  // Weights: U[ξ][m][c] = (G g Gᵀ)[ξ], G = [[1,0,0],[½,½,½],[½,−½,½],[0,0,1]].
  float* U = tlsWinoU.get(static_cast<size_t>(16 * LU.sU));
  parallel(threads_for(static_cast<double>(M) * C * 20, 20000.0), [&](int tid, int nth) {
    i64 p0, p1;
    split_range(LU.Mpad / MRk, nth, tid, p0, p1);
    // Panel by panel, channel by channel, vectorised over the panel's MRk rows: each ξ's packed panel
    // is written sequentially, a run of MRk values at a time.
    static_assert(MRk <= W, "a panel's rows fit one vector");
    alignas(64) float taps[9][W] = {};
    alignas(64) float run[W];
    for (i64 m0 = p0 * MRk; m0 < p1 * MRk; m0 += MRk)
      for (i64 c = 0; c < C; c++) {
        for (i64 l = 0; l < MRk; l++) {
          const i64 m = m0 + l;
          for (int j = 0; j < 9; j++)
            taps[j][l] = m >= M ? 0.0f : flipped ? w[(c * M + m) * 9 + 8 - j] : w[(m * C + c) * 9 + j];  // flipped: w[c][m], 180°
        }
        vf k[9];
        for (int j = 0; j < 9; j++) k[j] = loadu(taps[j]);
        const vf half = bcast(0.5f);
        vf t[4][3];
        for (int j = 0; j < 3; j++) {
          t[0][j] = k[j];
          t[1][j] = half * (k[j] + k[3 + j] + k[6 + j]);
          t[2][j] = half * (k[j] - k[3 + j] + k[6 + j]);
          t[3][j] = k[6 + j];
        }
        const i64 at = LU.u_index(m0, c);  // rows m0 … m0 + MRk − 1 follow
        for (int i = 0; i < 4; i++) {
          const vf u[4] = {t[i][0], half * (t[i][0] + t[i][1] + t[i][2]), half * (t[i][0] - t[i][1] + t[i][2]), t[i][2]};
          for (int j = 0; j < 4; j++) {
            float* dst = U + (i * 4 + j) * LU.sU + at;
            if constexpr (MRk == W) {
              storeu(dst, u[j]);
            } else {
              storeu(run, u[j]);
              std::memcpy(dst, run, sizeof(float) * MRk);
            }
          }
        }
      }
  });
  // Global tile rows [r0, r1) (row r: image r / tH, tile row r % tH), in chunks.
  auto run_rows = [&](i64 r0, i64 r1) {
    for (i64 ra = r0; ra < r1; ra += chunkRows) {
      const i64 nr = std::min(chunkRows, r1 - ra), tc = nr * tW;
      const WinoLayout<MRk> L(M, C, tc);
      float* V = tlsWinoV.get(static_cast<size_t>(16 * L.sV + W));
      float* Mo = tlsWinoM.get(static_cast<size_t>(16 * L.sM + 2 * W));
      // Input transform, a group of tile rows and a channel at a time, W consecutive tiles of the chunk per
      // vector: rows of whole vectors from a zero-padded strip of 4 input rows (no copy to rearrange), narrower
      // rows (8, 4 or 2 tiles wide) a vector across tile rows, from TileRowPatches. Each run of W tiles lies
      // inside one NR panel (NR is a multiple of W); panel columns past the last tile are read by the
      // products, so they get zeros (not NaN).
      static_assert(NR % W == 0, "a run of W tiles lies inside one panel");
      const bool strips = tW % W == 0;
      const i64 groupRows = W / std::gcd(i64(W), tW), groups = ceil_div(nr, groupRows);
      const TileRowPatches P(groupRows * tW);
      const i64 Wp = 2 * tW + 2 + W;  // a strip's row (the last vector's over-read stays inside)
      parallel(threads_for(static_cast<double>(nr) * C * tW * 24, 20000.0), [&](int tid, int nth) {
        i64 q0, q1;
        split_range(groups * C, nth, tid, q0, q1);
        float* X = tlsWinoPlane.get(static_cast<size_t>(strips ? 4 * Wp : 8 * P.stride));
        const i64 sV = L.sV;
        // Narrow rows: the input rows of item q + kAhead, prefetched (items step from plane to plane, more
        // interleaved streams than the hardware prefetchers follow).
        constexpr i64 kAhead = 6;
        auto prefetch_item = [&](i64 q) {
          const i64 grp = q / C, c = q - grp * C, lr0 = grp * groupRows;
          P.prefetch(x, C, c, ra + lr0, std::min(groupRows, nr - lr0), tH, g);
        };
        if (!strips)
          for (i64 q = q0; q < std::min(q1, q0 + kAhead); q++) prefetch_item(q);
        for (i64 q = q0; q < q1; q++) {
          const i64 grp = q / C, c = q - grp * C, lr0 = grp * groupRows, rows = std::min(groupRows, nr - lr0);
          const i64 t0 = lr0 * tW, t1 = t0 + rows * tW;
          if (strips) {
            const i64 img = (ra + lr0) / tH, th = (ra + lr0) - img * tH;
            load_strip(X, Wp, x + (img * C + c) * inHW, th, g);
          } else {
            if (q + kAhead < q1) prefetch_item(q + kAhead);
            P.fill(X, x, xEnd, C, c, ra + lr0, rows, tH, tW, g);
          }
          i64 kcb;
          float* const dst0 = V + L.v_row(c, kcb);
          for (i64 tl = t0; tl < t1; tl += W) {
            vf v[16];
            if (strips) input_transform(X, Wp, tl - t0, v);
            else P.transform(X, tl - t0, v);
            float* dst = dst0 + L.v_tile(tl, kcb);
#pragma GCC unroll 16
            for (int xi = 0; xi < 16; xi++) storeu(dst + xi * sV, v[xi]);
          }
          if (t1 == tc)
            for (i64 tl = round_up(tc, W); tl < L.panels * NR; tl += W) {
              float* dst = dst0 + L.v_tile(tl, kcb);
              for (int xi = 0; xi < 16; xi++) storeu(dst + xi * sV, vf{});
            }
        }
      });
      // The 16 products over channels.
      const int pn = threads_for(2.0 * 16 * static_cast<double>(M) * C * tc / 40.0, 15000.0);
      parallel(pn, [&](int tid, int nth) {
        i64 x0, x1;
        split_range(16, nth, tid, x0, x1);
        winograd_products<MRk>(L, U, V, Mo, x0, x1);
      });
      // Output transform: Y = Aᵀ Mo A + bias, Aᵀ = [[1,1,1,0],[0,1,−1,−1]], one output channel at a time,
      // W consecutive tiles of the chunk per vector (their output rows then go to each tile row's place).
      parallel(threads_for(static_cast<double>(nr) * M * tW * 20, 20000.0), [&](int tid, int nth) {
        i64 m0, m1;
        split_range(M, nth, tid, m0, m1);
        alignas(64) float y[2][2 * W];
        for (i64 m = m0; m < m1; m++) {
          const vf b = bcast(bias ? bias[m] : 0.0f);
          for (i64 tl = 0; tl < tc; tl += W) {
            vf s[2][4];
            for (int j = 0; j < 4; j++) {
              vf mv[4];
              for (int i = 0; i < 4; i++) mv[i] = loadu(Mo + (i * 4 + j) * L.sM + m * tc + tl);
              s[0][j] = mv[0] + mv[1] + mv[2];
              s[1][j] = mv[1] - mv[2] - mv[3];
            }
            for (int i = 0; i < 2; i++) {
              vf lo, hi;
              zip_lanes(s[i][0] + s[i][1] + s[i][2] + b, s[i][1] - s[i][2] - s[i][3] + b, lo, hi);
              storeu(y[i], lo);
              storeu(y[i] + W, hi);
            }
            // Tiles [t, te) of one tile row at a time.
            for (i64 t = tl, tEnd = std::min(tc, tl + W); t < tEnd;) {
              const i64 lr = t / tW, tw = t - lr * tW, te = std::min(tEnd, (lr + 1) * tW);
              const i64 img = (ra + lr) / tH, th = (ra + lr) - img * tH;
              float* o = out + (img * M + m) * outHW + 2 * tw;
              const i64 n = std::min(2 * (te - t), g.outW - 2 * tw);
              for (int i = 0; i < 2 && 2 * th + i < g.outH; i++) {
                float* row = o + (2 * th + i) * g.outW;
                const float* from = y[i] + 2 * (t - tl);
                if (n == 2 * W) {
                  storeu(row, loadu(from));
                  storeu(row + W, loadu(from + W));
                } else {
                  std::memcpy(row, from, sizeof(float) * n);
                }
              }
              t = te;
            }
          }
          // Channel m's output rows of the chunk are complete.
          if (post)
            for (i64 lr = 0; lr < nr; lr++) {
              const i64 img = (ra + lr) / tH, th = (ra + lr) - img * tH;
              post->run(out + (img * M + m) * outHW + 2 * th * g.outW, 0, 1, std::min<i64>(2, g.outH - 2 * th) * g.outW, m);
            }
        }
      });
    }
  };
  if (imageSplit) {
    // Enough images: each thread transforms and multiplies its own images (which the previous
    // kernel wrote on that thread, and the next one reads there), with single-threaded GEMMs.
    parallel(nt, [&](int tid, int nth) {
      i64 n0, n1;
      split_range(g.n, nth, tid, n0, n1);
      run_rows(n0 * tH, n1 * tH);
    });
  } else {
    run_rows(0, g.n * tH);
  }
}

/** The forward convolution; with `flipped`, w is the weight of the transposed convolution
    (w[c][m] rotated by 180°: the backward-input pass of a stride-1 layer, without a flipped copy). */
void winograd_forward(const float* x, const float* w, const float* bias, const ConvGeom& g, float* out, bool flipped = false,
                      const ConvPost* post = nullptr) {
  if constexpr (MR2 > 0) {
    if (use_alt_mr(g.outC)) return winograd_forward_mr<MR2 == 0 ? 1 : MR2>(x, w, bias, g, out, flipped, post);
  }
  winograd_forward_mr<MR>(x, w, bias, g, out, flipped, post);
}

// ---- weight gradient ------------------------------------------------------------------------------
//
// With Y = Aᵀ [Σ_c U ⊙ V] A per tile, dU[ξ] (M × C) = Σ_tiles dMo[ξ] (M × tiles) · V[ξ]ᵀ, where
// dMo = A dY Aᵀ (the 2×2 output gradient of a tile spread over 4×4), and dW = Gᵀ dU G: again 16
// products with 2.25× fewer FLOPs than the direct sum, whose depth is the tile count.

thread_local Scratch tlsWinoDU;

/** dMo = A dY Aᵀ for W tiles whose two output-gradient rows are at r0 and r1, tile t's columns at 2t and
    2t + 1 (A = [[1,0],[1,1],[1,−1],[0,−1]]). */
inline void output_gradient_transform(const float* r0, const float* r1, i64 t, vf (&d)[16]) {
  vf e[2], o[2];  // even and odd columns of the tiles' two output rows
  const float* rows[2] = {r0 + 2 * t, r1 + 2 * t};
  for (int i = 0; i < 2; i++) {
    const vf a = loadu(rows[i]), b = loadu(rows[i] + W);
    e[i] = even_lanes(a, b);
    o[i] = odd_lanes(a, b);
  }
  // Z = A dY (4 × 2), then dMo = Z Aᵀ: a row (z0, z1) becomes (z0, z0 + z1, z0 − z1, −z1).
  const vf z[4][2] = {{e[0], o[0]}, {e[0] + e[1], o[0] + o[1]}, {e[0] - e[1], o[0] - o[1]}, {-e[1], -o[1]}};
  for (int i = 0; i < 4; i++) {
    d[i * 4 + 0] = z[i][0];
    d[i * 4 + 1] = z[i][0] + z[i][1];
    d[i * 4 + 2] = z[i][0] - z[i][1];
    d[i * 4 + 3] = -z[i][1];
  }
}

/** TileRowPatches' counterpart for output gradients: rows 0 and 1 of G hold, tile row after tile row, the
    tile row's two output-gradient rows (2·tW columns, zeros past the plane's edges). */
struct TileRowGradients {
  i64 stride;  // between the two rows of G
  explicit TileRowGradients(i64 tiles) : stride(round_up(tiles, W) * 2 + W) {}
  /** G for channel m of global tile rows [ra, ra + nr); `end`: the end of gy. */
  void fill(float* G, const float* gy, const float* end, i64 M, i64 m, i64 ra, i64 nr, i64 tH, i64 tW,
            const ConvGeom& g) const {
    TileRowPatches::gather<2, 1>(G, stride, gy, end, M, m, g.outH, g.outW, 0, {0}, ra, nr, tH, tW);
  }
};

/**
 * The weight gradient's products dU[ξ] (M × C) = dMo[ξ] (M × tiles) · V[ξ]ᵀ (tiles × C) with their
 * operands already in the GEMM's packed layouts, the depth being the chunk's tiles: dMo[ξ] as
 * MR-row panels (A), V[ξ]ᵀ as NR-column panels (B), both cut into depth blocks. (Packing them as
 * plain matrices cost as much as the products: each element is used only M or C times.)
 */
struct WinoGradLayout {
  i64 tiles, kb, Mpad, Cpad, sA, sB;
  WinoGradLayout(i64 M, i64 C, i64 t)
      : tiles(t), kb(depth_block(t)), Mpad(round_up(M, MR)), Cpad(round_up(C, NR)) {
    sA = round_up(Mpad * t, 1024) + 16;
    sB = round_up(Cpad * t, 1024) + 16;
  }
  /**
   * Store a block of B ≤ W channels (rows c0 … c0 + B − 1 of one R-row panel) for tiles t0 … t0 + n − 1:
   * s[ξ][k] holds channel c0 + k's transform values over W tiles, transposed here so that each tile's
   * B channels are one contiguous run of its panel (a store per tile, not one per value).
   */
  template <int R, int B>
  void store_block(float* dst, i64 stride, i64 rowsPad, i64 c0, i64 t0, vf (&s)[16][W], i64 n) const {
    static_assert(B <= W && R % B == 0, "a block lies inside one panel");
    const i64 i0 = panel_index<R>(c0, t0, kb, tiles, rowsPad);
    const bool oneBlock = t0 / kb == (t0 + n - 1) / kb;  // then tile t0 + l is at i0 + l·R
    for (int xi = 0; xi < 16; xi++) {
      transpose_block(s[xi]);
      float* d = dst + xi * stride;
      for (i64 l = 0; l < n; l++) {
        float* at = d + (oneBlock ? i0 + l * R : panel_index<R>(c0, t0 + l, kb, tiles, rowsPad));
        if constexpr (B == W) {
          storeu(at, s[xi][l]);
        } else {
          alignas(64) float row[W];
          storeu(row, s[xi][l]);
          std::memcpy(at, row, sizeof(float) * B);
        }
      }
    }
  }
};

/**
 * gw = ∂L/∂w of a Winograd-eligible convolution. Returns false (writing nothing) when x or gy
 * hold inf or NaN: the transforms would turn ±inf into NaN where the direct sum keeps ±inf.
 */
bool winograd_backward_weight(const float* gy, const float* x, const ConvGeom& g, float* gw) {
  const i64 C = g.inC, M = g.outC, tH = (g.outH + 1) / 2, tW = (g.outW + 1) / 2;
  const i64 inHW = g.inH * g.inW, outHW = g.outH * g.outW;
  // Chunks of tile rows whose V and dMo (16·(C + M) floats per tile) stay within ~4 MB: the
  // products' depth is the chunk's tile count, so chunks are larger than the forward's.
  const i64 chunkRows = std::max<i64>(1, (i64(1) << 20) / (16 * (C + M) * tW));
  const int nt = threads_for(2.0 * 16 * static_cast<double>(M) * C * tH * tW * g.n / 40.0, 15000.0);
  const bool imageSplit = nt > 1 && g.n >= nt;
  const i64 sD = round_up(M * C, 1024) + 16;  // one dU[ξ]
  const float* const xEnd = x + g.n * C * inHW;
  const float* const gyEnd = gy + g.n * M * outHW;
  // As the forward's input transform: rows of whole vectors of tiles straight from strips (input) or from
  // the plane (output gradient), narrower rows a vector across tile rows (TileRowPatches / TileRowGradients).
  const bool strips = tW % W == 0, gradStrips = strips && g.outW == 2 * tW;  // (an odd width would over-read)
  const i64 groupRows = W / std::gcd(i64(W), tW);
  const TileRowPatches P(groupRows * tW);
  const TileRowGradients Q(groupRows * tW);
  const i64 Wp = 2 * tW + 2 + W;  // a strip's row
  const i64 perChannel = std::max({strips ? 4 * Wp : 8 * P.stride, 2 * Q.stride, 2 * tW + W});
  static_assert(MR <= W && NR % W == 0, "transform blocks: MR output channels or W input channels");
  const i64 vBlocks = ceil_div(C, W), blocks = vBlocks + ceil_div(M, MR);
  // One dU per task, not per thread: any pool thread may run any task (several, one after another).
  const int slots = imageSplit ? nt : 1;
  float* dUs = tlsWinoDU.get(static_cast<size_t>(slots) * 16 * sD);
  Buf<float*> partial(static_cast<size_t>(slots), nullptr);
  std::atomic<bool> finite{true};
  // dU over the images [n0, n1) into its task's slot (or nothing when a value is not finite).
  auto run_images = [&](i64 n0, i64 n1, int slot) {
    if (!all_finite(x + n0 * C * inHW, (n1 - n0) * C * inHW) || !all_finite(gy + n0 * M * outHW, (n1 - n0) * M * outHW)) {
      finite = false;
      return;
    }
    float* dU = dUs + static_cast<i64>(slot) * 16 * sD;
    partial[static_cast<size_t>(slot)] = dU;
    for (i64 ra = n0 * tH; ra < n1 * tH; ra += chunkRows) {
      const i64 nr = std::min(chunkRows, n1 * tH - ra), tc = nr * tW;
      const WinoGradLayout L(M, C, tc);
      float* V = tlsWinoV.get(static_cast<size_t>(16 * L.sB));
      float* dMo = tlsWinoM.get(static_cast<size_t>(16 * L.sA));
      // V[ξ]ᵀ and dMo[ξ] in panels, one (group of tile rows, block of channels) at a time: W input
      // channels (inside one NR panel of V) or MR output-gradient channels (one panel of dMo).
      const i64 groups = ceil_div(nr, groupRows);
      parallel(threads_for(static_cast<double>(nr) * (C + M) * tW * 24, 20000.0), [&](int tid, int nth) {
        i64 q0, q1;
        split_range(groups * blocks, nth, tid, q0, q1);
        // W channels' rows, then a row of zeros (an output-gradient row past the plane's last).
        float* buf = tlsWinoPlane.get(static_cast<size_t>((W + 1) * perChannel));
        float* const zeros = buf + W * perChannel;
        std::memset(zeros, 0, sizeof(float) * perChannel);
        for (i64 q = q0; q < q1; q++) {
          const i64 grp = q / blocks, b = q - grp * blocks, lr0 = grp * groupRows, rows = std::min(groupRows, nr - lr0);
          const i64 img = (ra + lr0) / tH, th = (ra + lr0) - img * tH, t0 = lr0 * tW, t1 = t0 + rows * tW;
          const bool input = b < vBlocks;
          const i64 c0 = input ? b * W : (b - vBlocks) * MR, nc = std::min<i64>(input ? W : MR, (input ? C : M) - c0);
          // Where channel k's two output-gradient rows start (strips: straight from the plane).
          const float* gr[W][2];
          for (i64 k = 0; k < nc; k++) {
            float* at = buf + k * perChannel;
            if (input && strips) {
              load_strip(at, Wp, x + (img * C + c0 + k) * inHW, th, g);
            } else if (input) {
              P.fill(at, x, xEnd, C, c0 + k, ra + lr0, rows, tH, tW, g);
            } else if (gradStrips) {
              const float* plane = gy + (img * M + c0 + k) * outHW + 2 * th * g.outW;
              gr[k][0] = plane;
              gr[k][1] = 2 * th + 1 < g.outH ? plane + g.outW : zeros;
            } else {
              Q.fill(at, gy, gyEnd, M, c0 + k, ra + lr0, rows, tH, tW, g);
              gr[k][0] = at;
              gr[k][1] = at + Q.stride;
            }
          }
          for (i64 tl = t0; tl < t1; tl += W) {
            vf s[16][W];
            for (i64 k = 0; k < W; k++) {
              vf v[16] = {};
              if (k < nc) {
                const float* at = buf + k * perChannel;
                if (!input) output_gradient_transform(gr[k][0], gr[k][1], tl - t0, v);
                else if (strips) input_transform(at, Wp, tl - t0, v);
                else P.transform(at, tl - t0, v);
              }
              for (int xi = 0; xi < 16; xi++) s[xi][k] = v[xi];
            }
            const i64 n = std::min<i64>(W, t1 - tl);
            if (input) L.store_block<NR, W>(V, L.sB, L.Cpad, c0, tl, s, n);
            else L.store_block<MR, MR>(dMo, L.sA, L.Mpad, c0, tl, s, n);
          }
        }
      });
      // dU[ξ] (+)= dMo[ξ] · V[ξ]ᵀ, micro-tiles straight over the panels (padding rows and columns of
      // the panels are never stored to dU, so they need no zeros).
      const bool firstChunk = ra == n0 * tH;
      parallel(threads_for(16.0 * M * C * tc / 40.0, 20000.0), [&](int tid, int nth) {
        const Epi e;
        i64 x0, x1;
        split_range(16, nth, tid, x0, x1);
        for (i64 xi = x0; xi < x1; xi++) {
          const PlainC cp{dU + xi * sD, C};
          for (i64 pc = 0; pc < tc; pc += L.kb) {
            const i64 kc = std::min(L.kb, tc - pc);
            const float* Ab = dMo + xi * L.sA + pc * L.Mpad;
            const float* Bb = V + xi * L.sB + pc * L.Cpad;
            for (i64 jr = 0; jr < C; jr += NR)
              for (i64 ir = 0; ir < M; ir += MR)
                micro_tile<MR>(kc, Ab + (ir / MR) * kc * MR, Bb + (jr / NR) * kc * NR, cp, ir, jr,
                               static_cast<int>(std::min<i64>(MR, M - ir)), static_cast<int>(std::min<i64>(NR, C - jr)),
                               e, firstChunk && pc == 0, pc + kc >= tc);
          }
        }
      });
    }
  };
  if (imageSplit) {
    parallel(nt, [&](int tid, int nth) {
      i64 n0, n1;
      split_range(g.n, nth, tid, n0, n1);
      run_images(n0, n1, tid);
    });
  } else {
    run_images(0, g.n, 0);
  }
  if (!finite) return false;
  // gw = Gᵀ (Σ_threads dU) G, G = [[1,0,0],[½,½,½],[½,−½,½],[0,0,1]].
  parallel(threads_for(static_cast<double>(M) * C * 40, 20000.0), [&](int tid, int nth) {
    i64 q0, q1;
    split_range(M * C, nth, tid, q0, q1);
    for (i64 q = q0; q < q1; q++) {
      float u[16];
      for (int xi = 0; xi < 16; xi++) {
        float s = 0;
        for (size_t t = 0; t < partial.size(); t++)
          if (partial[t]) s += partial[t][xi * sD + q];
        u[xi] = s;
      }
      float z[3][4];  // Gᵀ dU
      for (int j = 0; j < 4; j++) {
        z[0][j] = u[j] + 0.5f * (u[4 + j] + u[8 + j]);
        z[1][j] = 0.5f * (u[4 + j] - u[8 + j]);
        z[2][j] = 0.5f * (u[4 + j] + u[8 + j]) + u[12 + j];
      }
      float* k = gw + q * 9;
      for (int i = 0; i < 3; i++) {
        k[i * 3 + 0] = z[i][0] + 0.5f * (z[i][1] + z[i][2]);
        k[i * 3 + 1] = 0.5f * (z[i][1] - z[i][2]);
        k[i * 3 + 2] = 0.5f * (z[i][1] + z[i][2]) + z[i][3];
      }
    }
  });
  return true;
}
