// Helpers shared by the distance kernels (private to this target).
#ifndef FEATUREMEMORY_KERNEL_SUPPORT_H
#define FEATUREMEMORY_KERNEL_SUPPORT_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/// The float at index `i` of `p`, which need not be float-aligned (vectors are read in place
/// from LMDB pages).
static inline float fm_float_at(const void *p, size_t i) {
    float f;
    memcpy(&f, (const unsigned char *)p + 4 * i, 4);
    return f;
}

/// The float32 value of IEEE 754 binary16 `h` (exact: every half is a float).
static inline float fm_float_from_half(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF;
    uint32_t x;
    if (exponent == 0) {
        if (mantissa == 0) {
            x = sign;
        } else {
            int e = -1;
            do { e++; mantissa <<= 1; } while (!(mantissa & 0x400));
            x = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mantissa & 0x3FF) << 13);
        }
    } else if (exponent == 31) {
        x = sign | 0x7F800000 | (mantissa << 13);
    } else {
        x = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    }
    float f;
    memcpy(&f, &x, 4);
    return f;
}

/// The smallest and largest of `count` ≥ 1 values, one at a time (the first of equal ones: the
/// sign of a zero bound is the first zero's).
static inline void fm_value_range_portable(const void *values, size_t count, float *smallest, float *largest) {
    float low = fm_float_at(values, 0), high = low;
    for (size_t i = 1; i < count; i++) {
        float v = fm_float_at(values, i);
        if (v < low) low = v;
        if (v > high) high = v;
    }
    *smallest = low;
    *largest = high;
}

#if defined(__x86_64__)
#include <immintrin.h>

/// `fm_value_range_portable` eight lanes at a time, with the same answer: for finite values the
/// bounds are the same numbers, and a bound of zero (whose sign depends on which zero came
/// first) is found again by the portable loop.
__attribute__((target("avx2")))
static inline void fm_value_range_avx2(const void *values, size_t count, float *smallest, float *largest) {
    const unsigned char *bytes = (const unsigned char *)values;
    __m256 low = _mm256_loadu_ps((const float *)bytes), high = low;
    size_t i = 8;
    for (; i + 8 <= count; i += 8) {
        __m256 v = _mm256_loadu_ps((const float *)(bytes + 4 * i));
        low = _mm256_min_ps(low, v);
        high = _mm256_max_ps(high, v);
    }
    float lows[8], highs[8];
    _mm256_storeu_ps(lows, low);
    _mm256_storeu_ps(highs, high);
    float a = lows[0], b = highs[0];
    for (int lane = 1; lane < 8; lane++) {
        if (lows[lane] < a) a = lows[lane];
        if (highs[lane] > b) b = highs[lane];
    }
    for (; i < count; i++) {
        float v = fm_float_at(values, i);
        if (v < a) a = v;
        if (v > b) b = v;
    }
    // a NaN anywhere, or a zero bound: the portable loop decides, as it always would
    if (a != a || b != b || a == 0 || b == 0) {
        fm_value_range_portable(values, count, smallest, largest);
        return;
    }
    *smallest = a;
    *largest = b;
}
#endif

/// The range of `count` values as `levels` + 1 codes: sets *low to the smallest value and returns
/// the step between codes (1 for a constant vector). Shared by the 8- and 4-bit encoders;
/// `accelerated`: the processor has AVX2 and the caller's accelerated path runs.
static inline float fm_code_step(const void *values, size_t count, float levels, float *low, int accelerated) {
    float smallest = 0, largest = 0;
    if (count > 0) {
#if defined(__x86_64__)
        if (count >= 16 && accelerated) {
            fm_value_range_avx2(values, count, &smallest, &largest);
        } else {
            fm_value_range_portable(values, count, &smallest, &largest);
        }
#else
        (void)accelerated;
        fm_value_range_portable(values, count, &smallest, &largest);
#endif
    }
    *low = smallest;
    float width = largest - smallest;
    return width > 0 ? width / levels : 1.0f;
}

/// Whether the processor has the AVX-512 integer instructions the 8- and 4-bit kernels use
/// (byte/word operations and VNNI's fused multiply-add).
static inline int fm_cpu_has_avx512_vnni(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
#else
    return 0;
#endif
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
