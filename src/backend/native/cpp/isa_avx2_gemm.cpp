// AVX2 + FMA SGEMM/conv: 6x16 micro-kernel (12 ymm accumulators).
#define STRATA_ISA isa_avx2
#define STRATA_W 8
#define STRATA_MR 6
#define STRATA_MR2 0
#define STRATA_NV 2
#define STRATA_KC 256
#define STRATA_MC 144
#define STRATA_NC 4080
#include "impl_gemm.h"
