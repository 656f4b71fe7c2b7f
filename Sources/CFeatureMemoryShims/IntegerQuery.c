// Searches on 8-bit cache entries compare a query with many codes: the query is turned once
// into 16-bit integers, so that each distance is an integer dot product (sixteen code bytes per
// multiply-add, no conversion to float) instead of a float one per eight codes.
#include "FeatureMemoryShims.h"
#include "KernelSupport.h"
#include <math.h>

static int use_avx2_integer = 0;
static int use_avx512_integer = 0;

__attribute__((constructor)) static void fm_integer_init(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    use_avx2_integer = __builtin_cpu_supports("avx2") ? 1 : 0;
    use_avx512_integer = fm_cpu_has_avx512_vnni();
#endif
}

#if defined(__x86_64__)
#include <immintrin.h>
// The AVX-512 parts give the same numbers as the scalar ones: the division is IEEE in both, the
// rounding to nearest even in both (rintf under the default mode, roundscale's nearest), the
// clamp exact. Each handles whole runs of 16 values and returns where the scalar code goes on.
__attribute__((target("avx512f")))
static size_t largest_magnitude_avx512(const void *query, size_t count, float *largest) {
    const unsigned char *bytes = query;
    __m512 lanes = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= count; i += 16) lanes = _mm512_max_ps(lanes, _mm512_abs_ps(_mm512_loadu_ps(bytes + 4 * i)));
    *largest = _mm512_reduce_max_ps(lanes);
    return i;
}

__attribute__((target("avx512f")))
static size_t convert_avx512(const void *query, int16_t *out, size_t count, float scale, float limit) {
    const unsigned char *bytes = query;
    const __m512 scales = _mm512_set1_ps(scale), high = _mm512_set1_ps(limit), low = _mm512_set1_ps(-limit);
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        __m512 v = _mm512_roundscale_ps(_mm512_div_ps(_mm512_loadu_ps(bytes + 4 * i), scales), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        v = _mm512_max_ps(_mm512_min_ps(v, high), low);
        _mm256_storeu_si256((__m256i *)(out + i), _mm512_cvtepi32_epi16(_mm512_cvtps_epi32(v)));
    }
    return i;
}
#endif

/// `fm_query_integers`, with its AVX-512 parts when `wide`.
static float query_integers(const void *query, int16_t *out, size_t count, int wide) {
    float largest = 0;
    size_t i = 0;
#if defined(__x86_64__)
    if (wide) i = largest_magnitude_avx512(query, count, &largest);
#endif
    for (; i < count; i++) {
        float m = fabsf(fm_float_at(query, i));
        if (m > largest) largest = m;
    }
    // the products of a whole vector must add up inside int32: count · 255 · limit < 2^31
    double limit = count > 0 ? floor(2147483647.0 / (255.0 * (double)count)) : 32767.0;
    if (limit > 32767.0) limit = 32767.0;
    if (!(largest > 0) || limit < 2048) {
        for (i = 0; i < count; i++) out[i] = 0;
        return 0;
    }
    float scale = largest / (float)limit;
    i = 0;
#if defined(__x86_64__)
    if (wide) i = convert_avx512(query, out, count, scale, (float)limit);
#endif
    for (; i < count; i++) {
        float v = rintf(fm_float_at(query, i) / scale);
        if (v > (float)limit) v = (float)limit;
        if (v < -(float)limit) v = -(float)limit;
        out[i] = (int16_t)v;
    }
    return scale;
}

float fm_query_integers(const void *query, int16_t *out, size_t count) {
    return query_integers(query, out, count, use_avx512_integer);
}

float fm_query_integers_portable(const void *query, int16_t *out, size_t count) {
    return query_integers(query, out, count, 0);
}

size_t fm_query_integers_largest_count(void) { return 2147483647u / (255u * 2048u); }

static int32_t integer_dot_portable(const int16_t *q, const uint8_t *codes, size_t n) {
    int32_t s = 0;
    for (size_t i = 0; i < n; i++) s += (int32_t)q[i] * (int32_t)codes[i];
    return s;
}

#if defined(__x86_64__)
#include <immintrin.h>
__attribute__((target("avx2")))
static int32_t integer_dot_avx2(const int16_t *q, const uint8_t *codes, size_t n) {
    __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i c0 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(codes + i)));
        __m256i c1 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(codes + i + 16)));
        acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(c0, _mm256_loadu_si256((const __m256i *)(q + i))));
        acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(c1, _mm256_loadu_si256((const __m256i *)(q + i + 16))));
    }
    for (; i + 16 <= n; i += 16) {
        __m256i c = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(codes + i)));
        acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(c, _mm256_loadu_si256((const __m256i *)(q + i))));
    }
    __m256i acc = _mm256_add_epi32(acc0, acc1);
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    int32_t total = _mm_cvtsi128_si32(s);
    for (; i < n; i++) total += (int32_t)q[i] * (int32_t)codes[i];
    return total;
}

// Thirty-two codes per fused multiply-add (vpdpwssd): half the instructions of the AVX2 loop.
// Integer sums are exact in any order, so both kernels return the same value.
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static int32_t integer_dot_avx512(const int16_t *q, const uint8_t *codes, size_t n) {
    __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512i c0 = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(codes + i)));
        __m512i c1 = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(codes + i + 32)));
        acc0 = _mm512_dpwssd_epi32(acc0, c0, _mm512_loadu_si512((const void *)(q + i)));
        acc1 = _mm512_dpwssd_epi32(acc1, c1, _mm512_loadu_si512((const void *)(q + i + 32)));
    }
    for (; i + 32 <= n; i += 32) {
        __m512i c = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(codes + i)));
        acc0 = _mm512_dpwssd_epi32(acc0, c, _mm512_loadu_si512((const void *)(q + i)));
    }
    int32_t total = _mm512_reduce_add_epi32(_mm512_add_epi32(acc0, acc1));
    for (; i < n; i++) total += (int32_t)q[i] * (int32_t)codes[i];
    return total;
}
#endif

int32_t fm_integer_dot(const int16_t *query, const uint8_t *codes, size_t count) {
#if defined(__x86_64__)
    if (use_avx512_integer) return integer_dot_avx512(query, codes, count);
    if (use_avx2_integer) return integer_dot_avx2(query, codes, count);
#endif
    return integer_dot_portable(query, codes, count);
}

int32_t fm_integer_dot_avx2(const int16_t *query, const uint8_t *codes, size_t count) {
#if defined(__x86_64__)
    if (use_avx2_integer) return integer_dot_avx2(query, codes, count);
#endif
    return integer_dot_portable(query, codes, count);
}

int32_t fm_integer_dot_portable(const int16_t *query, const uint8_t *codes, size_t count) {
    return integer_dot_portable(query, codes, count);
}
