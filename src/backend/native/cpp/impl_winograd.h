// Winograd convolution (Lavin & Gray 2016) for 3×3 stride-1 layers with many channels, included by
// impl_gemm.h inside its per-ISA anonymous namespace.
//
// F(2×2, 3×3): each 2×2 block of outputs ("tile") comes from a 4×4 input patch d: with the 4×4 transforms
// V = Bᵀ d B (input) and U = G g Gᵀ (weights), the 16 products U ⊙ V summed over input channels
// are 16 independent GEMMs, Mo[ξ] (M × tiles) = U[ξ] (M × C) · V[ξ] (C × tiles), and Y = Aᵀ Mo A
// gives the tile: 16 multiplies per tile and channel pair instead of 36 (2.25× fewer FLOPs). Its
// results differ from the direct sum by rounding only (the transforms use the exact factors 1 and 1/2).
// F(4×4, 3×3), the same with 6×6 patches and 36 products per 4×4 tile (4× fewer FLOPs), runs the forward
// and backward-input passes of maps from 8×8 and the weight gradient of maps from 16×16 (WinoF43).
// The transforms are vectorised across W neighbouring tiles (across tile rows and images when a row
// has fewer).

/** Whether a convolution runs as Winograd (F(2×2, 3×3) or F(4×4, 3×3)): 3×3, stride 1, no dilation, one group, ≥ 64 channels. */
inline bool winograd_worthwhile(const ConvGeom& g) {
  static const bool off = std::getenv("STRATA_WINOGRAD") && std::getenv("STRATA_WINOGRAD")[0] == '0';
  return !off && g.groups == 1 && g.kH == 3 && g.kW == 3 && g.sH == 1 && g.sW == 1 && g.dH == 1 && g.dW == 1 &&
         g.pH >= 0 && g.pW >= 0 && g.pH <= 2 && g.pW <= 2 && g.inC >= 64 && g.outC >= 64 && g.n > 0 &&
         g.outH >= 2 && g.outW >= 2 && g.outH == g.inH + 2 * g.pH - 2 && g.outW == g.inW + 2 * g.pW - 2;
}

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

/** Columns 0 … 3 of W runs of 4 floats at p (a stride-4 gather of 4W floats: even/odd lanes twice) to c[0 … 3]. */
template <int N>
inline void load_columns4(const float* p, vf (&c)[N]) {
  static_assert(N >= 4, "four columns");
  const vf a = loadu(p), b = loadu(p + W), e = loadu(p + 2 * W), f = loadu(p + 3 * W);
  const vf ev = even_lanes(a, b), od = odd_lanes(a, b), ev2 = even_lanes(e, f), od2 = odd_lanes(e, f);
  c[0] = even_lanes(ev, ev2);
  c[1] = even_lanes(od, od2);
  c[2] = odd_lanes(ev, ev2);
  c[3] = odd_lanes(od, od2);
}

/**
 * The input patches of a run of tile rows for tiles of STEP × STEP outputs (patches of STEP + 2 rows and
 * columns, STEP apart), laid out so that any W consecutive tiles (across tile rows and images) load as whole
 * vectors: row i of X holds, tile row after tile row, the STEP input columns STEP·t … STEP·t + STEP − 1 of each
 * tile t's patch row i (patch columns 0 … STEP − 1); row STEP + 2 + i the same shifted by STEP columns (patch
 * columns STEP …, of which the first two are the patch's). Narrow maps thus fill every lane.
 */
template <int STEP>
struct TileRowPatches {
  static constexpr int R = STEP + 2;  // patch rows (and columns)
  // Between rows of X: STEP floats per tile, rounded up to whole vectors of tiles (what load reads), and a
  // vector more (fill's short copies may spill one vector past a row).
  i64 stride;
  explicit TileRowPatches(i64 tiles) : stride(round_up(tiles, W) * STEP + W) {}
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
   * (row r: image r / tH, tile row r % tH): plane row STEP·th + i − padRow of each (i < RR; zeros outside the
   * plane), columns starts[s] … starts[s] + STEP·tW − 1, into row s·RR + i of dst (rows `stride` apart), tile
   * row after tile row; zeros past them.
   */
  template <int RR, int S>
  static void gather(float* dst, i64 stride, const float* t, const float* end, i64 channels, i64 ch, i64 H, i64 Wd, i64 padRow,
                     const i64 (&starts)[S], i64 ra, i64 nr, i64 tH, i64 tW) {
    const i64 width = STEP * tW;
    for (i64 lr = 0; lr < nr; lr++) {
      const i64 img = (ra + lr) / tH, th = (ra + lr) - img * tH;
      const float* plane = t + (img * channels + ch) * H * Wd;
      for (i64 i = 0; i < RR; i++) {
        const i64 h = STEP * th + i - padRow;
        const float* row = h >= 0 && h < H ? plane + h * Wd : nullptr;
        for (int k = 0; k < S; k++) copy_columns(dst + (k * RR + i) * stride + lr * width, row, starts[k], width, Wd, end);
      }
    }
    for (i64 i = 0; i < RR * S; i++) std::memset(dst + i * stride + nr * width, 0, sizeof(float) * (stride - nr * width));
  }
  /** X for channel c of global tile rows [ra, ra + nr); `end`: the end of x. */
  void fill(float* X, const float* x, const float* end, i64 C, i64 c, i64 ra, i64 nr, i64 tH, i64 tW,
            const ConvGeom& g) const {
    gather<R, 2>(X, stride, x, end, C, c, g.inH, g.inW, g.pH, {-g.pW, STEP - g.pW}, ra, nr, tH, tW);
  }
  /** Prefetch the input rows that fill(…, c, ra, nr, …) reads. */
  static void prefetch(const float* x, i64 C, i64 c, i64 ra, i64 nr, i64 tH, const ConvGeom& g) {
    const i64 img = ra / tH, th = ra - img * tH;  // (rows of another image come later: not prefetched)
    const float* plane = x + (img * C + c) * g.inH * g.inW;
    const i64 h0 = std::max<i64>(0, STEP * th - g.pH), h1 = std::min(g.inH, STEP * std::min(th + nr, tH) + 2 - g.pH);
    const char* p = reinterpret_cast<const char*>(plane + h0 * g.inW);
    for (const char* e = reinterpret_cast<const char*>(plane + h1 * g.inW); p < e; p += 64) __builtin_prefetch(p);
  }
  /** The patches d[i][k] (row i, column k) of tiles t … t + W − 1 of X, a vector over the tiles. */
  void load(const float* X, i64 t, vf (&d)[R][R]) const {
#pragma GCC unroll 6
    for (int i = 0; i < R; i++) {
      const float* p0 = X + i * stride + STEP * t;
      const float* p1 = X + (R + i) * stride + STEP * t;
      if constexpr (STEP == 2) {
        const vf a0 = loadu(p0), b0 = loadu(p0 + W), a1 = loadu(p1), b1 = loadu(p1 + W);
        d[i][0] = even_lanes(a0, b0);
        d[i][1] = odd_lanes(a0, b0);
        d[i][2] = even_lanes(a1, b1);
        d[i][3] = odd_lanes(a1, b1);
      } else {
        static_assert(STEP == 4, "tiles of 2 or 4 outputs");
        load_columns4(p0, d[i]);
        const vf a1 = loadu(p1), b1 = loadu(p1 + W), c1 = loadu(p1 + 2 * W), e1 = loadu(p1 + 3 * W);
        d[i][4] = even_lanes(even_lanes(a1, b1), even_lanes(c1, e1));
        d[i][5] = even_lanes(odd_lanes(a1, b1), odd_lanes(c1, e1));
      }
    }
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
 * Where the T products' operands live, already in the GEMM's packed layouts (so the products
 * pack nothing): U[ξ] as MRk-row panels and V[ξ] as NR-column panels, both cut into the GEMM's
 * depth blocks over the channels. Each ξ starts one cache line after a multiple of 4 KB, since the
 * transforms touch all T at the same offset (which would otherwise be one cache set).
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

/** The products Mo[ξ] = U[ξ] · V[ξ] for ξ in [x0, x1), from the packed operands: U laid out as LU (its rows
    LU.M: all output channels, or a block of them, whose first row of Mo is at Mo), V and Mo as L. */
template <int MRk>
void winograd_products(const WinoLayout<MRk>& LU, const WinoLayout<MRk>& L, const float* U, const float* V, float* Mo,
                       i64 x0, i64 x1) {
  const Epi e;
  const i64 M = LU.M, C = L.C, tc = L.tiles, kb = L.kb;
  // Column chunks whose V panels stay in L2 while each U panel streams past them once.
  const i64 chunk = std::max<i64>(NR, round_up(B_CHUNK_FLOATS / kb, NR));
  for (i64 xi = x0; xi < x1; xi++) {
    const PlainC cp{Mo + xi * L.sM, tc};
    for (i64 pc = 0; pc < C; pc += kb) {
      const i64 kc = std::min(kb, C - pc);
      const bool first = pc == 0, last = pc + kc >= C;
      const float* Ab = U + xi * LU.sU + LU.u_block(pc);
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

/** Interleave the lanes of four vectors: (a0, b0, c0, d0, a1, …) as four vectors at dst. */
inline void store_interleaved4(float* dst, vf a, vf b, vf c, vf d) {
  vf ac0, ac1, bd0, bd1, r0, r1;
  zip_lanes(a, c, ac0, ac1);
  zip_lanes(b, d, bd0, bd1);
  zip_lanes(ac0, bd0, r0, r1);
  storeu(dst, r0);
  storeu(dst + W, r1);
  zip_lanes(ac1, bd1, r0, r1);
  storeu(dst + 2 * W, r0);
  storeu(dst + 3 * W, r1);
}

/**
 * Winograd F(2×2, 3×3): 4×4 patches, 16 products per tile of 4 outputs (2.25× fewer multiplies than the direct
 * sum). Each function works on W tiles at once, one tile per lane.
 */
struct WinoF23 {
  static constexpr int m = 2, alpha = 4, T = 16;
  /** U = G k Gᵀ (u[4·i + j] = U(i, j)) for the 3×3 kernels k (row-major taps), G = [[1,0,0],[½,½,½],[½,−½,½],[0,0,1]]. */
  static void weights(const vf (&k)[9], vf (&u)[T]) {
    const vf half = bcast(0.5f);
    vf t[4][3];
    for (int j = 0; j < 3; j++) {
      t[0][j] = k[j];
      t[1][j] = half * (k[j] + k[3 + j] + k[6 + j]);
      t[2][j] = half * (k[j] - k[3 + j] + k[6 + j]);
      t[3][j] = k[6 + j];
    }
    for (int i = 0; i < 4; i++) {
      u[4 * i + 0] = t[i][0];
      u[4 * i + 1] = half * (t[i][0] + t[i][1] + t[i][2]);
      u[4 * i + 2] = half * (t[i][0] - t[i][1] + t[i][2]);
      u[4 * i + 3] = t[i][2];
    }
  }
  static void inputs(const vf (&d)[4][4], vf (&v)[T]) { transform_patches(d, v); }
  /** dMo = A dY Aᵀ for the W tiles from tile t of two output-gradient rows (tile t's columns at 2t and 2t + 1),
      A = [[1,0],[1,1],[1,−1],[0,−1]]. */
  static void output_gradients(const float* const (&rows)[m], i64 t, vf (&d)[T]) {
    vf e[2], o[2];  // even and odd columns of the tiles' two output rows
    for (int i = 0; i < 2; i++) {
      const vf a = loadu(rows[i] + 2 * t), b = loadu(rows[i] + 2 * t + W);
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
  /** gw (3×3, row-major) = Gᵀ dU G for W kernels. */
  static void weight_gradient(const vf (&u)[T], vf (&k)[9]) {
    const vf half = bcast(0.5f);
    vf z[3][4];  // Gᵀ dU
    for (int j = 0; j < 4; j++) {
      z[0][j] = u[j] + half * (u[4 + j] + u[8 + j]);
      z[1][j] = half * (u[4 + j] - u[8 + j]);
      z[2][j] = half * (u[4 + j] + u[8 + j]) + u[12 + j];
    }
    for (int i = 0; i < 3; i++) {
      k[i * 3 + 0] = z[i][0] + half * (z[i][1] + z[i][2]);
      k[i * 3 + 1] = half * (z[i][1] - z[i][2]);
      k[i * 3 + 2] = half * (z[i][1] + z[i][2]) + z[i][3];
    }
  }
  /** Y = Aᵀ Mo A + b, Aᵀ = [[1,1,1,0],[0,1,−1,−1]]: row i of the W tiles' outputs, tile after tile, to y[i]. */
  static void outputs(const vf (&mo)[T], vf b, float (&y)[m][m * W]) {
    vf s[2][4];
    for (int j = 0; j < 4; j++) {
      s[0][j] = mo[j] + mo[4 + j] + mo[8 + j];
      s[1][j] = mo[4 + j] - mo[8 + j] - mo[12 + j];
    }
    for (int i = 0; i < 2; i++) {
      vf lo, hi;
      zip_lanes(s[i][0] + s[i][1] + s[i][2] + b, s[i][1] - s[i][2] - s[i][3] + b, lo, hi);
      storeu(y[i], lo);
      storeu(y[i] + W, hi);
    }
  }
};

/**
 * Winograd F(4×4, 3×3) (interpolation points 0, ±1, ±2, ∞): 6×6 patches, 36 products per tile of 16 outputs
 * (4× fewer multiplies than the direct sum, 1.78× fewer than F(2×2, 3×3)). The transforms' larger factors
 * cost precision: about 4× F(2×2, 3×3)'s rounding error, a few float32 ulps of the output's scale.
 */
struct WinoF43 {
  static constexpr int m = 4, alpha = 6, T = 36;
  /** G k for one column (or row) of three taps, G = [[¼,0,0],[−⅙,−⅙,−⅙],[−⅙,⅙,−⅙],[1/24,1/12,⅙],[1/24,−1/12,⅙],[0,0,1]]. */
  static void g_column(vf k0, vf k1, vf k2, vf (&o)[6]) {
    const vf outer = k0 + k2, a = k0 * bcast(1.0f / 24) + k2 * bcast(1.0f / 6), b = k1 * bcast(1.0f / 12);
    o[0] = k0 * bcast(0.25f);
    o[1] = (outer + k1) * bcast(-1.0f / 6);
    o[2] = (outer - k1) * bcast(-1.0f / 6);
    o[3] = a + b;
    o[4] = a - b;
    o[5] = k2;
  }
  static void weights(const vf (&k)[9], vf (&u)[T]) {
    vf t[3][6];  // t[j] = G (column j of k)
    for (int j = 0; j < 3; j++) g_column(k[j], k[3 + j], k[6 + j], t[j]);
    for (int i = 0; i < 6; i++) {
      vf r[6];
      g_column(t[0][i], t[1][i], t[2][i], r);
      for (int j = 0; j < 6; j++) u[6 * i + j] = r[j];
    }
  }
  /** Bᵀ z for one column (or row) of six values, Bᵀ = [[4,0,−5,0,1,0],[0,−4,−4,1,1,0],[0,4,−4,−1,1,0],
      [0,−2,−1,2,1,0],[0,2,−1,−2,1,0],[0,4,0,−5,0,1]]. */
  static void bt_column(vf z0, vf z1, vf z2, vf z3, vf z4, vf z5, vf (&o)[6]) {
    const vf four = bcast(4.0f), five = bcast(5.0f), two = bcast(2.0f);
    const vf a = z4 - four * z2, b = z3 - four * z1, c = z4 - z2, e = two * (z3 - z1);
    o[0] = four * z0 - five * z2 + z4;
    o[1] = a + b;
    o[2] = a - b;
    o[3] = c + e;
    o[4] = c - e;
    o[5] = four * z1 - five * z3 + z5;
  }
  /** V = Bᵀ d B (v[6·i + j] = V(i, j)). */
  static void inputs(const vf (&d)[6][6], vf (&v)[T]) {
    vf t[6][6];  // t[k] = Bᵀ (column k of d)
    for (int k = 0; k < 6; k++) bt_column(d[0][k], d[1][k], d[2][k], d[3][k], d[4][k], d[5][k], t[k]);
    for (int i = 0; i < 6; i++) {
      vf r[6];
      bt_column(t[0][i], t[1][i], t[2][i], t[3][i], t[4][i], t[5][i], r);
      for (int j = 0; j < 6; j++) v[6 * i + j] = r[j];
    }
  }
  /** Aᵀ z for six values, Aᵀ = [[1,1,1,1,1,0],[0,1,−1,2,−2,0],[0,1,1,4,4,0],[0,1,−1,8,−8,1]]. */
  static void at_column(vf z0, vf z1, vf z2, vf z3, vf z4, vf z5, vf (&o)[4]) {
    const vf p = z1 + z2, q = z1 - z2, r = z3 + z4, s = z3 - z4;
    o[0] = z0 + p + r;
    o[1] = q + bcast(2.0f) * s;
    o[2] = p + bcast(4.0f) * r;
    o[3] = q + bcast(8.0f) * s + z5;
  }
  static void outputs(const vf (&mo)[T], vf b, float (&y)[m][m * W]) {
    vf t[6][4];  // t[j] = Aᵀ (column j of Mo)
    for (int j = 0; j < 6; j++) at_column(mo[j], mo[6 + j], mo[12 + j], mo[18 + j], mo[24 + j], mo[30 + j], t[j]);
    for (int i = 0; i < 4; i++) {
      vf r[4];
      at_column(t[0][i], t[1][i], t[2][i], t[3][i], t[4][i], t[5][i], r);
      store_interleaved4(y[i], r[0] + b, r[1] + b, r[2] + b, r[3] + b);
    }
  }
  /** A z for four values, A = Aᵀᵀ = [[1,0,0,0],[1,1,1,1],[1,−1,1,−1],[1,2,4,8],[1,−2,4,−8],[0,0,0,1]]. */
  static void a_column(vf z0, vf z1, vf z2, vf z3, vf (&o)[6]) {
    const vf p = z0 + z2, q = z1 + z3, r = z0 + bcast(4.0f) * z2, s = bcast(2.0f) * z1 + bcast(8.0f) * z3;
    o[0] = z0;
    o[1] = p + q;
    o[2] = p - q;
    o[3] = r + s;
    o[4] = r - s;
    o[5] = z3;
  }
  /** dMo = A dY Aᵀ for the W tiles from tile t of four output-gradient rows (tile t's columns at 4t … 4t + 3). */
  static void output_gradients(const float* const (&rows)[m], i64 t, vf (&d)[T]) {
    vf y[4][4];  // y[i][j]: row i, column j of the tiles' output gradients
    for (int i = 0; i < 4; i++) load_columns4(rows[i] + 4 * t, y[i]);
    vf z[4][6];  // z[j] = A (column j of dY)
    for (int j = 0; j < 4; j++) a_column(y[0][j], y[1][j], y[2][j], y[3][j], z[j]);
    for (int i = 0; i < 6; i++) {
      vf o[6];
      a_column(z[0][i], z[1][i], z[2][i], z[3][i], o);
      for (int j = 0; j < 6; j++) d[6 * i + j] = o[j];
    }
  }
  /** Gᵀ z for six values (G as g_column's). */
  static void gt_column(vf z0, vf z1, vf z2, vf z3, vf z4, vf z5, vf (&o)[3]) {
    const vf sixth = bcast(1.0f / 6);
    o[0] = bcast(0.25f) * z0 - sixth * (z1 + z2) + bcast(1.0f / 24) * (z3 + z4);
    o[1] = sixth * (z2 - z1) + bcast(1.0f / 12) * (z3 - z4);
    o[2] = sixth * (z3 + z4 - z1 - z2) + z5;
  }
  /** gw (3×3, row-major) = Gᵀ dU G for W kernels. */
  static void weight_gradient(const vf (&u)[T], vf (&k)[9]) {
    vf t[6][3];  // t[j] = Gᵀ (column j of dU)
    for (int j = 0; j < 6; j++) gt_column(u[j], u[6 + j], u[12 + j], u[18 + j], u[24 + j], u[30 + j], t[j]);
    for (int i = 0; i < 3; i++) {
      vf o[3];
      gt_column(t[0][i], t[1][i], t[2][i], t[3][i], t[4][i], t[5][i], o);
      for (int j = 0; j < 3; j++) k[i * 3 + j] = o[j];
    }
  }
};

/** V for the W tiles from tile t of one channel's rows: a strip (F(2×2, 3×3) rows of whole vectors of tiles,
    Wp apart) or TileRowPatches' layout. */
template <class Wv>
inline void input_tiles(const float* X, bool strips, i64 Wp, const TileRowPatches<Wv::m>& P, i64 t, vf (&v)[Wv::T]) {
  if constexpr (Wv::m == 2) {
    if (strips) return input_transform(X, Wp, t, v);
  }
  vf d[Wv::alpha][Wv::alpha];
  P.load(X, t, d);
  Wv::inputs(d, v);
}

/**
 * U[ξ] = (G g Gᵀ)[ξ] into U (laid out as LU) for its MRk-row panels [p0, p1): layout row r holds output channel
 * mBase + r (rows past M are zero). zeroIfFinite accumulates Σ k·0 over every kernel read (NaN if one holds inf
 * or NaN).
 */
template <class Wv, int MRk>
void winograd_weights(const float* w, const ConvGeom& g, bool flipped, const WinoLayout<MRk>& LU, float* U, i64 mBase,
                      i64 p0, i64 p1, vf& zeroIfFinite) {
  constexpr int T = Wv::T;
  const i64 C = g.inC, M = g.outC;
  const float* const wEnd = w + M * C * 9;
  // Each ξ's panel of a depth block is one run of floats, (channel, row) after (channel, row): W of them at
  // a time, lane l taking the kernel of element e + l. The lanes' kernels (9 taps, 9·C or 9·M floats apart)
  // load as the rows of W×W blocks that a transpose turns into one vector per tap.
  constexpr int blocks = (9 + W - 1) / W;
  auto pack = [&](i64 m0, i64 pc, i64 n, i64 e) {
    vf r[blocks][W];
    for (int l = 0; l < W; l++) {
      const i64 el = e + l, c = pc + el / MRk, mo = mBase + m0 + el % MRk;
      const float* kp = el >= n || mo >= M ? nullptr : flipped ? w + (c * M + mo) * 9 : w + (mo * C + c) * 9;  // flipped: w[c][m], 180°
      for (int bl = 0; bl < blocks; bl++) {
        const float* src = kp + bl * W;
        if (kp && src + W <= wEnd) {
          r[bl][l] = loadu(src);
        } else {  // a padding row, or a vector past the end of w
          alignas(64) float tail[W] = {};
          if (kp) std::memcpy(tail, src, sizeof(float) * std::min<i64>(W, wEnd - src));
          r[bl][l] = loadu(tail);
        }
      }
    }
    for (int bl = 0; bl < blocks; bl++) transpose_block(r[bl]);
    vf k[9], u[T];
    for (int j = 0; j < 9; j++) {
      const int tap = flipped ? 8 - j : j;
      k[j] = r[tap / W][tap % W];
    }
    for (int j = 0; j < 9; j++) zeroIfFinite += k[j] * vf{};
    Wv::weights(k, u);
    const i64 at = LU.u_index(m0, pc) + e, count = std::min<i64>(W, n - e), sU = LU.sU;
    float* const dst0 = U + at;  // (locals: stores through float* would otherwise reload them)
    for (int xi = 0; xi < T; xi++) {
      float* dst = dst0 + xi * sU;
      if (count == W) {
        storeu(dst, u[xi]);
      } else {
        alignas(64) float run[W];
        storeu(run, u[xi]);
        std::memcpy(dst, run, sizeof(float) * count);
      }
    }
  };
  // The loops read w along its rows: a panel's rows (w[m][c], a few sequential streams) in the inner loop,
  // or the panels (w[c][m]: one stream). Reading a flipped w panel by panel (every vector 9·M floats on)
  // made the backward-input pass of 512 channels at 4×4 10% slower; the other way round, the forward 30%.
  constexpr i64 kAhead = 4;  // steps of W elements between a prefetch and the read
  for (i64 pc = 0; pc < C; pc += LU.kb) {
    const i64 n = std::min(LU.kb, C - pc) * MRk;  // a panel's elements in this depth block
    if (flipped) {
      // Each step reads the panels' kernels of W / MRk (≤ 2) channels, one run of floats per channel: those of
      // the channels kAhead steps on are prefetched.
      const i64 cEnd = pc + n / MRk, r0 = mBase + p0 * MRk, r1 = std::min(M, mBase + p1 * MRk);
      for (i64 e = 0; e < n; e += W) {
        for (i64 c = pc + (e + kAhead * W) / MRk, k = 0; k < 2 && c < cEnd; c++, k++)
          for (const float *p = w + (c * M + r0) * 9, *end = w + (c * M + r1) * 9; p < end; p += 16) __builtin_prefetch(p);
        for (i64 m0 = p0 * MRk; m0 < p1 * MRk; m0 += MRk) pack(m0, pc, n, e);
      }
    } else {
      // The panel's MRk rows are read W / MRk kernels at a time: prefetched kAhead calls on (loads waiting
      // for w took a third of the transform; 512 channels at 4×4: 3.2 → 2.7 ms, 256 at 8×8: 3.1 → 2.4 ms).
      const i64 cEnd = pc + n / MRk;
      for (i64 m0 = p0 * MRk; m0 < p1 * MRk; m0 += MRk) {
        const i64 rows = std::min<i64>(MRk, M - mBase - m0);
        for (i64 e = 0; e < n; e += W) {
          const i64 cAhead = pc + (e + kAhead * W) / MRk;
          if (cAhead < cEnd)
            for (i64 r = 0; r < rows; r++) {
              const char* p = reinterpret_cast<const char*>(w + ((mBase + m0 + r) * C + cAhead) * 9);
              __builtin_prefetch(p);
              __builtin_prefetch(p + 64);
            }
          pack(m0, pc, n, e);
        }
      }
    }
  }
}

/** Whether a thread's Σ v·0 says that every value it read was finite. */
inline void note_finite(vf zeroIfFinite, std::atomic<bool>& finite) {
  float sum = 0;
  for (int l = 0; l < W; l++) sum += zeroIfFinite[l];
  if (sum != 0.0f) finite.store(false, std::memory_order_relaxed);
}

/** The tiles of all images. */
template <class Wv>
i64 winograd_tiles(const ConvGeom& g) {
  return g.n * ceil_div(g.outH, Wv::m) * ceil_div(g.outW, Wv::m);
}

/** Tile rows per chunk of the forward pass (see winograd_forward_mr). */
template <class Wv>
i64 winograd_chunk_rows(const ConvGeom& g) {
  const i64 C = g.inC, M = g.outC, tW = ceil_div(g.outW, Wv::m);
  // Chunks of tile rows: V and Mo of a chunk (T·(C + M) floats per tile) should stay in L2, but
  // a chunk needs enough tiles to pay for streaming all of U past them (T·M·C floats).
  const i64 perRow = Wv::T * (C + M) * tW;
  // (At least 48 tiles: three NR-wide panels keep the micro-kernels busy between U panels.)
  i64 chunkRows = std::max({(i64(96) << 10) / perRow, ceil_div(48, tW), ceil_div(M * C / 2048, tW)});
  // A chunk of whole NR-wide panels where at most twice the rows give one: the products' last panel
  // would otherwise be part empty (48 tiles = 1.5 panels of 32 ran the 3×3 layers of a CIFAR
  // ResNet-18 at 64–128 channels 25–30% slower).
  const i64 panelRows = NR / std::gcd(i64(NR), tW);
  if (round_up(chunkRows, panelRows) <= 2 * chunkRows) chunkRows = round_up(chunkRows, panelRows);
  return chunkRows;
}

/**
 * Whether the forward pass streams its weights (transforming U a block of output channels at a time, just before
 * that block's products) rather than transforming all of U first: when all tiles fit one chunk and are few next to
 * the output channels. All of U (T·M·C floats: 38 MB for F(4×4, 3×3) at 512 channels) would otherwise be written
 * to memory and read back, while the tiles' V (T·C·tiles floats), read again for each block, stays in L3.
 */
template <class Wv>
bool winograd_streams_weights(const ConvGeom& g) {
  return g.n * ceil_div(g.outH, Wv::m) <= winograd_chunk_rows<Wv>(g) && winograd_tiles<Wv>(g) * 4 <= g.outC;
}

thread_local Scratch tlsWinoUBlock;

template <class Wv, int MRk>
bool winograd_forward_mr(const float* x, const float* w, const float* bias, const ConvGeom& g, float* out, bool flipped,
                         const ConvPost* post) {
  constexpr int m = Wv::m, T = Wv::T;
  const i64 C = g.inC, M = g.outC, tH = ceil_div(g.outH, m), tW = ceil_div(g.outW, m), tiles = tH * tW;
  const i64 inHW = g.inH * g.inW, outHW = g.outH * g.outW, rowsAll = g.n * tH;
  const float* const xEnd = x + g.n * C * inHW;
  const i64 chunkRows = winograd_chunk_rows<Wv>(g);
  const int nt = threads_for(2.0 * T * static_cast<double>(M) * C * tiles * g.n / 40.0, 15000.0);
  const bool streamWeights = winograd_streams_weights<Wv>(g);
  const bool imageSplit = !streamWeights && nt > 1 && g.n >= nt;
  std::atomic<bool> weightsFinite{true};
  // Inf or NaN inputs: the transforms would spread them (a NaN where the direct sum gives ±inf). Weights are
  // checked as their transform reads them, inputs as theirs does (a separate pass over x cost up to 5% of a
  // layer): Σ_ξ V[ξ]·0 over every tile is NaN if one holds inf or NaN (or if the sum overflows: then the
  // caller's other method is merely unneeded).
  std::atomic<bool> inputsFinite{true};
  // Weights: U[ξ][m][c] = (G g Gᵀ)[ξ], all of them first unless they are streamed.
  float* U = nullptr;
  if (!streamWeights) {
    const WinoLayout<MRk> LU(M, C, chunkRows * tW);
    U = tlsWinoU.get(static_cast<size_t>(T * LU.sU));
    parallel(threads_for(static_cast<double>(M) * C * T, 20000.0), [&](int tid, int nth) {
      i64 p0, p1;
      split_range(LU.Mpad / MRk, nth, tid, p0, p1);
      vf zeroIfFinite = vf{};
      winograd_weights<Wv, MRk>(w, g, flipped, LU, U, 0, p0, p1, zeroIfFinite);
      note_finite(zeroIfFinite, weightsFinite);
    });
    if (!weightsFinite.load()) return false;
  }
  // V for the global tile rows [ra, ra + nr) (row r: image r / tH, tile row r % tH), laid out as L.
  auto transform_inputs = [&](i64 ra, i64 nr, const WinoLayout<MRk>& L, float* V) {
    const i64 tc = nr * tW;
    // Input transform, a group of tile rows and a channel at a time, W consecutive tiles of the chunk per
    // vector: F(2×2, 3×3) rows of whole vectors from a zero-padded strip of 4 input rows (no copy to
    // rearrange), other rows (narrower, or F(4×4, 3×3)) a vector across tile rows, from TileRowPatches. Each
    // run of W tiles lies inside one NR panel (NR is a multiple of W); panel columns past the last tile are
    // read by the products, so they get zeros (not NaN).
    static_assert(NR % W == 0, "a run of W tiles lies inside one panel");
    const bool strips = m == 2 && tW % W == 0;
    const i64 groupRows = W / std::gcd(i64(W), tW), groups = ceil_div(nr, groupRows);
    const TileRowPatches<m> P(groupRows * tW);
    const i64 Wp = 2 * tW + 2 + W;  // a strip's row (the last vector's over-read stays inside)
    parallel(threads_for(static_cast<double>(nr) * C * tW * 6 * T / m, 20000.0), [&](int tid, int nth) {
      i64 q0, q1;
      split_range(groups * C, nth, tid, q0, q1);
      float* X = tlsWinoPlane.get(static_cast<size_t>(strips ? 4 * Wp : 2 * P.R * P.stride));
      const i64 sV = L.sV;
      // Patches: the input rows of item q + kAhead, prefetched (items step from plane to plane, more
      // interleaved streams than the hardware prefetchers follow).
      constexpr i64 kAhead = 6;
      auto prefetch_item = [&](i64 q) {
        const i64 grp = q / C, c = q - grp * C, lr0 = grp * groupRows;
        P.prefetch(x, C, c, ra + lr0, std::min(groupRows, nr - lr0), tH, g);
      };
      if (!strips)
        for (i64 q = q0; q < std::min(q1, q0 + kAhead); q++) prefetch_item(q);
      vf zeroIfFinite = vf{};
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
          vf v[T];
          input_tiles<Wv>(X, strips, Wp, P, tl - t0, v);
          float* dst = dst0 + L.v_tile(tl, kcb);
          vf sum = v[0];
#pragma GCC unroll 36
          for (int xi = 0; xi < T; xi++) {
            storeu(dst + xi * sV, v[xi]);
            if (xi) sum += v[xi];
          }
          zeroIfFinite += sum * vf{};
        }
        if (t1 == tc)
          for (i64 tl = round_up(tc, W); tl < L.panels * NR; tl += W) {
            float* dst = dst0 + L.v_tile(tl, kcb);
            for (int xi = 0; xi < T; xi++) storeu(dst + xi * sV, vf{});
          }
      }
      note_finite(zeroIfFinite, inputsFinite);
    });
  };
  // out for those rows from their Mo.
  auto transform_outputs = [&](i64 ra, i64 nr, const WinoLayout<MRk>& L, const float* Mo) {
    const i64 tc = nr * tW;
    // Output transform: Y = Aᵀ Mo A + bias, one output channel at a time, W consecutive tiles of the chunk
    // per vector (their output rows then go to each tile row's place).
    parallel(threads_for(static_cast<double>(nr) * M * tW * 5 * T / m, 20000.0), [&](int tid, int nth) {
      i64 m0, m1;
      split_range(M, nth, tid, m0, m1);
      alignas(64) float y[m][m * W];
      for (i64 oc = m0; oc < m1; oc++) {
        const vf b = bcast(bias ? bias[oc] : 0.0f);
        for (i64 tl = 0; tl < tc; tl += W) {
          vf mv[T];
          for (int xi = 0; xi < T; xi++) mv[xi] = loadu(Mo + xi * L.sM + oc * tc + tl);
          Wv::outputs(mv, b, y);
          // Tiles [t, te) of one tile row at a time.
          for (i64 t = tl, tEnd = std::min(tc, tl + W); t < tEnd;) {
            const i64 lr = t / tW, tw = t - lr * tW, te = std::min(tEnd, (lr + 1) * tW);
            const i64 img = (ra + lr) / tH, th = (ra + lr) - img * tH;
            float* o = out + (img * M + oc) * outHW + m * tw;
            const i64 n = std::min(m * (te - t), g.outW - m * tw);
            for (int i = 0; i < m && m * th + i < g.outH; i++) {
              float* row = o + (m * th + i) * g.outW;
              const float* from = y[i] + m * (t - tl);
              // Whole vectors, then the rest (a library memcpy call for 32 floats cost ~4% of a layer).
              i64 v = 0;
              for (; v + W <= n; v += W) storeu(row + v, loadu(from + v));
              if (v < n) std::memcpy(row + v, from + v, sizeof(float) * (n - v));
            }
            t = te;
          }
        }
        // Channel oc's output rows of the chunk are complete.
        if (post)
          for (i64 lr = 0; lr < nr; lr++) {
            const i64 img = (ra + lr) / tH, th = (ra + lr) - img * tH;
            post->run(out + (img * M + oc) * outHW + m * th * g.outW, 0, 1, std::min<i64>(m, g.outH - m * th) * g.outW, oc);
          }
      }
    });
  };
  auto run_rows = [&](i64 r0, i64 r1) {
    for (i64 ra = r0; ra < r1; ra += chunkRows) {
      const i64 nr = std::min(chunkRows, r1 - ra), tc = nr * tW;
      const WinoLayout<MRk> L(M, C, tc);
      float* V = tlsWinoV.get(static_cast<size_t>(T * L.sV + W));
      float* Mo = tlsWinoM.get(static_cast<size_t>(T * L.sM + 2 * W));
      transform_inputs(ra, nr, L, V);
      // The T products over channels.
      const int pn = threads_for(2.0 * T * static_cast<double>(M) * C * tc / 40.0, 15000.0);
      parallel(pn, [&](int tid, int nth) {
        i64 x0, x1;
        split_range(T, nth, tid, x0, x1);
        winograd_products<MRk>(L, L, U, V, Mo, x0, x1);
      });
      transform_outputs(ra, nr, L, Mo);
    }
  };
  if (streamWeights) {
    // One chunk; the products a block of output channels at a time, whose U each thread transforms into
    // a block that stays in its L2 just before multiplying it.
    const i64 tc = rowsAll * tW;
    const WinoLayout<MRk> L(M, C, tc);
    float* V = tlsWinoV.get(static_cast<size_t>(T * L.sV + W));
    float* Mo = tlsWinoM.get(static_cast<size_t>(T * L.sM + 2 * W));
    transform_inputs(0, rowsAll, L, V);
    const i64 Mb = 2 * MRk, blocks = ceil_div(M, Mb);  // (1 to 8 panels: within noise; U of 2 is 1.2 MB at 512 channels)
    parallel(threads_for(2.0 * T * static_cast<double>(M) * C * tc / 40.0, 15000.0), [&](int tid, int nth) {
      i64 b0, b1;
      split_range(blocks, nth, tid, b0, b1);
      float* Ub = tlsWinoUBlock.get(static_cast<size_t>(T * WinoLayout<MRk>(Mb, C, tc).sU));
      vf zeroIfFinite = vf{};
      for (i64 b = b0; b < b1; b++) {
        const i64 m0 = b * Mb;
        const WinoLayout<MRk> LB(std::min(Mb, M - m0), C, tc);
        winograd_weights<Wv, MRk>(w, g, flipped, LB, Ub, m0, 0, LB.Mpad / MRk, zeroIfFinite);
        winograd_products<MRk>(LB, L, Ub, V, Mo + m0 * tc, 0, T);
      }
      note_finite(zeroIfFinite, weightsFinite);
    });
    transform_outputs(0, rowsAll, L, Mo);
  } else if (imageSplit) {
    // Enough images: each thread transforms and multiplies its own images (which the previous
    // kernel wrote on that thread, and the next one reads there), with single-threaded GEMMs.
    parallel(nt, [&](int tid, int nth) {
      i64 n0, n1;
      split_range(g.n, nth, tid, n0, n1);
      run_rows(n0 * tH, n1 * tH);
    });
  } else {
    run_rows(0, rowsAll);
  }
  return weightsFinite.load() && inputsFinite.load();
}

/**
 * Whether F(4×4, 3×3) beats F(2×2, 3×3): outputs of at least 8×8, or maps of 3×3 to 4×4 (one 4×4 tile per image
 * and channel pair: 36 products where F(2×2, 3×3) needs 64) with at least a whole panel of images (fewer leave
 * most of each panel empty: with 8 images, 512 channels at 4×4 took twice as long as F(2×2, 3×3)).
 * STRATA_WINOGRAD43=0 turns it off.
 */
inline bool winograd43_worthwhile(const ConvGeom& g) {
  static const bool off = std::getenv("STRATA_WINOGRAD43") && std::getenv("STRATA_WINOGRAD43")[0] == '0';
  if (off) return false;
  const bool oneTile = g.outH >= 3 && g.outH <= 4 && g.outW >= 3 && g.outW <= 4;
  return (g.outH >= 8 && g.outW >= 8) || (oneTile && g.n >= NR);
}

/** The forward convolution; with `flipped`, w is the weight of the transposed convolution
    (w[c][m] rotated by 180°: the backward-input pass of a stride-1 layer, without a flipped copy).
    False when w or x holds inf or NaN (out then holds nothing useful; nothing written when it is w): the caller
    then uses another method, which writes all of out. */
bool winograd_forward(const float* x, const float* w, const float* bias, const ConvGeom& g, float* out, bool flipped = false,
                      const ConvPost* post = nullptr) {
  const bool f43 = winograd43_worthwhile(g);
  if constexpr (MR2 > 0) {
    if (use_alt_mr(g.outC)) {
      constexpr int mr2 = MR2 == 0 ? 1 : MR2;
      if (f43) return winograd_forward_mr<WinoF43, mr2>(x, w, bias, g, out, flipped, post);
      return winograd_forward_mr<WinoF23, mr2>(x, w, bias, g, out, flipped, post);
    }
  }
  if (f43) return winograd_forward_mr<WinoF43, MR>(x, w, bias, g, out, flipped, post);
  return winograd_forward_mr<WinoF23, MR>(x, w, bias, g, out, flipped, post);
}

// ---- weight gradient ------------------------------------------------------------------------------
//
// With Y = Aᵀ [Σ_c U ⊙ V] A per tile, dU[ξ] (M × C) = Σ_tiles dMo[ξ] (M × tiles) · V[ξ]ᵀ, where
// dMo = A dY Aᵀ (the m×m output gradient of a tile spread over the patch's α×α), and dW = Gᵀ dU G: again
// T products with fewer FLOPs than the direct sum, whose depth is the tile count.

thread_local Scratch tlsWinoDU;

/** TileRowPatches' counterpart for output gradients: row i < STEP of G holds, tile row after tile row, output-
    gradient row STEP·th + i (STEP·tW columns, zeros past the plane's edges). */
template <int STEP>
struct TileRowGradients {
  i64 stride;  // between the rows of G
  explicit TileRowGradients(i64 tiles) : stride(round_up(tiles, W) * STEP + W) {}
  /** G for channel m of global tile rows [ra, ra + nr); `end`: the end of gy. */
  void fill(float* G, const float* gy, const float* end, i64 M, i64 m, i64 ra, i64 nr, i64 tH, i64 tW,
            const ConvGeom& g) const {
    TileRowPatches<STEP>::template gather<STEP, 1>(G, stride, gy, end, M, m, g.outH, g.outW, 0, {0}, ra, nr, tH, tW);
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
  /** Rows [m0, m1) of dU[ξ] (row m0 at dU, C floats apart), set (`first`) or accumulated: dMo[ξ] · V[ξ]ᵀ over
      the tiles, micro-tiles straight over the panels (their padding rows and columns are never stored). */
  void products(const float* dMo, const float* V, i64 xi, i64 m0, i64 m1, i64 C, float* dU, bool first) const {
    const Epi e;
    const PlainC cp{dU, C};
    for (i64 pc = 0; pc < tiles; pc += kb) {
      const i64 kc = std::min(kb, tiles - pc);
      const float* Ab = dMo + xi * sA + pc * Mpad;
      const float* Bb = V + xi * sB + pc * Cpad;
      for (i64 jr = 0; jr < C; jr += NR)
        for (i64 ir = m0; ir < m1; ir += MR)
          micro_tile<MR>(kc, Ab + (ir / MR) * kc * MR, Bb + (jr / NR) * kc * NR, cp, ir - m0, jr,
                         static_cast<int>(std::min<i64>(MR, m1 - ir)), static_cast<int>(std::min<i64>(NR, C - jr)), e,
                         first && pc == 0, pc + kc >= tiles);
    }
  }
  /**
   * Store a block of B ≤ W channels (rows c0 … c0 + B − 1 of one R-row panel) for tiles t0 … t0 + n − 1:
   * s[ξ][k] holds channel c0 + k's transform values over W tiles, transposed here so that each tile's
   * B channels are one contiguous run of its panel (a store per tile, not one per value).
   */
  template <int R, int B, int T>
  void store_block(float* dst, i64 stride, i64 rowsPad, i64 c0, i64 t0, vf (&s)[T][W], i64 n) const {
    static_assert(B <= W && R % B == 0, "a block lies inside one panel");
    const i64 i0 = panel_index<R>(c0, t0, kb, tiles, rowsPad);
    const bool oneBlock = t0 / kb == (t0 + n - 1) / kb;  // then tile t0 + l is at i0 + l·R
    for (int xi = 0; xi < T; xi++) {
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
 * Whether the weight gradient streams dU (see winograd_backward_weight_as): few tiles next to the output channels,
 * so that dU (T·M·C floats, the products' output) is the big operand, and all tiles' V and dMo (T·(C + M) floats
 * per tile) within 32 MB, read again for each block of dU. 512 channels at 4×4, 2 threads: 32 images 5.9 → 2.9 ms,
 * 128 images 23.7 → 11.3 ms (against the GEMM).
 */
template <class Wv>
bool winograd_streams_weight_gradient(const ConvGeom& g) {
  const i64 tiles = winograd_tiles<Wv>(g);
  return tiles * Wv::T * (g.inC + g.outC) <= (i64(8) << 20) && tiles * 4 <= g.outC;
}

/**
 * gw = ∂L/∂w of a Winograd-eligible convolution. Returns false (writing nothing) when x or gy
 * hold inf or NaN: the transforms would turn ±inf into NaN where the direct sum keeps ±inf.
 */
template <class Wv>
bool winograd_backward_weight_as(const float* gy, const float* x, const ConvGeom& g, float* gw) {
  constexpr int m = Wv::m, T = Wv::T;
  const i64 C = g.inC, M = g.outC, tH = ceil_div(g.outH, m), tW = ceil_div(g.outW, m);
  const i64 inHW = g.inH * g.inW, outHW = g.outH * g.outW;
  // Chunks of tile rows whose V and dMo (T·(C + M) floats per tile) stay within ~4 MB: the
  // products' depth is the chunk's tile count, so chunks are larger than the forward's.
  const i64 chunkRows = std::max<i64>(1, (i64(1) << 20) / (T * (C + M) * tW));
  const int nt = threads_for(2.0 * T * static_cast<double>(M) * C * tH * tW * g.n / 40.0, 15000.0);
  const i64 rowsAll = g.n * tH;
  const bool streamDU = winograd_streams_weight_gradient<Wv>(g);
  const bool imageSplit = !streamDU && nt > 1 && g.n >= nt;
  const i64 sD = round_up(M * C, 1024) + 16;  // one dU[ξ]
  const float* const xEnd = x + g.n * C * inHW;
  const float* const gyEnd = gy + g.n * M * outHW;
  // As the forward's input transform: F(2×2, 3×3) rows of whole vectors of tiles straight from strips (input)
  // or from the plane (output gradient), other rows a vector across tile rows (TileRowPatches / TileRowGradients).
  const bool strips = m == 2 && tW % W == 0, gradStrips = strips && g.outW == 2 * tW;  // (an odd width would over-read)
  const i64 groupRows = W / std::gcd(i64(W), tW);
  const TileRowPatches<m> P(groupRows * tW);
  const TileRowGradients<m> Q(groupRows * tW);
  const i64 Wp = 2 * tW + 2 + W;  // a strip's row
  const i64 perChannel = std::max({strips ? 4 * Wp : 2 * P.R * P.stride, m * Q.stride, 2 * tW + W});
  static_assert(MR <= W && NR % W == 0, "transform blocks: MR output channels or W input channels");
  const i64 vBlocks = ceil_div(C, W), blocks = vBlocks + ceil_div(M, MR);
  // V[ξ]ᵀ and dMo[ξ] of the global tile rows [ra, ra + nr), laid out as L.
  auto transform_chunk = [&](i64 ra, i64 nr, const WinoGradLayout& L, float* V, float* dMo) {
    // V[ξ]ᵀ and dMo[ξ] in panels, one (group of tile rows, block of channels) at a time: W input
    // channels (inside one NR panel of V) or MR output-gradient channels (one panel of dMo).
    const i64 groups = ceil_div(nr, groupRows);
    parallel(threads_for(static_cast<double>(nr) * (C + M) * tW * 6 * T / m, 20000.0), [&](int tid, int nth) {
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
        // Where channel k's output-gradient rows start (F(2×2) strips: straight from the plane).
        const float* gr[W][m];
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
            for (int i = 0; i < m; i++) gr[k][i] = at + i * Q.stride;
          }
        }
        for (i64 tl = t0; tl < t1; tl += W) {
          vf s[T][W];
          for (i64 k = 0; k < W; k++) {
            vf v[T] = {};
            if (k < nc) {
              if (input) input_tiles<Wv>(buf + k * perChannel, strips, Wp, P, tl - t0, v);
              else Wv::output_gradients(gr[k], tl - t0, v);
            }
            for (int xi = 0; xi < T; xi++) s[xi][k] = v[xi];
          }
          const i64 n = std::min<i64>(W, t1 - tl);
          if (input) L.store_block<NR, W, T>(V, L.sB, L.Cpad, c0, tl, s, n);
          else L.store_block<MR, MR, T>(dMo, L.sA, L.Mpad, c0, tl, s, n);
        }
      }
    });
  };
  // gw for the kernels [q0, q1) (q = m·C + c) from T·sD-strided sums of dU parts (the parts end at least W floats
  // past their last kernel, so a last partial vector reads inside them).
  static_assert(W <= 16, "a dU slot's padding holds a vector's over-read");
  auto store_gw = [&](const float* const* parts, size_t nParts, i64 sD, i64 q0, i64 q1, float* gwAt) {
    for (i64 q = q0; q < q1; q += W) {
      vf u[T], k[9];
      for (int xi = 0; xi < T; xi++) {
        vf sum = {};
        for (size_t t = 0; t < nParts; t++)
          if (parts[t]) sum += loadu(parts[t] + xi * sD + q);
        u[xi] = sum;
      }
      Wv::weight_gradient(u, k);
      alignas(64) float taps[9][W];
      for (int j = 0; j < 9; j++) storeu(taps[j], k[j]);
      const i64 count = std::min<i64>(W, q1 - q);
      for (i64 l = 0; l < count; l++)
        for (int j = 0; j < 9; j++) gwAt[(q + l) * 9 + j] = taps[j][l];
    }
  };
  // Whether x and gy of the images [n0, n1) are finite (else the transforms would turn ±inf into NaN).
  auto images_finite = [&](i64 n0, i64 n1) {
    return all_finite(x + n0 * C * inHW, (n1 - n0) * C * inHW) && all_finite(gy + n0 * M * outHW, (n1 - n0) * M * outHW);
  };
  if (streamDU) {
    // All tiles in one chunk, then dU a block of output channels at a time, each block's gw made from it while
    // it is in L2 (its dU, T·Mb·C floats, is never written to memory).
    if (!images_finite(0, g.n)) return false;
    const i64 tc = rowsAll * tW;
    const WinoGradLayout L(M, C, tc);
    float* V = tlsWinoV.get(static_cast<size_t>(T * L.sB));
    float* dMo = tlsWinoM.get(static_cast<size_t>(T * L.sA));
    transform_chunk(0, rowsAll, L, V, dMo);
    const i64 Mb = 2 * MR, blocks = ceil_div(M, Mb), sDb = round_up(Mb * C, 1024) + 16;
    parallel(threads_for(T * static_cast<double>(M) * C * tc / 40.0, 20000.0), [&](int tid, int nth) {
      i64 b0, b1;
      split_range(blocks, nth, tid, b0, b1);
      float* dU = tlsWinoDU.get(static_cast<size_t>(T * sDb));
      for (i64 b = b0; b < b1; b++) {
        const i64 m0 = b * Mb, m1 = std::min(M, m0 + Mb);
        for (int xi = 0; xi < T; xi++) L.products(dMo, V, xi, m0, m1, C, dU + xi * sDb, true);
        const float* part = dU;
        store_gw(&part, 1, sDb, 0, (m1 - m0) * C, gw + m0 * C * 9);
      }
    });
    return true;
  }
  // One dU per task, not per thread: any pool thread may run any task (several, one after another).
  const int slots = imageSplit ? nt : 1;
  float* dUs = tlsWinoDU.get(static_cast<size_t>(slots) * T * sD);
  Buf<float*> partial(static_cast<size_t>(slots), nullptr);
  std::atomic<bool> finite{true};
  // dU over the images [n0, n1) into its task's slot (or nothing when a value is not finite).
  auto run_images = [&](i64 n0, i64 n1, int slot) {
    if (!images_finite(n0, n1)) {
      finite = false;
      return;
    }
    float* dU = dUs + static_cast<i64>(slot) * T * sD;
    partial[static_cast<size_t>(slot)] = dU;
    for (i64 ra = n0 * tH; ra < n1 * tH; ra += chunkRows) {
      const i64 nr = std::min(chunkRows, n1 * tH - ra), tc = nr * tW;
      const WinoGradLayout L(M, C, tc);
      float* V = tlsWinoV.get(static_cast<size_t>(T * L.sB));
      float* dMo = tlsWinoM.get(static_cast<size_t>(T * L.sA));
      transform_chunk(ra, nr, L, V, dMo);
      // dU[ξ] (+)= dMo[ξ] · V[ξ]ᵀ.
      const bool firstChunk = ra == n0 * tH;
      parallel(threads_for(T * static_cast<double>(M) * C * tc / 40.0, 20000.0), [&](int tid, int nth) {
        i64 x0, x1;
        split_range(T, nth, tid, x0, x1);
        for (i64 xi = x0; xi < x1; xi++) L.products(dMo, V, xi, 0, M, C, dU + xi * sD, firstChunk);
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
  // gw = Gᵀ (Σ_threads dU) G, W kernels at a time.
  parallel(threads_for(static_cast<double>(M) * C * 2.5 * T, 20000.0), [&](int tid, int nth) {
    i64 v0, v1;
    split_range(ceil_div(M * C, W), nth, tid, v0, v1);
    store_gw(partial.data(), partial.size(), sD, v0 * W, std::min(v1 * W, M * C), gw);
  });
  return true;
}

bool winograd_backward_weight(const float* gy, const float* x, const ConvGeom& g, float* gw) {
  // F(4×4, 3×3) from 16×16 outputs: 2 threads, 32 images, 64 channels at 32×32 4.8 → 4.4 ms and 128 at 16×16
  // 3.9 → 2.8 ms, but 256 at 8×8 3.8 → 4.5 ms (each thread's dU, 36·M·C floats, then outgrows the caches).
  // Maps of one F(4×4) tile stream dU instead (see winograd43_worthwhile).
  if (winograd43_worthwhile(g) && ((g.outH >= 16 && g.outW >= 16) || (g.outH <= 4 && winograd_streams_weight_gradient<WinoF43>(g))))
    return winograd_backward_weight_as<WinoF43>(gy, x, g, gw);
  return winograd_backward_weight_as<WinoF23>(gy, x, g, gw);
}

/** Whether the weight gradient runs as Winograd: maps of 8×8 or more, or smaller ones whose dU streams. */
inline bool winograd_backward_weight_worthwhile(const ConvGeom& g) {
  return winograd_worthwhile(g) && (g.outH * g.outW >= 64 || winograd_streams_weight_gradient<WinoF23>(g) ||
                                    (winograd43_worthwhile(g) && winograd_streams_weight_gradient<WinoF43>(g)));
}
