#ifndef FEATUREMEMORY_CNATS_SHIM_H
#define FEATUREMEMORY_CNATS_SHIM_H
#include <nats/nats.h>
#endif
