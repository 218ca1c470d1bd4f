// Runtime CPU detection and the kernel tables of every ISA level.
#include <mutex>

#include "strata.h"

namespace strata {

const char* cpu_level_name(int level) {
  switch (level) {
    case CPU_SCALAR: return "scalar";
    case CPU_AVX2: return "avx2";
    case CPU_AVX512: return "avx512";
    case CPU_AVX512SIM: return "avx512sim";
    default: return "unknown";
  }
}

bool cpu_level_supported(int level) {
  switch (level) {
    case CPU_SCALAR: return true;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    case CPU_AVX2:
    case CPU_AVX512SIM:
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case CPU_AVX512:
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
#endif
    default: return false;
  }
}

int cpu_best_level() {
  if (cpu_level_supported(CPU_AVX512)) return CPU_AVX512;
  if (cpu_level_supported(CPU_AVX2)) return CPU_AVX2;
  return CPU_SCALAR;
}

const KernelTable& kernel_table(int level) {
  // Each table is filled on first use, and only for a level this CPU runs:
  // the fill functions are compiled with their level's ISA flags too.
  static KernelTable tables[CPU_LEVEL_COUNT];
  static std::once_flag once[CPU_LEVEL_COUNT];
  if (level < 0 || level >= CPU_LEVEL_COUNT || !cpu_level_supported(level)) level = CPU_SCALAR;
  std::call_once(once[level], [level] {
    KernelTable& t = tables[level];
    switch (level) {
#if defined(__x86_64__)
      case CPU_AVX2:
        isa_avx2::fill_elementwise(t);
        isa_avx2::fill_gemm(t);
        break;
      case CPU_AVX512:
        isa_avx512::fill_elementwise(t);
        isa_avx512::fill_gemm(t);
        break;
      case CPU_AVX512SIM:
        isa_avx512sim::fill_elementwise(t);
        isa_avx512sim::fill_gemm(t);
        break;
#endif
      default:
        isa_scalar::fill_elementwise(t);
        isa_scalar::fill_gemm(t);
        break;
    }
    t.name = cpu_level_name(level);
  });
  return tables[level];
}

}  // namespace strata
