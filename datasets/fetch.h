/* fetch.h — download a manifest dataset into the cache, verified, with libcurl.
 *
 * bb_fetch_dataset() makes <cache>/<id>@<version>/<file> exist with the manifest's size
 * and sha256, or fails leaving nothing but a resumable "<file>.part" behind:
 *   - fetches of the same dataset are serialised with flock() on "<id>@<v>/.lock", so two
 *     processes never write the same file; the second finds the file done and verifies it;
 *   - sources are tried in order: the local mirror directory (BOLTZBENCH_MIRROR; the layouts
 *     looked for are listed in fetch.c), then each manifest URL (http, https, file);
 *   - a transfer appends to "<file>.part" and resumes it with an HTTP Range request
 *     (a server that ignores the range restarts the file); transient failures (connection
 *     errors, stalls, HTTP 408/429/5xx) are retried with exponential backoff; permanent
 *     ones (404, 403, missing file) move on to the next source at once;
 *   - the finished .part is checked for size and sha256 (OpenSSL EVP) and renamed into
 *     place atomically; wrong bytes are deleted, never kept;
 *   - a file already in the cache is verified again under the lock; one that fails (corrupt or
 *     truncated) is moved aside to "<file>.corrupt" (kept for inspection, replacing an older
 *     one) and fetched again, with a one-line note to opts.notes;
 *   - offline mode (opts.offline, BOLTZBENCH_OFFLINE=1) allows only file:// URLs and the
 *     mirror directory: libcurl is restricted to the file protocol, http(s) URLs are skipped;
 *   - a dataset whose sha256 is null in the manifest is refused unless trust_unverified.
 *
 * Errors name the dataset and every URL tried ("dw4-idem-test: http://h/x.npy: HTTP 404").
 * Library code: it prints nothing except the optional progress bar to opts.progress and the
 * optional notes to opts.notes.
 * Not here: parsing the manifest (manifest.h), reading the arrays (npy.h, npz.h).
 */
#ifndef BB_FETCH_H
#define BB_FETCH_H

#include <stdio.h>

#include "datasets/manifest.h"
#include "harness/core/bb.h"

typedef struct bb_fetch_opts {
    const char *cache_dir;   /* NULL: bb_cache_dir() */
    const char *mirror_dir;  /* local mirror tried first; NULL: none */
    int offline;             /* 1: never use the network */
    int trust_unverified;    /* 1: accept datasets whose manifest sha256 is null */
    long connect_timeout_ms; /* per connection (default 15000) */
    long stall_timeout_ms;   /* abort a transfer when no byte arrived for this long (default 30000) */
    long total_timeout_ms;   /* per attempt, 0 = none (default 0) */
    int max_attempts;        /* per URL, >= 1 (default 4) */
    long backoff_ms;         /* delay before the first retry, doubled for each next one (default 1000) */
    FILE *progress;          /* progress bar destination, NULL = quiet (default) */
    FILE *notes;             /* one-line notes ("boltzbench: <path>: sha256 mismatch, moved aside to
                                <path>.corrupt; fetching again"), NULL = quiet (default) */
} bb_fetch_opts;

/* Defaults, then the environment: BOLTZBENCH_OFFLINE=1 sets offline, BOLTZBENCH_MIRROR sets
 * mirror_dir (the string is not copied). */
void bb_fetch_opts_init(bb_fetch_opts *o);

/* 1 if a progress bar suits `fp`: a TTY and the environment has no CI=true. */
int bb_fetch_progress_wanted(FILE *fp);

/* Fetch (or find) dataset d; on success path_out holds the cached file's path. */
int bb_fetch_dataset(const bb_dataset *d, const bb_fetch_opts *o, char *path_out, size_t cap, bb_ctx *ctx);

/* Cache state of a dataset (no network). */
typedef enum bb_cache_state {
    BB_CACHE_ABSENT = 0,     /* not in the cache */
    BB_CACHE_PARTIAL = 1,    /* only a .part download */
    BB_CACHE_VERIFIED = 2,   /* present, size and sha256 match */
    BB_CACHE_UNVERIFIED = 3, /* present, the manifest has no sha256 */
    BB_CACHE_CORRUPT = 4,    /* present, size or sha256 differ */
    BB_CACHE_STATE_COUNT
} bb_cache_state;
extern const char *const bb_cache_state_names[BB_CACHE_STATE_COUNT]; /* "absent", ... */

/* State and byte size (file or .part; 0 if absent) of d in `cache`. */
int bb_dataset_cache_state(const bb_dataset *d, const char *cache, bb_cache_state *state, long long *bytes,
                           bb_ctx *ctx);

#endif
