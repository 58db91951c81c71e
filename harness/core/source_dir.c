/* source_dir.c — see source_dir.h. */
#include "harness/core/source_dir.h"

#include <stdlib.h>

#ifndef BB_SOURCE_DIR
#define BB_SOURCE_DIR "."
#endif

const char *bb_source_dir(void) {
    const char *e = getenv("BOLTZBENCH_SOURCE_DIR");
    return e && *e ? e : BB_SOURCE_DIR;
}
