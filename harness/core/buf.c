/* buf.c — see buf.h. */
#include "harness/core/buf.h"

#include <stdlib.h>
#include <string.h>

void bb_buf_put(bb_buf *b, const void *src, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void bb_buf_puts(bb_buf *b, const char *s) { bb_buf_put(b, s, strlen(s)); }
