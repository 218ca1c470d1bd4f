// Baseline level: no ISA flags (generic 128-bit vectors: SSE2 on x86-64, NEON on arm64).
#define STRATA_ISA isa_scalar
#define STRATA_W 4

#include "impl_elementwise.h"
