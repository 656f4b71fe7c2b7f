// 4-bit codes for the node cache: half the bytes of 8-bit codes, so a search reads four cache
// lines per 384-d neighbour instead of seven. Codes come in blocks of 64 dimensions (32 bytes):
// byte j of a block holds dimension j in its low nibble and dimension j + 32 in its high one, so
// that one mask and one shift unpack a block into two runs of 32 consecutive dimensions.
// Dimensions past `count` in the last block hold code 0 and are never read as values.
#include "FeatureMemoryShims.h"
#include "KernelSupport.h"

static int use_avx512_nibbles = 0;
static int use_avx2_nibbles = 0;

__attribute__((constructor)) static void fm_nibble_init(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    use_avx2_nibbles = __builtin_cpu_supports("avx2") ? 1 : 0;
    use_avx512_nibbles = fm_cpu_has_avx512_vnni();
#endif
}

size_t fm_nibble_bytes(size_t count) { return (count + 63) / 64 * 32; }

/// The code of dimension `i`.
static inline uint8_t nibble_at(const uint8_t *codes, size_t i) {
    uint8_t byte = codes[i / 64 * 32 + i % 32];
    return (i % 64) < 32 ? (byte & 0x0F) : (byte >> 4);
}

float fm_nibble_encode(const void *values, uint8_t *out, size_t count, float *step) {
    float low;
    float s = fm_code_step(values, count, 15.0f, &low, use_avx2_nibbles);
    float inverse = 1.0f / s;
    size_t bytes = fm_nibble_bytes(count);
    for (size_t i = 0; i < bytes; i++) out[i] = 0;
    for (size_t i = 0; i < count; i++) {
        float level = (fm_float_at(values, i) - low) * inverse + 0.5f;
        uint8_t code = (uint8_t)(level < 0 ? 0 : level > 15 ? 15 : level);
        size_t at = i / 64 * 32 + i % 32;
        out[at] |= (i % 64) < 32 ? code : (uint8_t)(code << 4);
    }
    *step = s;
    return low;
}

void fm_nibble_decode(const uint8_t *codes, float low, float step, float *out, size_t count) {
    for (size_t i = 0; i < count; i++) out[i] = low + step * (float)nibble_at(codes, i);
}

float fm_nibble_dot(const void *query, const uint8_t *codes, size_t count) {
    float s = 0;
    for (size_t i = 0; i < count; i++) s += fm_float_at(query, i) * (float)nibble_at(codes, i);
    return s;
}

float fm_nibble_l2_squared(const void *query, const uint8_t *codes, float low, float step, size_t count) {
    float s = 0;
    for (size_t i = 0; i < count; i++) {
        float d = fm_float_at(query, i) - (low + step * (float)nibble_at(codes, i));
        s += d * d;
    }
    return s;
}

int32_t fm_nibble_integer_dot_portable(const int16_t *query, const uint8_t *codes, size_t count) {
    int32_t s = 0;
    for (size_t i = 0; i < count; i++) s += (int32_t)query[i] * (int32_t)nibble_at(codes, i);
    return s;
}

#if defined(__x86_64__)
#include <immintrin.h>
// The query's integers are read whole blocks at a time: the caller pads them with zeros to a
// multiple of 64 (see fm_nibble_integer_dot).
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static int32_t nibble_dot_avx512(const int16_t *q, const uint8_t *codes, size_t blocks) {
    const __m256i mask = _mm256_set1_epi8(0x0F);
    __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
    for (size_t b = 0; b < blocks; b++) {
        __m256i packed = _mm256_loadu_si256((const __m256i *)(codes + 32 * b));
        __m512i low = _mm512_cvtepu8_epi16(_mm256_and_si256(packed, mask));
        __m512i high = _mm512_cvtepu8_epi16(_mm256_and_si256(_mm256_srli_epi16(packed, 4), mask));
        acc0 = _mm512_dpwssd_epi32(acc0, low, _mm512_loadu_si512((const void *)(q + 64 * b)));
        acc1 = _mm512_dpwssd_epi32(acc1, high, _mm512_loadu_si512((const void *)(q + 64 * b + 32)));
    }
    return _mm512_reduce_add_epi32(_mm512_add_epi32(acc0, acc1));
}

__attribute__((target("avx2")))
static int32_t nibble_dot_avx2(const int16_t *q, const uint8_t *codes, size_t blocks) {
    const __m128i mask = _mm_set1_epi8(0x0F);
    __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
    for (size_t b = 0; b < blocks; b++) {
        const int16_t *qb = q + 64 * b;
        for (size_t half = 0; half < 2; half++) {
            __m128i packed = _mm_loadu_si128((const __m128i *)(codes + 32 * b + 16 * half));
            __m256i low = _mm256_cvtepu8_epi16(_mm_and_si128(packed, mask));
            __m256i high = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), mask));
            acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(low, _mm256_loadu_si256((const __m256i *)(qb + 16 * half))));
            acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(high, _mm256_loadu_si256((const __m256i *)(qb + 32 + 16 * half))));
        }
    }
    __m256i acc = _mm256_add_epi32(acc0, acc1);
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}
#endif

int32_t fm_nibble_integer_dot(const int16_t *query, const uint8_t *codes, size_t count) {
#if defined(__x86_64__)
    size_t blocks = (count + 63) / 64;
    if (use_avx512_nibbles) return nibble_dot_avx512(query, codes, blocks);
    if (use_avx2_nibbles) return nibble_dot_avx2(query, codes, blocks);
#endif
    return fm_nibble_integer_dot_portable(query, codes, count);
}

int32_t fm_nibble_integer_dot_avx2(const int16_t *query, const uint8_t *codes, size_t count) {
#if defined(__x86_64__)
    if (use_avx2_nibbles) return nibble_dot_avx2(query, codes, (count + 63) / 64);
#endif
    return fm_nibble_integer_dot_portable(query, codes, count);
}
