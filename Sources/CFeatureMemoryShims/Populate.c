// Backing memory with pages ahead of use. Where the kernel has MADV_POPULATE_WRITE (Linux 5.14+)
// one call faults the range in without touching its contents; elsewhere each page is written by
// an atomic add of zero, which leaves a word that another thread is writing as that thread
// leaves it.
#include "FeatureMemoryShims.h"
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

int fm_populate_write(void *start, size_t length) {
#ifdef __linux__
    if (madvise(start, length, MADV_POPULATE_WRITE) == 0) return 1;
#endif
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0) page = 4096;
    char *bytes = (char *)start;
    for (size_t offset = 0; offset < length; offset += (size_t)page) {
        __atomic_fetch_add((uint64_t *)(bytes + offset), 0, __ATOMIC_RELAXED);
    }
    return 0;
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

int fm_populate_read(void *start, size_t length) {
#ifdef __linux__
    if (madvise(start, length, MADV_POPULATE_READ) == 0) return 1;
#endif
    (void)madvise(start, length, MADV_WILLNEED);
    return 0;
}
