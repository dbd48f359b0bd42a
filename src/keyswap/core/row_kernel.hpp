#pragma once
// Hot row kernels are compiled three times, for AVX-512, for AVX2+FMA and for the baseline, and
// picked at load time (GCC function multiversioning): the default build targets plain x86-64,
// and the wider vectors (with a 32-bit multiply, which SSE2 lacks) roughly halve a kernel's
// time on any machine from 2013 on. x86-64-v3/v4 are checked by features, not CPU models.
// Thread safety: a macro.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define KEYSWAP_ROW_KERNEL __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define KEYSWAP_ROW_KERNEL
#endif
