// The AVX-512 kernel source compiled for AVX2 (tests the AVX-512 code paths on AVX2 machines).
#define STRATA_ISA isa_avx512sim
#define STRATA_W 16

#include "impl_elementwise.h"
