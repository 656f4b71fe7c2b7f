// Helpers shared by the distance kernels (private to this target).
#ifndef FEATUREMEMORY_KERNEL_SUPPORT_H
#define FEATUREMEMORY_KERNEL_SUPPORT_H
#include <stddef.h>
#include <string.h>

/// The float at index `i` of `p`, which need not be float-aligned (vectors are read in place
/// from LMDB pages).
static inline float fm_float_at(const void *p, size_t i) {
    float f;
    memcpy(&f, (const unsigned char *)p + 4 * i, 4);
    return f;
}

#if defined(__x86_64__)
#include <immintrin.h>

/// The sum of the eight lanes of `v`.
__attribute__((target("avx2,fma")))
static inline float fm_hsum256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    __m128 s = _mm_add_ps(lo, hi);
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 0x55));
    return _mm_cvtss_f32(s);
}
#endif
#endif
