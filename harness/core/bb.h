/* bb.h — status codes and the per-call error context shared by every module.
 *
 * Every fallible function in libboltzbench returns an int status: BB_OK (0) or a
 * negative BB_E* code. The human-readable message lives in a caller-owned bb_ctx
 * (no global or thread-local error state, cf. sqlite3_errmsg / CURLOPT_ERRORBUFFER).
 * Messages follow the CLI convention "<file or field>: <what is wrong>", so the
 * program can print "boltzbench: <msg>" as its one error line.
 *
 * BB_EBUDGET is not a fault: it is the oracle telling a method that the energy
 * budget is spent and it must finish with what it has (like GSL_CONTINUE).
 *
 * Library code never calls exit().
 */
#ifndef BB_H
#define BB_H

#include <stddef.h>
#include <stdint.h>

#define BB_VERSION_STRING "0.1.0"

typedef enum bb_status {
    BB_OK = 0,
    BB_EINVAL = -1,        /* invalid argument, config value or CLI option */
    BB_ENOMEM = -2,        /* allocation failed or a declared size exceeds a limit */
    BB_EIO = -3,           /* file system error (open, read, write, rename, fsync) */
    BB_EFORMAT = -4,       /* malformed file (JSON, npy, npz, prmtop, report) */
    BB_EBUDGET = -5,       /* energy-evaluation budget exhausted: finish gracefully */
    BB_ENAN = -6,          /* NaN energy or gradient, or NaN input */
    BB_ENET = -7,          /* network transfer failed (HTTP error, connection refused) */
    BB_EHASH = -8,         /* size or SHA-256 mismatch */
    BB_ENOTFOUND = -9,     /* unknown id (task, method, dataset, metric) or missing file */
    BB_EOFFLINE = -10,     /* offline mode forbids the network */
    BB_ETIMEOUT = -11,     /* transfer stalled or timed out */
    BB_EINTERNAL = -12,    /* invariant violated (a bug) */
    BB_EUNSUPPORTED = -13, /* valid input that this build does not handle (dtype, format) */
    BB_EINTERRUPTED = -14  /* the user interrupted the run (SIGINT/SIGTERM); its report says so */
} bb_status;

#define BB_STATUS_COUNT 15

/* Name of a status ("BB_EBUDGET"); never NULL. */
const char *bb_status_name(int status);

/* Error context, owned by the caller, usually on the stack. Zero-initialise it
 * (bb_ctx c = {0};). A failing function sets it once with the innermost, most
 * specific message; callers may prefix context with bb_ctx_prefix(). */
typedef struct bb_ctx {
    int code;         /* last status set, BB_OK when clean */
    const char *file; /* source location that raised it (for debugging) */
    int line;
    char msg[1024]; /* "<file or field>: <what>" */
} bb_ctx;

/* Record an error; returns `code` so callers can `return BB_ERR(ctx, ...)`.
 * ctx may be NULL (the error is then only returned). */
int bb_ctx_set(bb_ctx *ctx, int code, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Prepend "<prefix>: " to the current message (e.g. a file name). */
void bb_ctx_prefix(bb_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bb_ctx_clear(bb_ctx *ctx);

#define BB_ERR(ctx, code, ...) bb_ctx_set((ctx), (code), __FILE__, __LINE__, __VA_ARGS__)

/* free() every one of the n pointers in p: the buffers a struct owns, released in one call. */
void bb_free_all(void *const *p, size_t n);
/* The same for pointers written out: BB_FREE_ALL(s->x, s->logw). */
#define BB_FREE_ALL(...)                                                                                               \
    bb_free_all((void *const[]){__VA_ARGS__}, sizeof((void *const[]){__VA_ARGS__}) / sizeof(void *))

/* SQLite-style check for a condition that must always hold: assert in debug builds,
 * evaluate to the condition in release builds so callers can recover. */
#ifdef NDEBUG
#define BB_ALWAYS(x) (x)
#else
#include <assert.h>
#define BB_ALWAYS(x) ((x) ? 1 : (assert(0 && #x), 0))
#endif

#endif /* BB_H */
