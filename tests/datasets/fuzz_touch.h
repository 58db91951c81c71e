/* fuzz_touch.h — shared by the parser fuzz targets (fuzz_npy.c, fuzz_npz.c): read every
 * element of a parsed array, so that a wrong element count is caught by ASan. */
#ifndef BB_FUZZ_TOUCH_H
#define BB_FUZZ_TOUCH_H

#include <stddef.h>

#include "datasets/npy.h"

static inline double fuzz_touch(const bb_array *a) {
    double s = 0;
    for (size_t i = 0; i < a->n; i++) s += a->data[i];
    return s;
}

#endif
