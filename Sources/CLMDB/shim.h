#ifndef FEATUREMEMORY_CLMDB_SHIM_H
#define FEATUREMEMORY_CLMDB_SHIM_H
#include <lmdb.h>
#endif
