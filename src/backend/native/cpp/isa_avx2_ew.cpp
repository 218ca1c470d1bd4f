// AVX2 + FMA level (compiled with -mavx2 -mfma).
#define STRATA_ISA isa_avx2
#define STRATA_W 8

#include "impl_elementwise.h"
