// Direct convolution for stride 1 and few output channels (LeNet-sized layers),
// included by impl_gemm.h inside its per-ISA anonymous namespace.
//
// With few output channels the implicit GEMM spends most of its time packing
// the im2col panel, each value of which then feeds only M FMAs. Here the input
// image is instead copied once into a zero-bordered plane of width
// Wp = inW + 2·pW, so that tap (c, kh, kw) of output pixel (oh, ow) sits at the
// flat position (oh·Wp + ow) + c·J + kh·dH·Wp + kw·dW: for every tap, NR
// consecutive output positions are ONE contiguous vector load at a fixed
// offset, and the micro-kernel reads B straight from the padded plane, never
// packed. Flat positions with ow ≥ outW are computed and dropped (a waste of
// (Wp − outW)/Wp, bounded by direct_worthwhile).

/** Geometry of the padded flat layout of one image. */
struct DirectLayout {
  i64 C, H, Wd, pH, pW;  // input channels, size, padding
  i64 Hp, Wp, J;         // padded plane: Hp × Wp = J floats
  i64 M, outH, outW;     // output channels and size
  i64 kH, kW, dH;        // kernel size, row dilation
  i64 taps;              // C·kH·kW
  i64 rowsLen;           // outH·Wp: the flat positions that hold every output pixel
  i64 reach;             // largest tap offset: (C−1)·J + (kH−1)·dH·Wp + (kW−1)·dW
  Buf<i64> offs;         // offset of every tap (c, kh, kw), in weight order

  explicit DirectLayout(const ConvGeom& g) {
    C = g.inC;
    H = g.inH;
    Wd = g.inW;
    pH = g.pH;
    pW = g.pW;
    Hp = g.inH + 2 * g.pH;
    Wp = g.inW + 2 * g.pW;
    J = Hp * Wp;
    M = g.outC;
    outH = g.outH;
    outW = g.outW;
    kH = g.kH;
    kW = g.kW;
    dH = g.dH;
    taps = C * g.kH * g.kW;
    rowsLen = outH * Wp;
    reach = (C - 1) * J + (g.kH - 1) * g.dH * Wp + (g.kW - 1) * g.dW;
    offs.resize(static_cast<size_t>(taps));
    i64 t = 0;
    for (i64 c = 0; c < C; c++)
      for (i64 kh = 0; kh < g.kH; kh++)
        for (i64 kw = 0; kw < g.kW; kw++) offs[t++] = c * J + kh * g.dH * Wp + kw * g.dW;
  }

  /** Copy one image (C × H × W) into its padded planes at xp (C·J floats). */
  void pad(const float* x, float* xp) const {
    for (i64 c = 0; c < C; c++) {
      float* p = xp + c * J;
      std::memset(p, 0, sizeof(float) * pH * Wp);
      for (i64 h = 0; h < H; h++) {
        float* row = p + (h + pH) * Wp;
        std::memset(row, 0, sizeof(float) * pW);
        std::memcpy(row + pW, x + (c * H + h) * Wd, sizeof(float) * Wd);
        std::memset(row + pW + Wd, 0, sizeof(float) * (Wp - pW - Wd));
      }
      std::memset(p + (pH + H) * Wp, 0, sizeof(float) * (Hp - pH - H) * Wp);
    }
  }
};

/** Whether the direct kernels apply to `g` (stride 1, one group) and beat the implicit GEMM. */
inline bool direct_worthwhile(const ConvGeom& g) {
  if (g.groups != 1 || g.sH != 1 || g.sW != 1 || g.pH < 0 || g.pW < 0) return false;
  if (g.outH != g.inH + 2 * g.pH - g.dH * (g.kH - 1) || g.outW != g.inW + 2 * g.pW - g.dW * (g.kW - 1)) return false;
  if (g.n <= 0 || g.outH <= 0 || g.outW <= 0 || g.inC <= 0 || g.outC <= 0) return false;
  // Few output channels (the GEMM's packing dominates) and little dropped width.
  return g.outC <= 32 && g.inW + 2 * g.pW <= 2 * g.outW;
}

thread_local Scratch tlsDirectX, tlsDirectOut, tlsDirectG;

/** Whether every value is finite (a skipped or dropped product must be exactly 0·x = 0). */
inline bool all_finite(const float* x, i64 n) {
  vf acc = vf{};
  i64 i = 0;
  for (; i + W <= n; i += W) acc += loadu(x + i) * vf{};
  float s = 0;
  for (; i < n; i++) s += x[i] * 0.0f;
  for (int l = 0; l < W; l++) s += acc[l];
  return s == 0.0f;
}


/** acc += Σ_taps A[tap][i] · xp[offs[tap] + j + lanes]: MRk output channels × NR flat positions. */
template <int MRk>
__attribute__((always_inline)) inline void direct_tile_add(i64 taps, const float* __restrict A, const float* __restrict xp,
                                                           const i64* __restrict offs, vf (&acc)[MRk][NV],
                                                           i64 prefetchAhead = 0) {
#pragma GCC unroll 2
  for (i64 t = 0; t < taps; t++) {
    const float* s = xp + offs[t];
    if (prefetchAhead) __builtin_prefetch(s + prefetchAhead, 0, 3);
    vf b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) b[v] = loadu(s + v * W);
#pragma GCC unroll 16
    for (int i = 0; i < MRk; i++) {
      const vf a = bcast(A[i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[i][v] += a * b[v];
    }
    A += MRk;
  }
}

/** acc = Σ_taps A[tap][i] · xp[offs[tap] + j + lanes]. */
template <int MRk>
__attribute__((always_inline)) inline void direct_tile(i64 taps, const float* __restrict A, const float* __restrict xp,
                                                       const i64* __restrict offs, vf (&acc)[MRk][NV],
                                                       i64 prefetchAhead = 0) {
#pragma GCC unroll 16
  for (int i = 0; i < MRk; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[i][v] = vf{};
  direct_tile_add<MRk>(taps, A, xp, offs, acc, prefetchAhead);
}

/** One image × one block of MRk output channels: every flat tile into os (MRk × jlen), then out rows + bias. */
template <int MRk>
__attribute__((noinline)) void direct_block(const DirectLayout& d, const float* A, const float* xp, i64 jlen, float* os,
                                            i64 m0, int mr, const float* bias, float* outImg, const ConvPost* post,
                                            bool skipPadding) {
  vf acc[MRk][NV];
  const i64 kHW = d.kH * d.kW;
  for (i64 j = 0; j < jlen; j += NR) {
    // Kernel rows that read only padding rows for every output row of this tile add nothing (with finite
    // weights: 0·inf is NaN): near the top and bottom of a heavily padded map (the input gradient of a 5×5
    // layer: a third of the taps). A bound may include a row it could skip (a zero product), never the reverse.
    const i64 ohLo = j / d.Wp, ohHi = std::min(d.outH - 1, (j + NR - 1) / d.Wp);
    const i64 khLo = skipPadding ? std::max<i64>(0, ceil_div(std::max<i64>(d.pH - ohHi, 0), d.dH)) : 0;
    const i64 khHi = skipPadding ? std::min(d.kH, (d.pH + d.H - 1 - ohLo) / d.dH + 1) : d.kH;
#pragma GCC unroll 16
    for (int i = 0; i < MRk; i++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[i][v] = vf{};
    if (khLo == 0 && khHi == d.kH) {
      direct_tile_add<MRk>(d.taps, A, xp + j, d.offs.data(), acc);
    } else {
      for (i64 c = 0; c < d.C && khLo < khHi; c++) {
        const i64 t0 = c * kHW + khLo * d.kW;
        direct_tile_add<MRk>((khHi - khLo) * d.kW, A + t0 * MRk, xp + j, d.offs.data() + t0, acc);
      }
    }
#pragma GCC unroll 16
    for (int i = 0; i < MRk; i++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) storeu(os + i * jlen + j + v * W, acc[i][v]);
  }
  const i64 P = d.outH * d.outW;
  for (int i = 0; i < mr; i++) {
    const float b = bias ? bias[m0 + i] : 0.0f;
    const vf bv = bcast(b);
    float* o = outImg + (m0 + i) * P;
    for (i64 oh = 0; oh < d.outH; oh++) {
      const float* src = os + i * jlen + oh * d.Wp;
      float* dst = o + oh * d.outW;
      i64 ow = 0;
      for (; ow + W <= d.outW; ow += W) storeu(dst + ow, loadu(src + ow) + bv);
      for (; ow < d.outW; ow++) dst[ow] = src[ow] + b;
    }
  }
  if (post) post->run(outImg + m0 * P, P, mr, P, m0);
}

/** Weights of M output channels × taps packed per block of MRk channels as [tap][MRk] (zero rows past M). */
template <int MRk>
Buf<float> pack_direct_weights(const float* w, i64 M, i64 taps) {
  const i64 mblocks = ceil_div(M, MRk);
  Buf<float> wp(static_cast<size_t>(mblocks * taps * MRk));
  for (i64 mb = 0; mb < mblocks; mb++)
    for (i64 t = 0; t < taps; t++)
      for (int i = 0; i < MRk; i++) {
        const i64 m = mb * MRk + i;
        wp[(mb * taps + t) * MRk + i] = m < M ? w[m * taps + t] : 0.0f;
      }
  return wp;
}

/**
 * Pointwise (1×1, no padding) convolutions with few output channels: the flat positions are the output
 * pixels themselves, so the tiles read the input and write the output in place (no padded copy, no
 * staging), and each NR-pixel column of the input (C values per lane) serves every block of output
 * channels while it is in L1.
 */
template <int MRk>
void pointwise_forward_run(const float* x, const float* w, const float* bias, const ConvGeom& g, float* out,
                           const ConvPost* post) {
  const i64 C = g.inC, M = g.outC, P = g.outH * g.outW;
  const i64 mblocks = ceil_div(M, MRk);
  const Buf<float> wp = pack_direct_weights<MRk>(w, M, C);
  Buf<i64> offs(static_cast<size_t>(C));
  for (i64 c = 0; c < C; c++) offs[c] = c * P;
  Buf<i64> tailOffs(static_cast<size_t>(C));  // the last, partial tile is copied into a C × NR buffer
  for (i64 c = 0; c < C; c++) tailOffs[c] = c * NR;
  constexpr i64 CHUNK = 8 * NR;
  const i64 chunks = ceil_div(P, CHUNK), items = g.n * chunks;
  const int nt = threads_for(2.0 * static_cast<double>(mblocks * MRk) * C * P * g.n / 40.0, 15000.0);
  parallel(nt, [&](int tid, int nth) {
    i64 q0, q1;
    split_range(items, nth, tid, q0, q1);
    float* tail = tlsDirectX.get(static_cast<size_t>(C * NR));
    vf acc[MRk][NV];
    alignas(64) float t[MRk * NR];
    for (i64 q = q0; q < q1; q++) {
      const i64 img = q / chunks, j0 = (q - img * chunks) * CHUNK, j1 = std::min(P, j0 + CHUNK);
      const float* xi = x + img * C * P;
      float* oi = out + img * M * P;
      for (i64 j = j0; j < j1; j += NR) {
        const i64 len = std::min<i64>(NR, j1 - j);
        const float* src = xi + j;
        const i64* o = offs.data();
        if (len < NR) {
          for (i64 c = 0; c < C; c++) {
            float* dst = tail + c * NR;
            for (i64 l = 0; l < NR; l++) dst[l] = l < len ? xi[c * P + j + l] : 0.0f;
          }
          src = tail;
          o = tailOffs.data();
        }
        for (i64 mb = 0; mb < mblocks; mb++) {
          // The first block of channels fetches the input column two tiles ahead (C rows of a stride-P
          // walk: too many streams for the hardware prefetcher).
          direct_tile<MRk>(C, wp.data() + mb * C * MRk, src, o, acc, mb == 0 && len == NR ? 2 * NR : 0);
          const int mr = static_cast<int>(std::min<i64>(MRk, M - mb * MRk));
          for (int i = 0; i < mr; i++) {
            const float b = bias ? bias[mb * MRk + i] : 0.0f;
            float* dst = oi + (mb * MRk + i) * P + j;
            if (len == NR) {
              for (int v = 0; v < NV; v++) storeu(dst + v * W, acc[i][v] + bcast(b));
            } else {
              for (int v = 0; v < NV; v++) storeu(t + v * W, acc[i][v] + bcast(b));
              for (i64 l = 0; l < len; l++) dst[l] = t[l];
            }
          }
          if (post) post->run(oi + mb * MRk * P + j, P, mr, len, mb * MRk);
        }
      }
    }
  });
}

template <int MRk>
void direct_forward_run(const float* x, const float* w, const float* bias, const ConvGeom& g, float* out,
                        const ConvPost* post) {
  if (g.kH == 1 && g.kW == 1 && g.pH == 0 && g.pW == 0) {
    pointwise_forward_run<MRk>(x, w, bias, g, out, post);
    return;
  }
  const DirectLayout d(g);
  const i64 jlen = round_up(d.rowsLen, NR);
  const i64 xpFloats = std::max(d.C * d.J, d.reach + jlen) + W;
  const i64 mblocks = ceil_div(d.M, MRk);
  const Buf<float> wp = pack_direct_weights<MRk>(w, d.M, d.taps);
  const bool skipPadding = all_finite(w, d.M * d.taps);
  const i64 items = g.n * mblocks;
  const double flops = 2.0 * static_cast<double>(mblocks * MRk) * d.taps * jlen * g.n;
  const int nt = threads_for(flops / 40.0, 15000.0);
  const i64 inImg = d.C * d.H * d.Wd, outImg = d.M * d.outH * d.outW;
  parallel(nt, [&](int tid, int nth) {
    i64 q0, q1;
    split_range(items, nth, tid, q0, q1);
    float* xp = tlsDirectX.get(static_cast<size_t>(xpFloats));
    float* os = tlsDirectOut.get(static_cast<size_t>(MRk * jlen));
    i64 loaded = -1;
    for (i64 q = q0; q < q1; q++) {
      const i64 img = q / mblocks, mb = q - img * mblocks;
      if (img != loaded) {
        d.pad(x + img * inImg, xp);
        std::memset(xp + d.C * d.J, 0, sizeof(float) * (xpFloats - d.C * d.J));
        loaded = img;
      }
      const int mr = static_cast<int>(std::min<i64>(MRk, d.M - mb * MRk));
      direct_block<MRk>(d, wp.data() + mb * d.taps * MRk, xp, jlen, os, mb * MRk, mr, bias, out + img * outImg, post,
                        skipPadding);
    }
  });
}

// ---- output channels as vectors ----
// With a multiple of W output channels (one or two vectors: 16 or 32 on AVX-512) a vector can hold one output
// pixel's channels instead. Each tap is then one weight load per vector and one broadcast input value per
// pixel, and every pixel computed is a real one, where the flat tiles above also compute the (kW − 1)·dW
// dropped columns of every row (40 % of LeNet's second layer). A W × W transpose per W pixels turns the
// pixel-major result channel-major.

constexpr int OC_ACC = W >= 16 ? 24 : 12;  // accumulators that leave registers for the weights and a broadcast
constexpr int OC_RMAX = 12;                // pixels of one row in a tile

/** Whether direct_forward (which direct_worthwhile admitted) keeps channels in the vector lanes. */
inline bool oc_vectorized_worthwhile(const ConvGeom& g) {
  return g.outC % W == 0 && g.outC / W <= 2 && !(g.kH == 1 && g.kW == 1 && g.pH == 0 && g.pW == 0);
}

/** ROWS output rows × R pixels (at s in the padded planes) × OB vectors of channels, summed over every tap;
    stored pixel-major at st (a row of the output stRow floats further). */
template <int OB, int ROWS, int R>
__attribute__((noinline)) void oc_tile(const DirectLayout& d, const float* s, const float* wq, float* st, i64 stRow) {
  if constexpr (ROWS * R * OB <= OC_ACC) {
    vf acc[ROWS][R][OB];
#pragma GCC unroll 2
    for (int row = 0; row < ROWS; row++)
#pragma GCC unroll 12
      for (int r = 0; r < R; r++)
#pragma GCC unroll 2
        for (int ob = 0; ob < OB; ob++) acc[row][r][ob] = vf{};
    const i64 M = d.M, Wp = d.Wp;
    const i64* offs = d.offs.data();
    for (i64 t = 0; t < d.taps; t++, wq += M) {
      const float* p0 = s + offs[t];
      const float* p1 = p0 + (ROWS > 1 ? Wp : 0);  // one pointer per row: the pixels are displacements
      vf wv[OB];
#pragma GCC unroll 2
      for (int ob = 0; ob < OB; ob++) wv[ob] = loadu(wq + ob * W);
#pragma GCC unroll 2
      for (int row = 0; row < ROWS; row++)
#pragma GCC unroll 12
        for (int r = 0; r < R; r++) {
          const vf a = bcast((row ? p1 : p0)[r]);
#pragma GCC unroll 2
          for (int ob = 0; ob < OB; ob++) acc[row][r][ob] += a * wv[ob];
        }
    }
    for (int row = 0; row < ROWS; row++)
      for (int r = 0; r < R; r++)
        for (int ob = 0; ob < OB; ob++) storeu(st + row * stRow + r * M + ob * W, acc[row][r][ob]);
  }
}

using OcTileFn = void (*)(const DirectLayout&, const float*, const float*, float*, i64);

template <int OB, int ROWS, int... Rs>
void oc_row(OcTileFn* row, std::integer_sequence<int, Rs...>) {
  ((row[Rs] = &oc_tile<OB, ROWS, Rs + 1>), ...);
}

void direct_oc_forward(const float* x, const float* w, const float* bias, const ConvGeom& g, float* out,
                       const ConvPost* post) {
  static OcTileFn table[2][2][OC_RMAX];  // [OB − 1][rows − 1][R − 1]
  static const bool filled = (oc_row<1, 1>(table[0][0], std::make_integer_sequence<int, OC_RMAX>{}),
                              oc_row<1, 2>(table[0][1], std::make_integer_sequence<int, OC_RMAX>{}),
                              oc_row<2, 1>(table[1][0], std::make_integer_sequence<int, OC_RMAX>{}),
                              oc_row<2, 2>(table[1][1], std::make_integer_sequence<int, OC_RMAX>{}), true);
  (void)filled;
  const DirectLayout d(g);
  const i64 M = d.M, OB = M / W, P = d.outH * d.outW, taps = d.taps, outW = d.outW;
  Buf<float> wq(static_cast<size_t>(taps * M));  // [tap][channel]
  for (i64 m = 0; m < M; m++)
    for (i64 t = 0; t < taps; t++) wq[t * M + m] = w[m * taps + t];
  // Each row in as few equal chunks as two rows' accumulators allow.
  const i64 rmax = std::min<i64>(OC_RMAX, OC_ACC / (2 * OB));
  const i64 chunks = ceil_div(outW, rmax);
  const i64 inImg = d.C * d.H * d.Wd;
  const int nt = threads_for(2.0 * static_cast<double>(M) * taps * P * g.n / 40.0, 15000.0);
  parallel(nt, [&](int tid, int nth) {
    i64 i0, i1;
    split_range(g.n, nth, tid, i0, i1);
    float* xp = tlsDirectX.get(static_cast<size_t>(d.C * d.J));  // every read stays below C·J (see DirectLayout)
    float* st = tlsDirectOut.get(static_cast<size_t>(P * M));    // one image, pixel-major
    for (i64 img = i0; img < i1; img++) {
      // Without padding the image itself is the padded layout.
      const float* planes = x + img * inImg;
      if (d.pH || d.pW) {
        d.pad(planes, xp);
        planes = xp;
      }
      for (i64 oh = 0; oh < d.outH; oh += 2) {
        const int rows = static_cast<int>(std::min<i64>(2, d.outH - oh));
        i64 ow0 = 0;
        for (i64 c = 0; c < chunks; c++) {
          const i64 r = outW / chunks + (c < outW % chunks ? 1 : 0);
          table[OB - 1][rows - 1][r - 1](d, planes + oh * d.Wp + ow0, wq.data(), st + (oh * outW + ow0) * M, outW * M);
          ow0 += r;
        }
      }
      float* o = out + img * M * P;
      for (i64 ob = 0; ob < OB; ob++) {
        i64 p0 = 0;
        for (; p0 + W <= P; p0 += W) {
          vf r[W];
#pragma GCC unroll 16
          for (int i = 0; i < W; i++) r[i] = loadu(st + (p0 + i) * M + ob * W);
          transpose_block(r);
#pragma GCC unroll 16
          for (int l = 0; l < W; l++) {
            const i64 m = ob * W + l;
            storeu(o + m * P + p0, r[l] + bcast(bias ? bias[m] : 0.0f));
          }
        }
        for (; p0 < P; p0++)
          for (i64 l = 0; l < W; l++) {
            const i64 m = ob * W + l;
            o[m * P + p0] = st[p0 * M + m] + (bias ? bias[m] : 0.0f);
          }
      }
      if (post) post->run(o, P, M, P, 0);
    }
  });
}

void direct_forward(const float* x, const float* w, const float* bias, const ConvGeom& g, float* out,
                    const ConvPost* post = nullptr) {
  if (oc_vectorized_worthwhile(g)) {
    direct_oc_forward(x, w, bias, g, out, post);
    return;
  }
  if constexpr (MR != 6) {
    // Six or fewer output channels (LeNet's first layer, and its second layer's input gradient): a 6-row
    // tile wastes no rows where the 8-row one wastes a quarter (measured 25–30 % faster on AVX-512).
    if (g.outC <= 6) {
      direct_forward_run<6>(x, w, bias, g, out, post);
      return;
    }
  }
  if constexpr (MR2 > 0) {
    if (use_alt_mr(g.outC)) {
      direct_forward_run<MR2 == 0 ? 1 : MR2>(x, w, bias, g, out, post);
      return;
    }
  }
  direct_forward_run<MR>(x, w, bias, g, out, post);
}

// ---- backward weight ----
// gw[m][tap] = Σ_images Σ_flat gyp[m][j] · xp[offs[tap] + j], where gyp is gradOut in the
// same flat layout with zeros at the dropped positions: vectors run along j, and a block of
// BW_MB channels × BW_TB taps stays in registers across all images of a thread.

constexpr int BW_MB = W >= 16 ? 4 : 3;
constexpr int BW_TB = W >= 16 ? 6 : 4;

template <int MB, int TB>
__attribute__((noinline)) void direct_bw_block(const DirectLayout& d, const float* xs, i64 xStride, const float* gs,
                                               i64 gStride, i64 Jg, i64 nimg, i64 m0, i64 t0, float* partial) {
  vf acc[MB][TB];
#pragma GCC unroll 8
  for (int i = 0; i < MB; i++)
#pragma GCC unroll 8
    for (int t = 0; t < TB; t++) acc[i][t] = vf{};
  i64 off[TB];
  for (int t = 0; t < TB; t++) off[t] = d.offs[t0 + t];
  for (i64 img = 0; img < nimg; img++) {
    const float* g = gs + img * gStride + m0 * Jg;
    const float* x = xs + img * xStride;
    for (i64 j = 0; j < Jg; j += W) {
      vf gv[MB];
#pragma GCC unroll 8
      for (int i = 0; i < MB; i++) gv[i] = loadu(g + i * Jg + j);
#pragma GCC unroll 8
      for (int t = 0; t < TB; t++) {
        const vf xv = loadu(x + off[t] + j);
#pragma GCC unroll 8
        for (int i = 0; i < MB; i++) acc[i][t] += gv[i] * xv;
      }
    }
  }
  for (int i = 0; i < MB; i++)
    for (int t = 0; t < TB; t++) {
      float s = 0;
      for (int l = 0; l < W; l++) s += acc[i][t][l];
      partial[(m0 + i) * d.taps + t0 + t] += s;
    }
}

using BwBlockFn = void (*)(const DirectLayout&, const float*, i64, const float*, i64, i64, i64, i64, i64, float*);

template <int MB, int... TBs>
void bw_row(BwBlockFn* row, std::integer_sequence<int, TBs...>) {
  ((row[TBs] = &direct_bw_block<MB, TBs + 1>), ...);
}
template <int... MBs>
void bw_table(BwBlockFn (*table)[BW_TB], std::integer_sequence<int, MBs...>) {
  (bw_row<MBs + 1>(table[MBs], std::make_integer_sequence<int, BW_TB>{}), ...);
}

/** Returns false (and writes nothing) when x holds inf or NaN: the caller then uses the GEMM. */
bool direct_backward_weight(const float* gy, const float* x, const ConvGeom& g, float* gw) {
  const DirectLayout d(g);
  const i64 inImg = d.C * d.H * d.Wd, P = d.outH * d.outW;
  if (!all_finite(x, g.n * inImg)) return false;
  static BwBlockFn table[BW_MB][BW_TB];
  static const bool filled = (bw_table(table, std::make_integer_sequence<int, BW_MB>{}), true);
  (void)filled;
  const i64 Jg = round_up(d.rowsLen, W);
  const i64 xStride = d.C * d.J, gStride = d.M * Jg;
  const i64 tail = d.reach + Jg + W - (d.C - 1) * d.J;  // reads past the last image's planes
  // Images per chunk: the padded copies of a chunk stay within ~1 MB.
  const i64 chunk = std::max<i64>(1, (i64(256) << 10) / (xStride + gStride));
  const double flops = 2.0 * d.M * d.taps * Jg * g.n;
  const int nt = threads_for(flops / 30.0, 15000.0);
  const i64 wFloats = d.M * d.taps;
  Buf<float> partials(static_cast<size_t>(nt * wFloats), 0.0f);
  parallel(nt, [&](int tid, int nth) {
    i64 i0, i1;
    split_range(g.n, nth, tid, i0, i1);
    float* part = partials.data() + tid * wFloats;
    for (i64 c0 = i0; c0 < i1; c0 += chunk) {
      const i64 nimg = std::min(chunk, i1 - c0);
      float* xs = tlsDirectX.get(static_cast<size_t>(nimg * xStride + tail));
      float* gs = tlsDirectG.get(static_cast<size_t>(nimg * gStride));
      for (i64 k = 0; k < nimg; k++) {
        d.pad(x + (c0 + k) * inImg, xs + k * xStride);
        float* gp = gs + k * gStride;
        const float* src = gy + (c0 + k) * d.M * P;
        for (i64 m = 0; m < d.M; m++) {
          float* row = gp + m * Jg;
          std::memset(row, 0, sizeof(float) * Jg);
          for (i64 oh = 0; oh < d.outH; oh++) std::memcpy(row + oh * d.Wp, src + m * P + oh * d.outW, sizeof(float) * d.outW);
        }
      }
      std::memset(xs + nimg * xStride, 0, sizeof(float) * tail);
      for (i64 m0 = 0; m0 < d.M; m0 += BW_MB) {
        const int mb = static_cast<int>(std::min<i64>(BW_MB, d.M - m0));
        for (i64 t0 = 0; t0 < d.taps; t0 += BW_TB) {
          const int tb = static_cast<int>(std::min<i64>(BW_TB, d.taps - t0));
          table[mb - 1][tb - 1](d, xs, xStride, gs, gStride, Jg, nimg, m0, t0, part);
        }
      }
    }
  });
  for (i64 k = 0; k < wFloats; k++) {
    float s = 0;
    for (int t = 0; t < nt; t++) s += partials[t * wFloats + k];
    gw[k] = s;
  }
  return true;
}
