/* embedded.c — join the embedded lines of a data file and verify them (see embedded.h). */
#include "tasks/molecules/embedded.h"

#include "harness/core/fileio.h"

#include <stdlib.h>
#include <string.h>

int bb_embedded_text(const bb_embedded_file *f, char **text, size_t *len, bb_ctx *ctx) {
    *text = NULL;
    *len = 0;
    char *buf = malloc(f->nbytes + 1);
    if (!buf) return BB_ERR(ctx, BB_ENOMEM, "%s (embedded): out of memory", f->name);
    size_t n = 0;
    for (size_t i = 0; i < f->nlines; i++) {
        size_t l = strlen(f->lines[i]);
        int nl = i + 1 < f->nlines || f->final_newline;
        if (n + l + (size_t)nl > f->nbytes) {
            free(buf);
            return BB_ERR(ctx, BB_EHASH, "%s (embedded): longer than its recorded %zu bytes", f->name, f->nbytes);
        }
        memcpy(buf + n, f->lines[i], l);
        n += l;
        if (nl) buf[n++] = '\n';
    }
    buf[n] = '\0';
    char hex[65];
    bb_sha256_hex(buf, n, hex);
    if (n != f->nbytes || strcmp(hex, f->sha256) != 0) {
        free(buf);
        return BB_ERR(ctx, BB_EHASH, "%s (embedded): sha256 %s, expected %s", f->name, hex, f->sha256);
    }
    *text = buf;
    *len = n;
    return BB_OK;
}
