#include "CQKKernels.h"
#include <stdlib.h>  // defines __GLIBC__ on glibc systems
#if defined(__GLIBC__)
#include <malloc.h>
#endif

void qk_keep_freed_memory_mapped(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 16 << 20);  // glibc refuses values above 32 MiB
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}
