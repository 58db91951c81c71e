/* buf.h — a growing byte buffer: appends that double the capacity as needed.
 *
 * What it is: one place for the append-and-grow loop of the canonical JSON writer
 * (jsonutil.c) and the nn checkpoint encoder (methods/nn/checkpoint.c). The bytes are always
 * followed by a '\0' (not counted in len), so text can be used as a string. A failed
 * allocation sets oom and makes later appends do nothing: callers check oom once at the end.
 * What it is not: a string formatter, or a buffer with a size limit.
 */
#ifndef BB_BUF_H
#define BB_BUF_H

#include <stddef.h>

typedef struct bb_buf {
    char *p;         /* len bytes and a '\0'; NULL before the first append; free() it */
    size_t len, cap; /* cap: bytes allocated */
    int oom;         /* an allocation failed */
} bb_buf;

/* Append n bytes of src. */
void bb_buf_put(bb_buf *b, const void *src, size_t n);
/* Append the string s (without its '\0'). */
void bb_buf_puts(bb_buf *b, const char *s);

#endif
