// Backing memory with pages ahead of use. Where the kernel has MADV_POPULATE_READ/WRITE (Linux
// 5.14+) one call faults the range in without touching its contents; elsewhere anonymous memory
// is written by an atomic add of zero per page, which leaves a word that another thread is
// writing as that thread leaves it, and a file mapping is only asked to be read ahead.
#include "FeatureMemoryShims.h"
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

// Whether the kernel populated the range in one call.
static int populate(void *start, size_t length, int advice) {
#ifdef __linux__
    return madvise(start, length, advice) == 0;
#else
    (void)start; (void)length; (void)advice;
    return 0;
#endif
}

int fm_populate_write(void *start, size_t length) {
    if (populate(start, length, MADV_POPULATE_WRITE)) return 1;
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0) page = 4096;
    char *bytes = (char *)start;
    for (size_t offset = 0; offset < length; offset += (size_t)page) {
        __atomic_fetch_add((uint64_t *)(bytes + offset), 0, __ATOMIC_RELAXED);
    }
    return 0;
}

int fm_populate_read(void *start, size_t length) {
    if (populate(start, length, MADV_POPULATE_READ)) return 1;
    (void)madvise(start, length, MADV_WILLNEED);
    return 0;
}
