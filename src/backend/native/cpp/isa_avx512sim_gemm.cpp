// The AVX-512 SGEMM/conv source (12x32 / 8x32, 16-float vectors) compiled for AVX2, for tests.
#define STRATA_ISA isa_avx512sim
#define STRATA_W 16
#define STRATA_MR 12
#define STRATA_MR2 8
#define STRATA_NV 2
#define STRATA_KC 192
#define STRATA_MC 144
#define STRATA_NC 4096
#include "impl_gemm.h"
