#ifndef FEATUREMEMORY_SHIMS_H
#define FEATUREMEMORY_SHIMS_H

#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli) of `length` bytes, continuing from `crc` (start with 0).
/// Uses the SSE4.2 instruction when the processor has it, a table otherwise.
uint32_t fm_crc32c(uint32_t crc, const void *bytes, size_t length);

/// CRC-32C by table lookups only: the reference the hardware path is tested against.
uint32_t fm_crc32c_portable(uint32_t crc, const void *bytes, size_t length);

/// Squared Euclidean distance between two float vectors of `count` elements.
/// Neither pointer needs float alignment: vectors are read in place from LMDB pages.
float fm_l2_squared(const void *a, const void *b, size_t count);

/// Dot product of two float vectors of `count` elements.
float fm_dot(const void *a, const void *b, size_t count);

/// Whether the kernels above run on AVX2 + FMA (1) or on the portable code (0).
int fm_kernels_use_avx2(void);

/// Whether CRC-32C runs on the SSE4.2 instruction (1) or on the table (0).
int fm_crc32c_uses_hardware(void);

/// Asks the processor to bring the first cache lines at `address` in ahead of use: a search
/// knows which vector it reads next while it still computes the current distance.
static inline void fm_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
    __builtin_prefetch((const char *)address + 64, 0, 3);
    __builtin_prefetch((const char *)address + 128, 0, 3);
}

/// Loads a pointer slot that other threads may store to (relaxed: the slots of one snapshot only
/// ever receive the same value, so ordering does not matter, only freedom from tearing).
static inline const void *fm_load_pointer(const void *const *slot) {
    return __atomic_load_n(slot, __ATOMIC_RELAXED);
}

/// Stores a pointer slot that other threads may load concurrently.
static inline void fm_store_pointer(const void **slot, const void *value) {
    __atomic_store_n(slot, value, __ATOMIC_RELAXED);
}

#endif
