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

/// Writes `values` (`count` floats, any alignment) as scaled float16 into `out`; returns the
/// power-of-two scale to multiply them by.
float fm_half_encode(const void *values, uint16_t *out, size_t count);
/// Dot product of a float query with unscaled float16 values (multiply by the scale after).
float fm_half_dot(const void *query, const uint16_t *values, size_t count);
/// Squared Euclidean distance between a float query and float16 values times `scale`.
float fm_half_l2_squared(const void *query, const uint16_t *values, float scale, size_t count);
/// Writes `values` as 8-bit codes into `out`: value ≈ low + step · code. Returns low; sets *step.
float fm_byte_encode(const void *values, uint8_t *out, size_t count, float *step);
/// Σ query[i] · code[i] (a dot product is low · Σ query + step · this).
float fm_byte_dot(const void *query, const uint8_t *codes, size_t count);
/// Squared Euclidean distance between a float query and the decoded codes.
float fm_byte_l2_squared(const void *query, const uint8_t *codes, float low, float step, size_t count);
/// The sum of `count` floats.
float fm_sum(const void *values, size_t count);
/// Writes `query` (`count` floats) as 16-bit integers into `out`, small enough that a whole
/// vector's products with 8-bit codes add up inside int32; returns the value one unit stands for
/// (0 for a zero query, or when `count` exceeds `fm_query_integers_largest_count()`).
float fm_query_integers(const void *query, int16_t *out, size_t count);
/// `fm_query_integers` on the portable code (the AVX-512 one must return the same), for tests.
float fm_query_integers_portable(const void *query, int16_t *out, size_t count);
/// The largest `count` whose integer query keeps at least 11 bits (2,048 levels a side).
size_t fm_query_integers_largest_count(void);
/// Σ query[i] · code[i] in integers (times the query's unit, the float `fm_byte_dot`).
int32_t fm_integer_dot(const int16_t *query, const uint8_t *codes, size_t count);
/// Bytes of 4-bit codes for `count` values: blocks of 64 values in 32 bytes (see NibbleCodes.c).
size_t fm_nibble_bytes(size_t count);
/// Writes `values` as 4-bit codes into `out` (`fm_nibble_bytes(count)` bytes): value ≈ low + step · code.
/// Returns low; sets *step.
float fm_nibble_encode(const void *values, uint8_t *out, size_t count, float *step);
/// low + step · code for each of `count` 4-bit codes.
void fm_nibble_decode(const uint8_t *codes, float low, float step, float *out, size_t count);
/// Σ query[i] · code[i] over 4-bit codes, in floats (a dot product is low · Σ query + step · this).
float fm_nibble_dot(const void *query, const uint8_t *codes, size_t count);
/// Squared Euclidean distance between a float query and the decoded 4-bit codes.
float fm_nibble_l2_squared(const void *query, const uint8_t *codes, float low, float step, size_t count);
/// Σ query[i] · code[i] over 4-bit codes in integers. `query` holds `count` integers padded with
/// zeros to a multiple of 64 (the kernels read whole blocks).
int32_t fm_nibble_integer_dot(const int16_t *query, const uint8_t *codes, size_t count);
/// `fm_nibble_integer_dot` on the portable code, and on AVX2 even where AVX-512 is used (the
/// portable code without AVX2), for tests.
int32_t fm_nibble_integer_dot_portable(const int16_t *query, const uint8_t *codes, size_t count);
int32_t fm_nibble_integer_dot_avx2(const int16_t *query, const uint8_t *codes, size_t count);
/// Byte offsets of a node cache slot's header fields and links: the one definition, read by
/// NodeSlot (Swift) and the C searches (see NodeSlot.swift for what each field holds).
enum {
    FM_SLOT_NODE = 4, FM_SLOT_LOADED_AT = 8, FM_SLOT_CHANGED_AT = 16, FM_SLOT_EXTERNAL_ID = 24,
    FM_SLOT_NORM = 32, FM_SLOT_LINK_COUNT = 36, FM_SLOT_FREQUENCY = 38, FM_SLOT_ORIGIN = 39,
    FM_SLOT_SCALE = 40, FM_SLOT_EPOCH = 44, FM_SLOT_LOW = 48, FM_SLOT_LINKS = 56
};
/// A search candidate: a node and its distance from the query.
typedef struct { float distance; uint32_t node; } fm_candidate;
/// The beam search's working memory (one per searching thread; see CachedBeamSearch.c).
typedef struct fm_beam_scratch fm_beam_scratch;
fm_beam_scratch *fm_beam_scratch_create(void);
/// Turns the cached beam search on or off for the whole process (on by default; tests compare
/// it with the Swift search).
void fm_beam_set_enabled(int enabled);
int fm_beam_is_enabled(void);
void fm_beam_scratch_destroy(fm_beam_scratch *scratch);
enum { FM_BEAM_BYTES = 1, FM_BEAM_NIBBLES = 2 };
enum { FM_BEAM_L2 = 0, FM_BEAM_COSINE = 1, FM_BEAM_INNER_PRODUCT = 2 };
/// The query as the C searches compare it with a node's codes (IntegerQuery): its integer form,
/// what one integer unit stands for, the sum of its values and its norm.
typedef struct {
    const int16_t *integers;
    float unit, sum, norm;
    uint32_t format, metric;
    size_t dimension;
} fm_beam_query;
/// What the cached beam search reads: the node cache's arena and index (NodeCacheView), the
/// snapshot, the search's epoch and the query.
typedef struct {
    uint8_t *arena;
    size_t stride, vector_offset, maximum_links;
    const void *const *index_slot;
    uint64_t *shared;
    size_t used_counter_base;
    uint64_t snapshot;
    uint32_t epoch;
    fm_beam_query query;
} fm_beam_view;
/// `link_counts` of a node whose layer-0 links the writer's cache does not hold in its slots.
enum { FM_WRITER_NO_LINKS = 0xFFFF };
/// What the writer's searches read of its cache (WriterCache), per node: the 8-bit codes
/// (`query.dimension` bytes each), their range (low, step), the norm, whether they are held, and
/// the layer-0 links in `link_width` slots (`link_counts`, FM_WRITER_NO_LINKS when not held).
typedef struct {
    const uint8_t *codes;
    const float *ranges;
    const float *norms;
    const uint8_t *has_codes;
    const uint32_t *links;
    const uint16_t *link_counts;
    size_t link_width, capacity;
    fm_beam_query query;
} fm_writer_view;
/// The `ef` nearest nodes found from `entries` in layer 0 through the node cache, nearest first,
/// in `*found` (the scratch's memory, valid until its next search); their count, or -1 when a node it reaches is not in the cache as the
/// snapshot holds it (or memory ran out): the caller searches another way then.
/// The nearest of `best` and `nodes` (`count` of them) by their cache entries, in `best`: 1 when
/// one of `nodes` was nearer, 0 when none was, -1 when one is not in the cache as the snapshot
/// holds it (`best` may have moved then). A step of the greedy descent through the upper layers.
long fm_beam_nearest_of(const fm_beam_view *view, const uint32_t *nodes, size_t count, fm_candidate *best);
long fm_beam_search_layer0(const fm_beam_view *view, fm_beam_scratch *scratch, size_t node_bound,
                           const fm_candidate *entries, size_t entry_count, size_t ef,
                           const fm_candidate **found, size_t *visited_count, size_t *lookups);
/// fm_beam_search_layer0 through the writer's cache: -1 when a node it reaches is not there.
long fm_writer_search_layer0(const fm_writer_view *view, fm_beam_scratch *scratch, size_t node_bound,
                             const fm_candidate *entries, size_t entry_count, size_t ef,
                             const fm_candidate **found, size_t *visited_count);
/// fm_beam_nearest_of through the writer's cache.
long fm_writer_nearest_of(const fm_writer_view *view, const uint32_t *nodes, size_t count, fm_candidate *best);
/// Whether the kernels above run on AVX2 + FMA (1) or on the portable code (0).
int fm_kernels_use_avx2(void);
/// Whether fm_l2_squared and fm_dot run on AVX-512 (1) rather than AVX2 or the portable code.
int fm_kernels_use_avx512(void);

/// The kernels above on their portable code, whatever the processor has: the reference the
/// accelerated versions are tested against on every machine (as `fm_crc32c_portable` is for CRC).
float fm_l2_squared_portable(const void *a, const void *b, size_t count);
float fm_dot_portable(const void *a, const void *b, size_t count);
float fm_half_encode_portable(const void *values, uint16_t *out, size_t count);
/// The float32 values of `count` float16 values (unaligned) times `scale` (as `fm_half_encode` returned).
void fm_half_decode(const void *halves, float scale, float *out, size_t count);
/// `fm_half_decode` without F16C, for tests.
void fm_half_decode_portable(const void *halves, float scale, float *out, size_t count);
/// `count` floats as bfloat16 (their top 16 bits, rounded to nearest even), unaligned output.
void fm_bfloat_encode(const void *values, void *out, size_t count);
/// The float32 values of `count` bfloat16 values (unaligned).
void fm_bfloat_decode(const void *in, float *out, size_t count);
/// low + step · code for each of `count` 8-bit codes (as `fm_byte_encode` made them).
void fm_byte_decode(const uint8_t *codes, float low, float step, float *out, size_t count);
float fm_half_dot_portable(const void *query, const uint16_t *values, size_t count);
float fm_half_l2_squared_portable(const void *query, const uint16_t *values, float scale, size_t count);
float fm_byte_dot_portable(const void *query, const uint8_t *codes, size_t count);
float fm_byte_l2_squared_portable(const void *query, const uint8_t *codes, float low, float step, size_t count);
int32_t fm_integer_dot_portable(const int16_t *query, const uint8_t *codes, size_t count);
/// `fm_byte_encode` on the portable code (the AVX2 one must write the same bytes), for tests.
float fm_byte_encode_portable(const void *values, uint8_t *out, size_t count, float *step);
/// `fm_integer_dot` on AVX2 even where AVX-512 is used (the portable code without AVX2), for tests.
int32_t fm_integer_dot_avx2(const int16_t *query, const uint8_t *codes, size_t count);

/// Backs `length` bytes of writable anonymous memory from `start` (page aligned) with pages now,
/// leaving their contents as they are; returns 1 when the kernel did it in one call.
int fm_populate_write(void *start, size_t length);
/// Maps `length` bytes of a file mapping from `start` (page aligned) into the page tables now,
/// reading from the file what the page cache lacks; returns 1 when the kernel did it in one call
/// (elsewhere it is only asked to read ahead).
int fm_populate_read(void *start, size_t length);

/// Whether CRC-32C runs on the SSE4.2 instruction (1) or on the table (0).
int fm_crc32c_uses_hardware(void);

/// Asks the processor to bring the first cache lines at `address` in ahead of use: a search
/// knows which vector it reads next while it still computes the current distance.
static inline void fm_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
    __builtin_prefetch((const char *)address + 64, 0, 3);
    __builtin_prefetch((const char *)address + 128, 0, 3);
}

/// Asks the processor for every cache line of `length` bytes at `address`.
static inline void fm_prefetch_range(const void *address, size_t length) {
    for (size_t offset = 0; offset < length; offset += 64) __builtin_prefetch((const char *)address + offset, 0, 3);
}
/// Asks the processor for the one cache line at `address`.
static inline void fm_prefetch_line(const void *address) {
    __builtin_prefetch(address, 0, 3);
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

/// Seqlock and counter primitives for the node cache, which many reader threads consult
/// without a lock while one filler thread at a time rewrites slots.
static inline uint32_t fm_load_u32_acquire(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline uint32_t fm_load_u32_relaxed(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void fm_store_u32_relaxed(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
static inline void fm_store_u32_release(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline uint64_t fm_load_u64_acquire(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline uint64_t fm_load_u64_relaxed(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void fm_store_u64_release(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline void fm_store_u64_relaxed(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
static inline uint64_t fm_add_u64(uint64_t *p, uint64_t d) { return __atomic_add_fetch(p, d, __ATOMIC_RELAXED); }
static inline uint8_t fm_load_u8_relaxed(const uint8_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void fm_store_u8_relaxed(uint8_t *p, uint8_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
static inline uint8_t fm_exchange_u8(uint8_t *p, uint8_t v) { return __atomic_exchange_n(p, v, __ATOMIC_RELAXED); }
/// Raises `*p` to `v` unless it is already larger; returns the value it holds after.
static inline uint64_t fm_max_u64(uint64_t *p, uint64_t v) {
    uint64_t current = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (current < v && !__atomic_compare_exchange_n(p, &current, v, 1, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {}
    return current < v ? v : current;
}
static inline void fm_fence_acquire(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }
static inline void fm_fence_release(void) { __atomic_thread_fence(__ATOMIC_RELEASE); }
#endif
