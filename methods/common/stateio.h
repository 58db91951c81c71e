/* stateio.h — checked binary reads and writes of a method's resumable state.
 *
 * A method's save/load (methods/method.h) write native-endian arrays into the stream the
 * driver gives them; the driver wraps the bytes in its own versioned, checksummed state
 * file (harness/run/driver.h), so these helpers only need to fail cleanly on a short
 * stream. Each returns 1 on success, 0 on a short read/write.
 */
#ifndef BB_STATEIO_H
#define BB_STATEIO_H

#include <stdint.h>
#include <stdio.h>

static inline int bb_state_put(FILE *fp, const void *p, size_t size, size_t n) {
    return n == 0 || fwrite(p, size, n, fp) == n;
}
static inline int bb_state_get(FILE *fp, void *p, size_t size, size_t n) {
    return n == 0 || fread(p, size, n, fp) == n;
}
/* A header of sizes the reader must find equal (shapes of the arrays that follow). */
static inline int bb_state_put_shape(FILE *fp, const uint64_t *shape, size_t n) {
    return bb_state_put(fp, shape, sizeof *shape, n);
}
static inline int bb_state_check_shape(FILE *fp, const uint64_t *want, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint64_t v;
        if (!bb_state_get(fp, &v, sizeof v, 1) || v != want[i]) return 0;
    }
    return 1;
}

#endif
