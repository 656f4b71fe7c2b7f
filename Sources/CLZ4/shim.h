#ifndef FEATUREMEMORY_CLZ4_SHIM_H
#define FEATUREMEMORY_CLZ4_SHIM_H
#include <lz4.h>
#endif
