// Half-precision copies of vectors for the node cache: half the bytes to bring from memory per
// distance, which is what bounds a warm search. Each vector is scaled by a power of two so its
// largest magnitude lands near 2^15, inside float16's range at full precision; distances are
// computed against the float32 query and scaled back.
#include "FeatureMemoryShims.h"
#include "KernelSupport.h"
#include <math.h>
#include <string.h>

static int use_f16c = 0;

__attribute__((constructor)) static void fm_half_init(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    use_f16c = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c") ? 1 : 0;
#endif
}



// A vector's scale, and the two powers of two whose product, 1 / scale, takes its values into
// float16 range (applied one after the other, since 1 / scale may be too large for a float).
typedef struct { float scale, first, second; } half_scaling;

// IEEE 754 binary16 <-> binary32, round to nearest even, for the portable path.
static uint16_t half_from_float(float value) {
    uint32_t x;
    memcpy(&x, &value, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    int32_t exponent = (int32_t)((x >> 23) & 0xFF) - 127 + 15;
    uint32_t mantissa = x & 0x7FFFFF;
    if (((x >> 23) & 0xFF) == 0xFF) return (uint16_t)(sign | 0x7C00 | (mantissa ? 0x200 : 0));
    if (exponent >= 31) return (uint16_t)(sign | 0x7C00);
    if (exponent <= 0) {
        if (exponent < -10) return (uint16_t)sign;
        mantissa |= 0x800000;
        uint32_t shift = (uint32_t)(14 - exponent);
        uint32_t half = mantissa >> shift;
        uint32_t rest = mantissa & ((1u << shift) - 1), halfway = 1u << (shift - 1);
        if (rest > halfway || (rest == halfway && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = sign | ((uint32_t)exponent << 10) | (mantissa >> 13);
    uint32_t rest = mantissa & 0x1FFF;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) half++;
    return (uint16_t)half;
}


#if defined(__x86_64__)
#include <immintrin.h>
__attribute__((target("avx2,fma,f16c")))
static void half_encode_f16c(const void *values, uint16_t *out, size_t count, half_scaling s) {
    __m256 first = _mm256_set1_ps(s.first), second = _mm256_set1_ps(s.second);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 v = _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps((const float *)values + i), first), second);
        _mm_storeu_si128((__m128i *)(out + i), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
    }
    for (; i < count; i++) out[i] = half_from_float(fm_float_at(values, i) * s.first * s.second);
}
#endif

// The power of two `fm_half_encode` scales `values` by.
static half_scaling half_scale(const void *values, size_t count) {
    float largest = 0;
    for (size_t i = 0; i < count; i++) {
        float m = fabsf(fm_float_at(values, i));
        if (m > largest) largest = m;
    }
    if (!(largest > 0)) return (half_scaling){1.0f, 1.0f, 1.0f};
    // a power of two keeps the scaling exact
    int shift = 14 - ilogbf(largest);
    // 2^shift is no float past 2^127 (a largest magnitude below 2^-113): two exact steps then
    int first = shift > 127 ? 64 : 0;
    return (half_scaling){ldexpf(1.0f, -shift), ldexpf(1.0f, first), ldexpf(1.0f, shift - first)};
}

float fm_half_encode(const void *values, uint16_t *out, size_t count) {
    half_scaling s = half_scale(values, count);
#if defined(__x86_64__)
    if (use_f16c) {
        half_encode_f16c(values, out, count, s);
        return s.scale;
    }
#endif
    for (size_t i = 0; i < count; i++) out[i] = half_from_float(fm_float_at(values, i) * s.first * s.second);
    return s.scale;
}

float fm_half_encode_portable(const void *values, uint16_t *out, size_t count) {
    half_scaling s = half_scale(values, count);
    for (size_t i = 0; i < count; i++) out[i] = half_from_float(fm_float_at(values, i) * s.first * s.second);
    return s.scale;
}


static float half_dot_portable(const void *q, const uint16_t *v, size_t n) {
    float acc[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) acc[j] += fm_float_at(q, i + j) * fm_float_from_half(v[i + j]);
    float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++) s += fm_float_at(q, i) * fm_float_from_half(v[i]);
    return s;
}

static float half_l2_portable(const void *q, const uint16_t *v, float scale, size_t n) {
    float s = 0;
    for (size_t i = 0; i < n; i++) {
        float d = fm_float_at(q, i) - scale * fm_float_from_half(v[i]);
        s += d * d;
    }
    return s;
}

#if defined(__x86_64__)
#include <immintrin.h>


#define HALF8(p, i) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((p) + (i))))
#define QUERY8(q, i) _mm256_loadu_ps((const float *)(q) + (i))

__attribute__((target("avx2,fma,f16c")))
static float half_dot_f16c(const void *q, const uint16_t *v, size_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(QUERY8(q, i), HALF8(v, i), acc0);
        acc1 = _mm256_fmadd_ps(QUERY8(q, i + 8), HALF8(v, i + 8), acc1);
    }
    for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(QUERY8(q, i), HALF8(v, i), acc0);
    float s = fm_hsum256(_mm256_add_ps(acc0, acc1));
    for (; i < n; i++) s += fm_float_at(q, i) * fm_float_from_half(v[i]);
    return s;
}

__attribute__((target("avx2,fma,f16c")))
static float half_l2_f16c(const void *q, const uint16_t *v, float scale, size_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(), factor = _mm256_set1_ps(scale);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 d0 = _mm256_fnmadd_ps(HALF8(v, i), factor, QUERY8(q, i));
        __m256 d1 = _mm256_fnmadd_ps(HALF8(v, i + 8), factor, QUERY8(q, i + 8));
        acc0 = _mm256_fmadd_ps(d0, d0, acc0);
        acc1 = _mm256_fmadd_ps(d1, d1, acc1);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_fnmadd_ps(HALF8(v, i), factor, QUERY8(q, i));
        acc0 = _mm256_fmadd_ps(d, d, acc0);
    }
    float s = fm_hsum256(_mm256_add_ps(acc0, acc1));
    for (; i < n; i++) {
        float d = fm_float_at(q, i) - scale * fm_float_from_half(v[i]);
        s += d * d;
    }
    return s;
}
#endif

float fm_half_dot(const void *query, const uint16_t *values, size_t count) {
#if defined(__x86_64__)
    if (use_f16c) return half_dot_f16c(query, values, count);
#endif
    return half_dot_portable(query, values, count);
}

float fm_half_l2_squared(const void *query, const uint16_t *values, float scale, size_t count) {
#if defined(__x86_64__)
    if (use_f16c) return half_l2_f16c(query, values, scale, count);
#endif
    return half_l2_portable(query, values, scale, count);
}

// 8-bit copies: each vector's range [low, low + 255·step] in 256 levels, a quarter of the bytes
// of float32. Distances are computed against the float32 query from the codes.
// Codes are the same bytes on every processor (replicas on different machines build the same
// graph from them): the AVX2 loop makes the portable loop's roundings, subtract, multiply, add, in
// that order and unfused, and leaves to it any range whose arithmetic is not finite.
static void byte_quantize_portable(const void *values, uint8_t *out, size_t from, size_t count, float low, float inverse) {
    for (size_t i = from; i < count; i++) {
        float level = (fm_float_at(values, i) - low) * inverse + 0.5f;
        out[i] = (uint8_t)(level < 0 ? 0 : level > 255 ? 255 : level);
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2")))
static void byte_quantize_avx2(const void *values, uint8_t *out, size_t count, float low, float inverse) {
    const unsigned char *bytes = values;
    const __m256 lows = _mm256_set1_ps(low), inverses = _mm256_set1_ps(inverse), half = _mm256_set1_ps(0.5f);
    const __m256 zero = _mm256_setzero_ps(), top = _mm256_set1_ps(255.0f);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 level = _mm256_add_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps((const float *)(bytes + 4 * i)), lows), inverses), half);
        __m256i codes = _mm256_cvttps_epi32(_mm256_min_ps(_mm256_max_ps(level, zero), top));
        __m128i words = _mm_packus_epi32(_mm256_castsi256_si128(codes), _mm256_extracti128_si256(codes, 1));
        _mm_storel_epi64((__m128i *)(out + i), _mm_packus_epi16(words, words));
    }
    byte_quantize_portable(values, out, i, count, low, inverse);
}
#endif

static float byte_encode(const void *values, uint8_t *out, size_t count, float *step, int accelerated) {
    float low;
    float s = fm_code_step(values, count, 255.0f, &low, accelerated);
    float inverse = 1.0f / s;
#if defined(__x86_64__)
    // a finite step bounds every v − low by the (finite) width, so each level is finite too
    if (accelerated && s - s == 0 && inverse - inverse == 0 && low == low) {
        byte_quantize_avx2(values, out, count, low, inverse);
        *step = s;
        return low;
    }
#endif
    byte_quantize_portable(values, out, 0, count, low, inverse);
    *step = s;
    return low;
}

float fm_byte_encode(const void *values, uint8_t *out, size_t count, float *step) {
    return byte_encode(values, out, count, step, use_f16c);
}

float fm_byte_encode_portable(const void *values, uint8_t *out, size_t count, float *step) {
    return byte_encode(values, out, count, step, 0);
}

static float byte_dot_portable(const void *q, const uint8_t *codes, size_t n) {
    float s = 0;
    for (size_t i = 0; i < n; i++) s += fm_float_at(q, i) * (float)codes[i];
    return s;
}

static float byte_l2_portable(const void *q, const uint8_t *codes, float low, float step, size_t n) {
    float s = 0;
    for (size_t i = 0; i < n; i++) {
        float d = fm_float_at(q, i) - (low + step * (float)codes[i]);
        s += d * d;
    }
    return s;
}

#if defined(__x86_64__)
#define BYTE8(p, i) _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)((p) + (i)))))

__attribute__((target("avx2,fma,f16c")))
static float byte_dot_avx2(const void *q, const uint8_t *codes, size_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(QUERY8(q, i), BYTE8(codes, i), acc0);
        acc1 = _mm256_fmadd_ps(QUERY8(q, i + 8), BYTE8(codes, i + 8), acc1);
    }
    for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(QUERY8(q, i), BYTE8(codes, i), acc0);
    float s = fm_hsum256(_mm256_add_ps(acc0, acc1));
    for (; i < n; i++) s += fm_float_at(q, i) * (float)codes[i];
    return s;
}

__attribute__((target("avx2,fma,f16c")))
static float byte_l2_avx2(const void *q, const uint8_t *codes, float low, float step, size_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m256 base = _mm256_set1_ps(low), factor = _mm256_set1_ps(step);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 d0 = _mm256_sub_ps(QUERY8(q, i), _mm256_fmadd_ps(BYTE8(codes, i), factor, base));
        __m256 d1 = _mm256_sub_ps(QUERY8(q, i + 8), _mm256_fmadd_ps(BYTE8(codes, i + 8), factor, base));
        acc0 = _mm256_fmadd_ps(d0, d0, acc0);
        acc1 = _mm256_fmadd_ps(d1, d1, acc1);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(QUERY8(q, i), _mm256_fmadd_ps(BYTE8(codes, i), factor, base));
        acc0 = _mm256_fmadd_ps(d, d, acc0);
    }
    float s = fm_hsum256(_mm256_add_ps(acc0, acc1));
    for (; i < n; i++) {
        float d = fm_float_at(q, i) - (low + step * (float)codes[i]);
        s += d * d;
    }
    return s;
}
#endif

float fm_byte_dot(const void *query, const uint8_t *codes, size_t count) {
#if defined(__x86_64__)
    if (use_f16c) return byte_dot_avx2(query, codes, count);
#endif
    return byte_dot_portable(query, codes, count);
}

float fm_byte_l2_squared(const void *query, const uint8_t *codes, float low, float step, size_t count) {
#if defined(__x86_64__)
    if (use_f16c) return byte_l2_avx2(query, codes, low, step, count);
#endif
    return byte_l2_portable(query, codes, low, step, count);
}

float fm_half_dot_portable(const void *query, const uint16_t *values, size_t count) {
    return half_dot_portable(query, values, count);
}

float fm_half_l2_squared_portable(const void *query, const uint16_t *values, float scale, size_t count) {
    return half_l2_portable(query, values, scale, count);
}

float fm_byte_dot_portable(const void *query, const uint8_t *codes, size_t count) {
    return byte_dot_portable(query, codes, count);
}

float fm_byte_l2_squared_portable(const void *query, const uint8_t *codes, float low, float step, size_t count) {
    return byte_l2_portable(query, codes, low, step, count);
}

float fm_sum(const void *values, size_t count) {
    float s = 0;
    for (size_t i = 0; i < count; i++) s += fm_float_at(values, i);
    return s;
}
