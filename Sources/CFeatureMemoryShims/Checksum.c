// CRC-32C for vector records. The table version is the reference; the SSE4.2
// version is chosen at load time when the processor supports it.
#include "FeatureMemoryShims.h"
#include <string.h>

static uint32_t crc_table[8][256];
static int crc_hardware = 0;

// The hardware path runs three independent CRC streams over consecutive blocks of
// SHORT_BLOCK bytes, so the crc32 instruction's 3-cycle latency overlaps, then joins them:
// appending n bytes to a message maps its CRC register through a linear operator
// ("shift by n zero bytes"), tabulated here for n = SHORT_BLOCK.
#define SHORT_BLOCK 256
static uint32_t shift_short[4][256];

// Multiplies the 32x32 GF(2) matrix `mat` by the vector `vec`.
static uint32_t gf2_matrix_times(const uint32_t *mat, uint32_t vec) {
    uint32_t sum = 0;
    while (vec) {
        if (vec & 1) sum ^= *mat;
        vec >>= 1;
        mat++;
    }
    return sum;
}

static void gf2_matrix_square(uint32_t *square, const uint32_t *mat) {
    for (int n = 0; n < 32; n++) square[n] = gf2_matrix_times(mat, mat[n]);
}

// Tables applying the operator "feed `length` zero bytes" to a CRC register.
static void make_shift_tables(uint32_t tables[4][256], size_t length) {
    uint32_t even[32], odd[32];
    // the operator for one zero bit: the reflected CRC-32C register step
    odd[0] = 0x82F63B78u;
    uint32_t row = 1;
    for (int n = 1; n < 32; n++) {
        odd[n] = row;
        row <<= 1;
    }
    gf2_matrix_square(even, odd);  // two bits
    gf2_matrix_square(odd, even);  // four bits
    // square up to one byte, then combine the powers of two making up `length` bytes
    uint32_t op[32];
    int have = 0;
    size_t len = length;
    do {
        gf2_matrix_square(even, odd);  // even = odd^2
        if (len & 1) {
            if (!have) {
                for (int n = 0; n < 32; n++) op[n] = even[n];
                have = 1;
            } else {
                uint32_t product[32];
                for (int n = 0; n < 32; n++) product[n] = gf2_matrix_times(even, op[n]);
                for (int n = 0; n < 32; n++) op[n] = product[n];
            }
        }
        len >>= 1;
        if (!len) break;
        gf2_matrix_square(odd, even);
        if (len & 1) {
            if (!have) {
                for (int n = 0; n < 32; n++) op[n] = odd[n];
                have = 1;
            } else {
                uint32_t product[32];
                for (int n = 0; n < 32; n++) product[n] = gf2_matrix_times(odd, op[n]);
                for (int n = 0; n < 32; n++) op[n] = product[n];
            }
        }
        len >>= 1;
    } while (len);
    for (int k = 0; k < 4; k++)
        for (uint32_t b = 0; b < 256; b++) tables[k][b] = gf2_matrix_times(op, b << (8 * k));
}

static inline uint32_t shift_by_short_block(uint32_t crc) {
    return shift_short[0][crc & 0xFF] ^ shift_short[1][(crc >> 8) & 0xFF] ^
           shift_short[2][(crc >> 16) & 0xFF] ^ shift_short[3][crc >> 24];
}

__attribute__((constructor)) static void fm_crc32c_init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : (c >> 1);
        crc_table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = crc_table[0][n];
        for (int t = 1; t < 8; t++) {
            c = crc_table[0][c & 0xFF] ^ (c >> 8);
            crc_table[t][n] = c;
        }
    }
    make_shift_tables(shift_short, SHORT_BLOCK);
#if defined(__x86_64__)
    __builtin_cpu_init();
    crc_hardware = __builtin_cpu_supports("sse4.2") != 0;
#endif
}

static uint32_t crc32c_table(uint32_t crc, const uint8_t *p, size_t n) {
    crc = ~crc;
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        // slicing-by-8 assumes little-endian loads
        uint32_t lo = (uint32_t)word ^ crc, hi = (uint32_t)(word >> 32);
        crc = crc_table[7][lo & 0xFF] ^ crc_table[6][(lo >> 8) & 0xFF] ^
              crc_table[5][(lo >> 16) & 0xFF] ^ crc_table[4][lo >> 24] ^
              crc_table[3][hi & 0xFF] ^ crc_table[2][(hi >> 8) & 0xFF] ^
              crc_table[1][(hi >> 16) & 0xFF] ^ crc_table[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--) crc = crc_table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const uint8_t *p, size_t n) {
    uint64_t c = ~crc;
    while (n >= 3 * SHORT_BLOCK) {
        uint64_t c1 = 0, c2 = 0;
        for (size_t i = 0; i < SHORT_BLOCK; i += 8) {
            uint64_t w0, w1, w2;
            memcpy(&w0, p + i, 8);
            memcpy(&w1, p + SHORT_BLOCK + i, 8);
            memcpy(&w2, p + 2 * SHORT_BLOCK + i, 8);
            c = __builtin_ia32_crc32di(c, w0);
            c1 = __builtin_ia32_crc32di(c1, w1);
            c2 = __builtin_ia32_crc32di(c2, w2);
        }
        c = shift_by_short_block((uint32_t)c) ^ (uint32_t)c1;
        c = shift_by_short_block((uint32_t)c) ^ (uint32_t)c2;
        p += 3 * SHORT_BLOCK;
        n -= 3 * SHORT_BLOCK;
    }
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = __builtin_ia32_crc32di(c, word);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--) c32 = __builtin_ia32_crc32qi(c32, *p++);
    return ~c32;
}
#endif

uint32_t fm_crc32c(uint32_t crc, const void *bytes, size_t length) {
#if defined(__x86_64__)
    if (crc_hardware) return crc32c_sse42(crc, (const uint8_t *)bytes, length);
#endif
    return crc32c_table(crc, (const uint8_t *)bytes, length);
}

int fm_crc32c_uses_hardware(void) { return crc_hardware; }

uint32_t fm_crc32c_portable(uint32_t crc, const void *bytes, size_t length) {
    return crc32c_table(crc, (const uint8_t *)bytes, length);
}
