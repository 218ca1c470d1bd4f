// AVX-512 SGEMM/conv: 12x32 micro-kernel (24 zmm accumulators), 8x32 for small M.
#define STRATA_ISA isa_avx512
#define STRATA_W 16
#define STRATA_MR 12
#define STRATA_MR2 8
#define STRATA_NV 2
#define STRATA_KC 192
#define STRATA_KC_PLAIN 512
#define STRATA_MC 144
#define STRATA_NC 4096
#include "impl_gemm.h"
