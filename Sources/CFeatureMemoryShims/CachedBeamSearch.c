// The layer-0 beam search of a store whose node cache holds every node the search reaches: the
// loop hnswlib runs, over the cache's slots, with the cache's lock-free read protocol; and the
// same loop over the writer's cache, for the searches that find an insert's neighbours. In Swift
// the same loop spent about three quarters of each lookup on bookkeeping (reference counts,
// uniqueness and bounds checks, optional unwrapping) rather than on the distance; the Swift
// search (HNSWSearch) remains for every other source and takes over whenever this one meets a
// node the cache lacks.
#include "FeatureMemoryShims.h"
#include <stdlib.h>
#include <string.h>
#pragma STDC FP_CONTRACT OFF

struct fm_beam_scratch {
    uint64_t *words;
    size_t word_capacity;
    uint32_t *touched;
    size_t touched_count;
    fm_candidate *candidates;
    size_t candidate_capacity;
    fm_candidate *results;
    size_t result_capacity;
    uint32_t *links;
    size_t link_capacity;
};

static int beam_enabled = 1;

void fm_beam_set_enabled(int enabled) { __atomic_store_n(&beam_enabled, enabled, __ATOMIC_RELAXED); }

int fm_beam_is_enabled(void) { return __atomic_load_n(&beam_enabled, __ATOMIC_RELAXED); }

fm_beam_scratch *fm_beam_scratch_create(void) { return calloc(1, sizeof(fm_beam_scratch)); }

void fm_beam_scratch_destroy(fm_beam_scratch *scratch) {
    if (!scratch) return;
    free(scratch->words);
    free(scratch->touched);
    free(scratch->candidates);
    free(scratch->results);
    free(scratch->links);
    free(scratch);
}

/// Grows `*buffer` to hold `needed` elements of `size` bytes; 0 when memory ran out.
static int reserve(void **buffer, size_t *capacity, size_t needed, size_t size) {
    if (*capacity >= needed) return 1;
    size_t grown = *capacity * 2 > needed ? *capacity * 2 : needed;
    void *fresh = realloc(*buffer, grown * size);
    if (!fresh) return 0;
    *buffer = fresh;
    *capacity = grown;
    return 1;
}

static inline int before(fm_candidate a, fm_candidate b) {
    return a.distance < b.distance || (a.distance == b.distance && a.node < b.node);
}

// candidates: nearest on top; results: farthest on top
static inline void push(fm_candidate *heap, size_t *count, fm_candidate c, int nearest_first) {
    size_t child = (*count)++;
    while (child > 0) {
        size_t parent = (child - 1) / 2;
        int above = nearest_first ? before(c, heap[parent]) : before(heap[parent], c);
        if (!above) break;
        heap[child] = heap[parent];
        child = parent;
    }
    heap[child] = c;
}

static inline fm_candidate pop(fm_candidate *heap, size_t *count, int nearest_first) {
    fm_candidate top = heap[0], last = heap[--(*count)];
    size_t n = *count, parent = 0;
    while (1) {
        size_t left = 2 * parent + 1;
        if (left >= n) break;
        size_t best = left;
        if (left + 1 < n) {
            int right_above = nearest_first ? before(heap[left + 1], heap[left]) : before(heap[left], heap[left + 1]);
            if (right_above) best = left + 1;
        }
        int child_above = nearest_first ? before(heap[best], last) : before(last, heap[best]);
        if (!child_above) break;
        heap[parent] = heap[best];
        parent = best;
    }
    if (n > 0) heap[parent] = last;
    return top;
}

/// Marks `node` visited; 1 when it was not yet (SearchScratch's VisitedSet, in C).
static inline int visit(fm_beam_scratch *s, uint32_t node) {
    size_t word = node >> 6;
    uint64_t bit = 1ull << (node & 63);
    if (word >= s->word_capacity || (s->words[word] & bit)) return 0;
    if (!s->words[word]) s->touched[s->touched_count++] = (uint32_t)word;
    s->words[word] |= bit;
    return 1;
}

static inline uint8_t *slot_of(const fm_beam_view *view, uint32_t node) {
    const uint8_t *block = fm_load_pointer(view->index_slot);
    if ((uint64_t)node >= *(const uint64_t *)block) return NULL;
    uint32_t slot_plus_one = fm_load_u32_relaxed((const uint32_t *)(block + 8) + node);
    if (slot_plus_one == 0) return NULL;
    return view->arena + (size_t)(slot_plus_one - 1) * view->stride;
}

static inline void prefetch_lookup(const fm_beam_view *view, uint32_t node) {
    const uint8_t *block = fm_load_pointer(view->index_slot);
    if ((uint64_t)node < *(const uint64_t *)block) fm_prefetch_line((const uint32_t *)(block + 8) + node);
}

static inline void prefetch_slot(const fm_beam_view *view, uint32_t node) {
    uint8_t *slot = slot_of(view, node);
    if (!slot) return;
    fm_prefetch_line(slot);
    fm_prefetch_range(slot + view->vector_offset, view->stride - view->vector_offset);
}

/// The slot's sequence number when it holds `node` as the snapshot does (NodeCacheView.sequence);
/// 1 (odd: never a valid number) otherwise.
static inline uint32_t open_entry(const fm_beam_view *view, uint8_t *slot, uint32_t node) {
    uint32_t sequence = fm_load_u32_acquire((const uint32_t *)slot);
    if (sequence & 1) return 1;
    if (fm_load_u32_relaxed((const uint32_t *)(slot + FM_SLOT_NODE)) != node) return 1;
    uint64_t loaded = fm_load_u64_relaxed((const uint64_t *)(slot + FM_SLOT_LOADED_AT));
    uint64_t bound = loaded < view->snapshot ? loaded : view->snapshot;
    if (fm_load_u64_acquire((const uint64_t *)(slot + FM_SLOT_CHANGED_AT)) > bound) return 1;
    if (fm_load_u64_relaxed(view->shared) > bound) return 1;
    return sequence;
}

static inline int unchanged(const uint8_t *slot, uint32_t sequence) {
    fm_fence_acquire();
    return fm_load_u32_relaxed((const uint32_t *)slot) == sequence;
}

/// NodeCacheView.noteUse: one use per search for eviction (a count at its top left alone, so
/// that the slots every search visits are not written by every search), and the prefetcher's
/// credit.
static inline void note_use(const fm_beam_view *view, uint8_t *slot) {
    uint32_t *epoch = (uint32_t *)(slot + FM_SLOT_EPOCH);
    uint8_t *frequency = slot + FM_SLOT_FREQUENCY;
    uint8_t *origin = slot + FM_SLOT_ORIGIN;
    if (view->epoch != 0) {
        uint8_t count = fm_load_u8_relaxed(frequency);
        if (count < 3 && fm_load_u32_relaxed(epoch) != view->epoch) {
            fm_store_u32_relaxed(epoch, view->epoch);
            fm_store_u8_relaxed(frequency, count + 1);
        }
    }
    if (fm_load_u8_relaxed(origin) != 0) {
        uint8_t was = fm_exchange_u8(origin, 0);
        if (was != 0) fm_add_u64(view->shared + view->used_counter_base + was - 1, 1);
    }
}

/// The distance from the query to a node's codes (IntegerQuery.distance); NAN when an l2
/// distance overflows, for the Swift search to compute in floats.
static inline float code_distance(const fm_beam_query *q, const uint8_t *codes, float low, float step, float norm) {
    int32_t integer = q->format == FM_BEAM_NIBBLES ? fm_nibble_integer_dot(q->integers, codes, q->dimension)
                                                   : fm_integer_dot(q->integers, codes, q->dimension);
    float dot = low * q->sum + step * q->unit * (float)integer;
    switch (q->metric) {
    case FM_BEAM_L2: {
        float d = q->norm * q->norm + norm * norm - 2 * dot;
        return (d - d == 0) ? d : __builtin_nanf("");
    }
    case FM_BEAM_INNER_PRODUCT: return 1 - dot;
    default: return 1 - dot / (q->norm * norm);
    }
}

// The two places a search reads nodes from. The loop below is written once over `kind`; each
// exported search passes a constant, so the compiler builds one loop per source with no choice
// per node.
enum { FROM_NODE_CACHE, FROM_WRITER_CACHE };

/// The distance from the query to `node`; NAN when the source does not hold the node as the
/// snapshot does, or the distance overflows.
static inline __attribute__((always_inline)) float node_distance(int kind, const void *source, uint32_t node, size_t *lookups) {
    if (kind == FROM_NODE_CACHE) {
        const fm_beam_view *view = source;
        uint8_t *slot = slot_of(view, node);
        if (!slot) return __builtin_nanf("");
        uint32_t sequence = open_entry(view, slot, node);
        if (sequence & 1) return __builtin_nanf("");
        float low, step, norm;
        memcpy(&low, slot + FM_SLOT_LOW, 4);
        memcpy(&step, slot + FM_SLOT_SCALE, 4);
        memcpy(&norm, slot + FM_SLOT_NORM, 4);
        float d = code_distance(&view->query, slot + view->vector_offset, low, step, norm);
        if (!unchanged(slot, sequence)) return __builtin_nanf("");
        note_use(view, slot);
        if (lookups) (*lookups)++;
        return d;
    }
    const fm_writer_view *view = source;
    if (node >= view->capacity || !view->has_codes[node]) return __builtin_nanf("");
    const float *range = view->ranges + 2 * (size_t)node;
    return code_distance(&view->query, view->codes + (size_t)node * view->query.dimension, range[0], range[1], view->norms[node]);
}

/// Copies the links of `links` that no earlier step visited into `s->links`, marking them
/// visited: the number copied; -1 when a link lies past the last node (damage: the Swift search
/// reads and reports it). The loads are relaxed atomics, as the node cache's lock-free readers
/// need; the caller checks afterwards that the list was not rewritten meanwhile.
static inline __attribute__((always_inline)) long keep_unvisited(fm_beam_scratch *s, const uint32_t *links, size_t count, size_t node_bound) {
    size_t copied = 0;
    for (size_t i = 0; i < count; i++) {
        uint32_t link = fm_load_u32_relaxed(links + i);
        if (link >= node_bound) return -1;
        if (visit(s, link)) s->links[copied++] = link;
    }
    return (long)copied;
}

/// The links of `node`'s layer-0 list (at most `maximum`) that no earlier step visited, in
/// `s->links` and marked visited, in one pass over the list: their number; -1 when the source
/// does not hold the list as the snapshot does or it is damaged. Marks left by a list that
/// turns out stale do not matter: the search stops there.
static inline __attribute__((always_inline)) long unvisited_links(int kind, const void *source, fm_beam_scratch *s, uint32_t node, size_t node_bound, size_t maximum, size_t *lookups) {
    if (kind == FROM_NODE_CACHE) {
        const fm_beam_view *view = source;
        uint8_t *slot = slot_of(view, node);
        if (!slot) return -1;
        uint32_t sequence = open_entry(view, slot, node);
        if (sequence & 1) return -1;
        size_t count = *(const uint16_t *)(slot + FM_SLOT_LINK_COUNT);
        if (count > maximum) count = maximum;
        long copied = keep_unvisited(s, (const uint32_t *)(slot + FM_SLOT_LINKS), count, node_bound);
        if (copied < 0 || !unchanged(slot, sequence)) return -1;
        note_use(view, slot);
        (*lookups)++;
        return copied;
    }
    const fm_writer_view *view = source;
    if (node >= view->capacity) return -1;
    size_t count = view->link_counts[node];
    if (count == FM_WRITER_NO_LINKS) return -1;
    if (count > maximum) count = maximum;
    return keep_unvisited(s, view->links + (size_t)node * view->link_width, count, node_bound);
}

/// Starts loading what finding `node` reads (the node cache's index), ahead of its entry.
static inline __attribute__((always_inline)) void prefetch_index(int kind, const void *source, uint32_t node) {
    if (kind == FROM_NODE_CACHE) prefetch_lookup(source, node);
}

/// Starts loading `node`'s codes and what surrounds them.
static inline __attribute__((always_inline)) void prefetch_node(int kind, const void *source, uint32_t node) {
    if (kind == FROM_NODE_CACHE) {
        prefetch_slot(source, node);
        return;
    }
    const fm_writer_view *view = source;
    if (node >= view->capacity) return;
    fm_prefetch_range(view->codes + (size_t)node * view->query.dimension, view->query.dimension);
}

/// Starts loading `node`'s layer-0 links (the slot's head, for the node cache), for the
/// expansion that will probably come next.
static inline __attribute__((always_inline)) void prefetch_links(int kind, const void *source, uint32_t node) {
    if (kind == FROM_NODE_CACHE) {
        uint8_t *slot = slot_of(source, node);
        if (slot) fm_prefetch_range(slot, FM_SLOT_LINKS + 4 * ((const fm_beam_view *)source)->maximum_links);
        return;
    }
    const fm_writer_view *view = source;
    if (node >= view->capacity) return;
    fm_prefetch_line(view->link_counts + node);
    fm_prefetch_range(view->links + (size_t)node * view->link_width, 4 * view->link_width);
}

/// How many neighbours ahead `beam_search` requests codes: about twenty cache lines in
/// flight, at least three and at most six neighbours. For the writer's searches at 128 values
/// (six ahead) the import measured alike to three (200,000 × 128, 4 interleaved imports each:
/// medians 2,946 and 3,070 rows/s, within the noise of identical builds).
static inline __attribute__((always_inline)) size_t lookahead(int kind, const void *source) {
    size_t lines;
    if (kind == FROM_NODE_CACHE) {
        const fm_beam_view *view = source;
        lines = 1 + (view->stride - view->vector_offset + 63) / 64;
    } else {
        lines = (((const fm_writer_view *)source)->query.dimension + 63) / 64;
    }
    size_t ahead = 20 / (lines ? lines : 1);
    return ahead < 3 ? 3 : ahead > 6 ? 6 : ahead;
}

/// Clears the visited marks of the last search and makes room for `node_bound` nodes, `ef`
/// results and `maximum_links` links; 0 when memory ran out.
static int prepare(fm_beam_scratch *s, size_t node_bound, size_t ef, size_t maximum_links, size_t entry_count) {
    size_t words_needed = (node_bound + 63) / 64;
    if (s->touched_count * 8 < s->word_capacity) {
        for (size_t i = 0; i < s->touched_count; i++) s->words[s->touched[i]] = 0;
    } else if (s->words) {
        memset(s->words, 0, s->word_capacity * sizeof(uint64_t));
    }
    s->touched_count = 0;
    if (s->word_capacity < words_needed) {
        size_t old = s->word_capacity, grown = old * 2 > words_needed ? old * 2 : words_needed;
        // the touched list first: a word is listed once, when its first bit is set, so it needs
        // as many entries as there are words, and words never outgrow it even if a step fails
        uint32_t *touched = realloc(s->touched, grown * sizeof(uint32_t));
        if (!touched) return 0;
        s->touched = touched;
        uint64_t *words = realloc(s->words, grown * sizeof(uint64_t));
        if (!words) return 0;
        memset(words + old, 0, (grown - old) * sizeof(uint64_t));
        s->words = words;
        s->word_capacity = grown;
    }
    return reserve((void **)&s->results, &s->result_capacity, ef + 1, sizeof(fm_candidate))
        && reserve((void **)&s->links, &s->link_capacity, maximum_links, sizeof(uint32_t))
        && reserve((void **)&s->candidates, &s->candidate_capacity, entry_count + 64, sizeof(fm_candidate));
}

static inline __attribute__((always_inline)) long beam_search(
    int kind, const void *source, size_t maximum_links, fm_beam_scratch *s, size_t node_bound,
    const fm_candidate *entries, size_t entry_count, size_t ef,
    const fm_candidate **found, size_t *visited_count, size_t *lookups) {
    // neighbours whose codes are requested ahead of their distance: enough lines in flight to
    // cover memory's latency without filling the processor's miss buffers. Three for 384-d
    // 8-bit codes (seven lines a node; 1.08x over two on MiniLM ef 24, 10 rounds in
    // alternating order), five for 128-d (three lines; 1.05x over three on 200,000 × 128 ef
    // 96, 6 rounds), no further change on MiniLM)
    const size_t ahead = lookahead(kind, source);
    // no search holds more results than the store has nodes: a huge ef (a caller asking for
    // every result) explores the same nodes with the smaller bound, and memory stays bounded
    if (ef > node_bound) ef = node_bound;
    if (ef == 0) return -1;
    if (!prepare(s, node_bound, ef, maximum_links, entry_count)) return -1;

    size_t candidate_count = 0, result_count = 0, visited = 0;
    for (size_t i = 0; i < entry_count; i++) {
        if (entries[i].node >= node_bound) return -1;
        if (!visit(s, entries[i].node)) continue;
        push(s->candidates, &candidate_count, entries[i], 1);
        push(s->results, &result_count, entries[i], 0);
    }
    while (candidate_count > 0) {
        fm_candidate nearest = pop(s->candidates, &candidate_count, 1);
        if (result_count >= ef && before(s->results[0], nearest)) break;
        long unvisited = unvisited_links(kind, source, s, nearest.node, node_bound, maximum_links, lookups);
        if (unvisited < 0) return -1;
        // the nearest candidate left is most often the next one expanded: its links load while
        // this node's neighbours are compared (as hnswlib does)
        if (candidate_count > 0) prefetch_links(kind, source, s->candidates[0].node);
        uint32_t *links = s->links;
        size_t count = (size_t)unvisited;
        visited += count;
        if (!reserve((void **)&s->candidates, &s->candidate_capacity, candidate_count + count, sizeof(fm_candidate))) return -1;
        for (size_t i = 0; i < count && i < 2 * ahead; i++) prefetch_index(kind, source, links[i]);
        for (size_t i = 0; i < count && i < ahead; i++) prefetch_node(kind, source, links[i]);
        for (size_t i = 0; i < count; i++) {
            uint32_t neighbour = links[i];
            if (i + 2 * ahead < count) prefetch_index(kind, source, links[i + 2 * ahead]);
            if (i + ahead < count) prefetch_node(kind, source, links[i + ahead]);
            float d = node_distance(kind, source, neighbour, lookups);
            if (d != d) return -1;
            fm_candidate candidate = { d, neighbour };
            if (result_count < ef || before(candidate, s->results[0])) {
                push(s->candidates, &candidate_count, candidate, 1);
                push(s->results, &result_count, candidate, 0);
                if (result_count > ef) (void)pop(s->results, &result_count, 0);
            }
        }
    }
    // farthest first out of the heap into the candidates' buffer (done with), filled from the back
    // so that it is nearest first
    size_t total = result_count;
    if (!reserve((void **)&s->candidates, &s->candidate_capacity, total, sizeof(fm_candidate))) return -1;
    for (size_t i = total; i > 0; i--) s->candidates[i - 1] = pop(s->results, &result_count, 0);
    *found = s->candidates;
    *visited_count = visited;
    return (long)total;
}

/// The greedy step over `nodes` (see fm_beam_nearest_of); upper-layer reads are not counted as
/// lookups.
static inline __attribute__((always_inline)) long nearest_of(int kind, const void *source, const uint32_t *nodes, size_t count, fm_candidate *best) {
    const size_t ahead = 2;
    int improved = 0;
    for (size_t i = 0; i < count && i < ahead; i++) prefetch_node(kind, source, nodes[i]);
    for (size_t i = 0; i < count; i++) {
        if (i + ahead < count) prefetch_node(kind, source, nodes[i + ahead]);
        float d = node_distance(kind, source, nodes[i], NULL);
        if (d != d) return -1;
        fm_candidate candidate = { d, nodes[i] };
        if (before(candidate, *best)) {
            *best = candidate;
            improved = 1;
        }
    }
    return improved;
}

long fm_beam_search_layer0(const fm_beam_view *view, fm_beam_scratch *s, size_t node_bound,
                           const fm_candidate *entries, size_t entry_count, size_t ef,
                           const fm_candidate **found, size_t *visited_count, size_t *lookups) {
    *lookups = 0;
    return beam_search(FROM_NODE_CACHE, view, view->maximum_links, s, node_bound, entries, entry_count, ef, found, visited_count, lookups);
}

long fm_beam_nearest_of(const fm_beam_view *view, const uint32_t *nodes, size_t count, fm_candidate *best) {
    return nearest_of(FROM_NODE_CACHE, view, nodes, count, best);
}

long fm_writer_search_layer0(const fm_writer_view *view, fm_beam_scratch *s, size_t node_bound,
                             const fm_candidate *entries, size_t entry_count, size_t ef,
                             const fm_candidate **found, size_t *visited_count) {
    size_t lookups = 0;
    return beam_search(FROM_WRITER_CACHE, view, view->link_width, s, node_bound, entries, entry_count, ef, found, visited_count, &lookups);
}

long fm_writer_nearest_of(const fm_writer_view *view, const uint32_t *nodes, size_t count, fm_candidate *best) {
    return nearest_of(FROM_WRITER_CACHE, view, nodes, count, best);
}
