// Vectors stored below float32 (`--encoding`): bfloat16, and the decoders of every stored
// precision back to the float32 every distance is computed in. float16 records reuse the node
// cache's power-of-two scaling (`fm_half_encode`), so any finite float32 vector fits.
#include "FeatureMemoryShims.h"
#include "KernelSupport.h"
#include <string.h>

static int use_f16c_decode = 0;

__attribute__((constructor)) static void fm_stored_precision_init(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    use_f16c_decode = __builtin_cpu_supports("avx") && __builtin_cpu_supports("f16c") ? 1 : 0;
#endif
}


static uint16_t half_at(const void *p, size_t i) {
    uint16_t h;
    memcpy(&h, (const unsigned char *)p + 2 * i, 2);
    return h;
}

static void half_decode_portable(const void *halves, float scale, float *out, size_t count) {
    for (size_t i = 0; i < count; i++) out[i] = fm_float_from_half(half_at(halves, i)) * scale;
}

#if defined(__x86_64__)
#include <immintrin.h>
__attribute__((target("avx,f16c")))
static void half_decode_f16c(const void *halves, float scale, float *out, size_t count) {
    __m256 s = _mm256_set1_ps(scale);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m128i h = _mm_loadu_si128((const __m128i *)((const unsigned char *)halves + 2 * i));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_cvtph_ps(h), s));
    }
    for (; i < count; i++) out[i] = fm_float_from_half(half_at(halves, i)) * scale;
}
#endif

void fm_half_decode(const void *halves, float scale, float *out, size_t count) {
#if defined(__x86_64__)
    if (use_f16c_decode) {
        half_decode_f16c(halves, scale, out, count);
        return;
    }
#endif
    half_decode_portable(halves, scale, out, count);
}

void fm_half_decode_portable(const void *halves, float scale, float *out, size_t count) {
    half_decode_portable(halves, scale, out, count);
}

void fm_bfloat_encode(const void *values, void *out, size_t count) {
    unsigned char *bytes = out;
    for (size_t i = 0; i < count; i++) {
        float v = fm_float_at(values, i);
        uint32_t x;
        memcpy(&x, &v, 4);
        // round to nearest, ties to even, on the 16 bits dropped (values are finite: no NaN case)
        x += 0x7FFFu + ((x >> 16) & 1u);
        uint16_t b = (uint16_t)(x >> 16);
        memcpy(bytes + 2 * i, &b, 2);
    }
}

void fm_bfloat_decode(const void *in, float *out, size_t count) {
    for (size_t i = 0; i < count; i++) {
        uint32_t x = (uint32_t)half_at(in, i) << 16;
        memcpy(out + i, &x, 4);
    }
}

void fm_byte_decode(const uint8_t *codes, float low, float step, float *out, size_t count) {
    for (size_t i = 0; i < count; i++) out[i] = low + step * (float)codes[i];
}
