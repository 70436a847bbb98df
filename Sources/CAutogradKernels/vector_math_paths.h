// Instantiates a kernel body once per kernel path. Define AG_VECTOR_BODY as the body's
// header name (a body that includes vector_math_body.h and ends with vector_math_end.h,
// such as "elementwise_body.h") and include this file; it defines AG_EW_LANES, AG_EW_TARGET
// and AG_EW_NAME for each path in turn:
//
//   _portable          4 lanes, no target attribute (SSE2 on x86-64, NEON on arm64)
//   _avx2              8 lanes, AVX2 + FMA
//   _avx512            16 lanes, AVX-512 (one zmm register per vector)
//   _avx512_on_avx2    the same 16-lane code compiled for AVX2 (AG_KERNEL_PATH_AVX512_ON_AVX2),
//                      so CPUs without AVX-512 test its loops and edges
//
// The x86 paths exist only where AG_X86 is set. AG_VECTOR_BODY is undefined at the end.

#ifndef AG_VECTOR_BODY
#error "define AG_VECTOR_BODY as the kernel body's header name first"
#endif

#define AG_EW_LANES 4
#define AG_EW_TARGET
#define AG_EW_NAME(x) x##_portable
#include AG_VECTOR_BODY

#if AG_X86
#define AG_EW_LANES 8
#define AG_EW_TARGET AG_TARGET_AVX2
#define AG_EW_NAME(x) x##_avx2
#include AG_VECTOR_BODY

#define AG_EW_LANES 16
#define AG_EW_TARGET AG_TARGET_AVX512
#define AG_EW_NAME(x) x##_avx512
#include AG_VECTOR_BODY

// The 16-lane vectors pass between always-inlined helpers, never across a real call, so
// the ABI clang warns about for 64-byte vectors without AVX-512 never comes into play.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wpsabi"
#define AG_EW_LANES 16
#define AG_EW_TARGET AG_TARGET_AVX2
#define AG_EW_NAME(x) x##_avx512_on_avx2
#include AG_VECTOR_BODY
#pragma clang diagnostic pop
#endif

#undef AG_VECTOR_BODY
