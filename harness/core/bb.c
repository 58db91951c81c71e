/* bb.c — status names, error-context helpers and bb_free_all (see bb.h). */
#include "harness/core/bb.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const BB_STATUS_NAME[BB_STATUS_COUNT] = {
    "BB_OK",       "BB_EINVAL",   "BB_ENOMEM",    "BB_EIO",          "BB_EFORMAT",
    "BB_EBUDGET",  "BB_ENAN",     "BB_ENET",      "BB_EHASH",        "BB_ENOTFOUND",
    "BB_EOFFLINE", "BB_ETIMEOUT", "BB_EINTERNAL", "BB_EUNSUPPORTED", "BB_EINTERRUPTED",
};
_Static_assert(sizeof BB_STATUS_NAME / sizeof BB_STATUS_NAME[0] == BB_STATUS_COUNT, "every bb_status needs a name");
_Static_assert(-BB_EINTERRUPTED == BB_STATUS_COUNT - 1, "BB_STATUS_COUNT out of date");

const char *bb_status_name(int status) {
    if (status > 0 || -status >= BB_STATUS_COUNT) return "BB_E?";
    return BB_STATUS_NAME[-status];
}

int bb_ctx_set(bb_ctx *ctx, int code, const char *file, int line, const char *fmt, ...) {
    if (!ctx) return code;
    ctx->code = code;
    ctx->file = file;
    ctx->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->msg, sizeof ctx->msg, fmt, ap);
    va_end(ap);
    return code;
}

void bb_ctx_prefix(bb_ctx *ctx, const char *fmt, ...) {
    if (!ctx) return;
    char pre[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    char tmp[sizeof ctx->msg];
    size_t lp = strlen(pre), lm = strlen(ctx->msg);
    if (lp > sizeof tmp - 3) lp = sizeof tmp - 3;
    memcpy(tmp, pre, lp);
    tmp[lp] = ':';
    tmp[lp + 1] = ' ';
    if (lm > sizeof tmp - lp - 3) lm = sizeof tmp - lp - 3;
    memcpy(tmp + lp + 2, ctx->msg, lm);
    tmp[lp + 2 + lm] = '\0';
    memcpy(ctx->msg, tmp, sizeof tmp);
}

void bb_ctx_clear(bb_ctx *ctx) {
    if (!ctx) return;
    ctx->code = BB_OK;
    ctx->file = NULL;
    ctx->line = 0;
    ctx->msg[0] = '\0';
}

void bb_free_all(void *const *p, size_t n) {
    for (size_t i = 0; i < n; i++) free(p[i]);
}
