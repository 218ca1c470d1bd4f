// AVX-512 level (compiled with -mavx512f -mavx512vl -mavx512bw -mavx512dq -mavx2 -mfma).
#define STRATA_ISA isa_avx512
#define STRATA_W 16

#include "impl_elementwise.h"
