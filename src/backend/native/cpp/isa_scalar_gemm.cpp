// Baseline level SGEMM/conv: 4x8 micro-kernel.
#define STRATA_ISA isa_scalar
#define STRATA_W 4
#define STRATA_MR 4
#define STRATA_MR2 0
#define STRATA_NV 2
#define STRATA_KC 256
#define STRATA_MC 128
#define STRATA_NC 2048
#include "impl_gemm.h"
