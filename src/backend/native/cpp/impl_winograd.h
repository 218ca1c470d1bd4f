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

thread_local Scratch tlsWinoPlane, tlsWinoU, tlsWinoV, tlsWinoM;

void winograd_forward(const float* x, const float* w, const float* bias, const ConvGeom& g, float* out) {
  const i64 C = g.inC, M = g.outC, tH = (g.outH + 1) / 2, tW = (g.outW + 1) / 2, tiles = tH * tW;
  const i64 inHW = g.inH * g.inW, outHW = g.outH * g.outW;
  // Weights: U[ξ][m][c] = (G g Gᵀ)[ξ], G = [[1,0,0],[½,½,½],[½,−½,½],[0,0,1]].
  float* U = tlsWinoU.get(static_cast<size_t>(16 * M * C));
  parallel(threads_for(static_cast<double>(M) * C * 20, 20000.0), [&](int tid, int nth) {
    i64 m0, m1;
    split_range(M, nth, tid, m0, m1);
    for (i64 m = m0; m < m1; m++)
      for (i64 c = 0; c < C; c++) {
        const float* k = w + (m * C + c) * 9;
        float t[4][3];
        for (int j = 0; j < 3; j++) {
          t[0][j] = k[j];
          t[1][j] = 0.5f * (k[j] + k[3 + j] + k[6 + j]);
          t[2][j] = 0.5f * (k[j] - k[3 + j] + k[6 + j]);
          t[3][j] = k[6 + j];
        }
        for (int i = 0; i < 4; i++) {
          const float u[4] = {t[i][0], 0.5f * (t[i][0] + t[i][1] + t[i][2]), 0.5f * (t[i][0] - t[i][1] + t[i][2]), t[i][2]};
          for (int j = 0; j < 4; j++) U[((i * 4 + j) * M + m) * C + c] = u[j];
        }
      }
  });
  // Images per chunk: the chunk's V and Mo (16·(C + M) floats per tile) stay within ~8 MB.
  const i64 perImage = 16 * (C + M) * tiles;
  const i64 chunkImages = std::max<i64>(1, (i64(2) << 20) / perImage);
  const i64 tWv = round_up(tW, W);                   // tiles per row, padded to whole vectors
  const i64 Hp = 2 * tH + 2, Wp = 2 * tWv + 2 + 2 * W;  // padded input plane (vector over-reads stay inside)
  // Images [n0, n1) in chunks (inside a parallel region every step stays on the calling thread).
  auto run_images = [&](i64 n0, i64 n1) {
    for (i64 i0 = n0; i0 < n1; i0 += chunkImages) {
      const i64 ni = std::min(chunkImages, n1 - i0), tc = ni * tiles;
      float* V = tlsWinoV.get(static_cast<size_t>(16 * C * tc + W));
      float* Mo = tlsWinoM.get(static_cast<size_t>(16 * M * tc + 2 * W));
      // Input transform, one (image, channel) plane at a time: V = Bᵀ d B,
      // Bᵀ = [[1,0,−1,0],[0,1,1,0],[0,−1,1,0],[0,1,0,−1]].
      parallel(threads_for(static_cast<double>(ni) * C * tiles * 24, 20000.0), [&](int tid, int nth) {
        i64 q0, q1;
        split_range(ni * C, nth, tid, q0, q1);
        float* pp = tlsWinoPlane.get(static_cast<size_t>(Hp * Wp));
        alignas(64) float tmp[W];
        for (i64 q = q0; q < q1; q++) {
          const i64 li = q / C, c = q - li * C;
          const float* src = x + ((i0 + li) * C + c) * inHW;
          std::memset(pp, 0, sizeof(float) * Hp * Wp);
          for (i64 h = 0; h < g.inH && h + g.pH < Hp; h++)
            std::memcpy(pp + (h + g.pH) * Wp + g.pW, src + h * g.inW, sizeof(float) * std::min(g.inW, Wp - g.pW));
          for (i64 th = 0; th < tH; th++) {
            const float* r[4] = {pp + 2 * th * Wp, pp + (2 * th + 1) * Wp, pp + (2 * th + 2) * Wp, pp + (2 * th + 3) * Wp};
            for (i64 tw = 0; tw < tW; tw += W) {
              vf t[4][4];
              for (int k = 0; k < 4; k++) {
                vf d[4];
                for (int i = 0; i < 4; i++) d[i] = even_lanes(loadu(r[i] + 2 * tw + k), loadu(r[i] + 2 * tw + k + W));
                t[0][k] = d[0] - d[2];
                t[1][k] = d[1] + d[2];
                t[2][k] = d[2] - d[1];
                t[3][k] = d[1] - d[3];
              }
              const i64 tl = li * tiles + th * tW + tw, n = std::min<i64>(W, tW - tw);
              for (int i = 0; i < 4; i++) {
                const vf v[4] = {t[i][0] - t[i][2], t[i][1] + t[i][2], t[i][2] - t[i][1], t[i][1] - t[i][3]};
                for (int j = 0; j < 4; j++) {
                  float* dst = V + ((i * 4 + j) * C + c) * tc + tl;
                  if (n == W) {
                    storeu(dst, v[j]);
                  } else {
                    storeu(tmp, v[j]);
                    for (i64 l = 0; l < n; l++) dst[l] = tmp[l];
                  }
                }
              }
            }
          }
        }
      });
      // The 16 products over channels.
      GemmCall gc{};
      gc.M = M;
      gc.N = tc;
      gc.K = C;
      gc.A = U;
      gc.lda = C;
      gc.B = V;
      gc.ldb = tc;
      gc.C = Mo;
      gc.ldc = tc;
      gc.alpha = 1;
      gc.beta = 0;
      gc.batch = 16;
      gc.strideA = M * C;
      gc.strideB = C * tc;
      gc.strideC = M * tc;
      gemm_impl(gc);
      // Output transform: Y = Aᵀ Mo A + bias, Aᵀ = [[1,1,1,0],[0,1,−1,−1]].
      parallel(threads_for(static_cast<double>(ni) * M * tiles * 20, 20000.0), [&](int tid, int nth) {
        i64 q0, q1;
        split_range(ni * M, nth, tid, q0, q1);
        alignas(64) float y0[2 * W], y1[2 * W];
        for (i64 q = q0; q < q1; q++) {
          const i64 li = q / M, m = q - li * M;
          const vf b = bcast(bias ? bias[m] : 0.0f);
          float* o = out + ((i0 + li) * M + m) * outHW;
          for (i64 th = 0; th < tH; th++)
            for (i64 tw = 0; tw < tW; tw += W) {
              const i64 tl = li * tiles + th * tW + tw;
              vf s[2][4];
              for (int j = 0; j < 4; j++) {
                vf mv[4];
                for (int i = 0; i < 4; i++) mv[i] = loadu(Mo + ((i * 4 + j) * M + m) * tc + tl);
                s[0][j] = mv[0] + mv[1] + mv[2];
                s[1][j] = mv[1] - mv[2] - mv[3];
              }
              for (int i = 0; i < 2; i++) {
                const i64 oh = 2 * th + i;
                if (oh >= g.outH) break;
                const vf ya = s[i][0] + s[i][1] + s[i][2] + b, yb = s[i][1] - s[i][2] - s[i][3] + b;
                vf lo, hi;
                zip_lanes(ya, yb, lo, hi);
                float* row = o + oh * g.outW + 2 * tw;
                const i64 valid = std::min<i64>(2 * W, g.outW - 2 * tw);
                if (valid == 2 * W) {
                  storeu(row, lo);
                  storeu(row + W, hi);
                } else {
                  float* yy = i ? y1 : y0;
                  storeu(yy, lo);
                  storeu(yy + W, hi);
                  for (i64 l = 0; l < valid; l++) row[l] = yy[l];
                }
              }
            }
        }
      });
    }
  };
  const int nt = threads_for(2.0 * 16 * static_cast<double>(M) * C * tiles * g.n / 40.0, 15000.0);
  if (nt > 1 && g.n >= nt) {
    // Enough images: each thread transforms and multiplies its own images (which the previous
    // kernel wrote on that thread, and the next one reads there), with single-threaded GEMMs.
    parallel(nt, [&](int tid, int nth) {
      i64 n0, n1;
      split_range(g.n, nth, tid, n0, n1);
      run_images(n0, n1);
    });
  } else {
    run_images(0, g.n);
  }
}
