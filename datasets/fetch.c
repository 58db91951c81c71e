/* fetch.c — the libcurl fetcher: lock, sources, resumable transfer with retries, verify,
 * atomic rename. See fetch.h for the contract; this file is the only one that talks to
 * the network. Not a general download manager: one file per dataset, sequential sources.
 *
 * Mirror directory layout: for dataset d and a mirror root M the candidates are, in order,
 *   M/<id>@<version>/<file>,  M/<id>/<file>,  M/<file>,  M/<host>/<url path>  (wget -x style)
 * and each existing one is fetched as a file:// URL through the same code path.
 */
#include "datasets/fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness/core/clock.h"
#include "harness/core/fileio.h"

const char *const bb_cache_state_names[BB_CACHE_STATE_COUNT] = {"absent", "partial", "verified", "unverified",
                                                                "corrupt"};
_Static_assert(BB_CACHE_STATE_COUNT == 5, "bb_cache_state_names must list every state");

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

void bb_fetch_opts_init(bb_fetch_opts *o) {
    memset(o, 0, sizeof *o);
    o->connect_timeout_ms = 15000;
    o->stall_timeout_ms = 30000;
    o->max_attempts = 4;
    o->backoff_ms = 1000;
    const char *off = getenv("BOLTZBENCH_OFFLINE");
    o->offline = off && *off && strcmp(off, "0") != 0;
    const char *m = getenv("BOLTZBENCH_MIRROR");
    o->mirror_dir = m && *m ? m : NULL;
}

int bb_fetch_progress_wanted(FILE *fp) {
    const char *ci = getenv("CI");
    if (ci && (strcmp(ci, "true") == 0 || strcmp(ci, "1") == 0)) return 0;
    return fp && isatty(fileno(fp));
}

/* Milliseconds of the one monotonic clock (harness/core/clock.h), for stalls and redraws. */
static long long now_ms(void) { return (long long)(bb_wall_s() * 1000.0); }

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static long long file_size(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

/* ------------------------------------------------------------- transfer -- */

typedef struct xfer {
    FILE *fp;
    long long start;    /* bytes already in the .part when the attempt began */
    long long written;  /* bytes written by this attempt */
    long long expected; /* total file size or -1 */
    int restarted;      /* the server ignored the Range request: file truncated */
    int oversize;       /* more bytes than the manifest's size */
    int stalled;
    int io_error;
    long long last_ms; /* time of the last progress in bytes */
    long long last_draw_ms;
    curl_off_t last_now;
    long stall_ms;
    CURL *curl;
    FILE *progress;
    const char *label;
} xfer;

static size_t on_write(char *data, size_t sz, size_t nm, void *user) {
    xfer *x = user;
    size_t len = sz * nm;
    if (x->start > 0 && x->written == 0 && !x->restarted) {
        long code = 0;
        curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &code);
        if (code == 200) { /* range ignored: the body is the whole file */
            if (fflush(x->fp) != 0 || ftruncate(fileno(x->fp), 0) != 0 || fseek(x->fp, 0, SEEK_SET) != 0) {
                x->io_error = 1;
                return 0;
            }
            x->start = 0;
            x->restarted = 1;
        }
    }
    if (x->expected >= 0 && x->start + x->written + (long long)len > x->expected) {
        x->oversize = 1;
        return 0;
    }
    if (fwrite(data, 1, len, x->fp) != len) {
        x->io_error = 1;
        return 0;
    }
    x->written += (long long)len;
    return len;
}

static void draw_bar(xfer *x, long long done, long long total, int final) {
    if (!x->progress) return;
    long long t = now_ms();
    if (!final && t - x->last_draw_ms < 100) return;
    x->last_draw_ms = t;
    char bar[31];
    int fill = total > 0 ? (int)(30.0 * (double)done / (double)total) : 0;
    if (fill > 30) fill = 30;
    for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    if (total > 0)
        fprintf(x->progress, "\r%-24.24s [%s] %3d%% %.1f/%.1f MB", x->label, bar,
                (int)(100.0 * (double)done / (double)total), (double)done / 1e6, (double)total / 1e6);
    else
        fprintf(x->progress, "\r%-24.24s %.1f MB", x->label, (double)done / 1e6);
    if (final) fputc('\n', x->progress);
    fflush(x->progress);
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
    (void)ultotal;
    (void)ulnow;
    xfer *x = user;
    long long t = now_ms();
    if (dlnow != x->last_now) {
        x->last_now = dlnow;
        x->last_ms = t;
    } else if (x->stall_ms > 0 && t - x->last_ms > x->stall_ms) {
        x->stalled = 1;
        return 1; /* abort: CURLE_ABORTED_BY_CALLBACK */
    }
    long long total = x->expected >= 0 ? x->expected : (dltotal > 0 ? x->start + (long long)dltotal : -1);
    draw_bar(x, x->start + x->written, total, 0);
    return 0;
}

/* One attempt at url → part. Returns BB_OK, or an error with *transient set when a retry
 * of the same URL may help. */
static int attempt(const char *url, const char *part, long long expected, const bb_fetch_opts *o, const char *label,
                   int *transient, bb_ctx *ctx) {
    *transient = 0;
    long long have = file_size(part);
    if (have < 0) have = 0;
    if (expected >= 0 && have > expected) {
        if (truncate(part, 0) != 0) return BB_ERR(ctx, BB_EIO, "%s: %s", part, strerror(errno));
        have = 0;
    }
    if (expected >= 0 && have == expected) return BB_OK; /* complete: the hash decides */
    FILE *fp = fopen(part, "ab");
    if (!fp) return BB_ERR(ctx, BB_EIO, "%s: cannot open: %s", part, strerror(errno));
    CURL *c = curl_easy_init();
    if (!c) {
        fclose(fp);
        return BB_ERR(ctx, BB_ENOMEM, "%s: curl_easy_init failed", url);
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    xfer x = {.fp = fp,
              .start = have,
              .expected = expected,
              .stall_ms = o->stall_timeout_ms,
              .curl = c,
              .progress = o->progress,
              .label = label,
              .last_ms = now_ms(),
              .last_now = -1};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, o->offline ? "file" : "http,https,file");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "boltzbench/" BB_VERSION_STRING);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
    if (o->total_timeout_ms > 0) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->total_timeout_ms);
    /* CURLOPT_RANGE rather than RESUME_FROM: a server that answers 200 to a range request is
     * then handled by on_write (restart) instead of failing the transfer. */
    char range[32];
    snprintf(range, sizeof range, "%lld-", have);
    if (have > 0) curl_easy_setopt(c, CURLOPT_RANGE, range);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
    CURLcode cr = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    int werr = fflush(fp) != 0 || ferror(fp);
    if (fclose(fp) != 0) werr = 1;
    if (cr == CURLE_OK && !werr) {
        draw_bar(&x, x.start + x.written, expected, 1);
        return BB_OK;
    }
    if (x.progress && x.last_draw_ms) fputc('\n', x.progress);
    if (werr || x.io_error) return BB_ERR(ctx, BB_EIO, "%s: write failed: %s", part, strerror(errno));
    if (x.oversize) {
        unlink(part); /* the source sends more than the file's size: wrong bytes */
        return BB_ERR(ctx, BB_EHASH, "%s: more than the expected %lld bytes", url, expected);
    }
    if (x.stalled) {
        *transient = 1;
        return BB_ERR(ctx, BB_ETIMEOUT, "%s: transfer stalled (no data for %ld ms)", url, o->stall_timeout_ms);
    }
    if (cr == CURLE_HTTP_RETURNED_ERROR) {
        if (code == 416) { /* our .part is not a prefix the server can continue: start over */
            unlink(part);
            *transient = 1;
        } else {
            *transient = code == 408 || code == 429 || code >= 500;
        }
        return BB_ERR(ctx, BB_ENET, "%s: HTTP %ld", url, code);
    }
    switch (cr) {
        case CURLE_OPERATION_TIMEDOUT:
            *transient = 1;
            return BB_ERR(ctx, BB_ETIMEOUT, "%s: timed out (%s)", url, errbuf[0] ? errbuf : curl_easy_strerror(cr));
        case CURLE_COULDNT_CONNECT:
        case CURLE_PARTIAL_FILE:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_SSL_CONNECT_ERROR: *transient = 1; break;
        case CURLE_RANGE_ERROR:
            unlink(part); /* cannot continue this .part: start over */
            *transient = 1;
            break;
        case CURLE_UNSUPPORTED_PROTOCOL:
            if (o->offline) return BB_ERR(ctx, BB_EOFFLINE, "%s: offline mode forbids the network", url);
            break;
        default: break;
    }
    return BB_ERR(ctx, BB_ENET, "%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(cr));
}

/* ------------------------------------------------------------- sources -- */

/* file:// URL of a local path, percent-encoding what is not unreserved or '/'. */
static int file_url(const char *path, char *out, size_t cap) {
    static const char hex[] = "0123456789ABCDEF";
    size_t k = (size_t)snprintf(out, cap, "file://");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '/' ||
                    *p == '-' || *p == '_' || *p == '.' || *p == '~' || *p == '@';
        if (k + 4 >= cap) return -1;
        if (plain)
            out[k++] = (char)*p;
        else {
            out[k++] = '%';
            out[k++] = hex[*p >> 4];
            out[k++] = hex[*p & 15];
        }
    }
    out[k] = '\0';
    return 0;
}

#define MAX_SOURCES (BB_MANIFEST_MAX_URLS * 2 + 4)

/* Fill urls[] with the sources of d in order; returns their number. */
static int list_sources(const bb_dataset *d, const bb_fetch_opts *o, char urls[][1024]) {
    int n = 0;
    char p[4096];
    if (o->mirror_dir) {
        const char *m = o->mirror_dir;
        char cand[4 + BB_MANIFEST_MAX_URLS][4096];
        int nc = 0;
        snprintf(cand[nc++], sizeof cand[0], "%s/%s@%d/%s", m, d->id, d->version, d->file);
        snprintf(cand[nc++], sizeof cand[0], "%s/%s/%s", m, d->id, d->file);
        snprintf(cand[nc++], sizeof cand[0], "%s/%s", m, d->file);
        for (int u = 0; u < d->n_urls; u++) {
            const char *s = strstr(d->urls[u], "://");
            if (s && strncmp(d->urls[u], "file://", 7) != 0) snprintf(cand[nc++], sizeof cand[0], "%s/%s", m, s + 3);
        }
        for (int k = 0; k < nc; k++) {
            struct stat st;
            if (stat(cand[k], &st) == 0 && S_ISREG(st.st_mode) && realpath(cand[k], p) &&
                file_url(p, urls[n], 1024) == 0) {
                n++;
                break; /* one local copy is enough */
            }
        }
    }
    for (int u = 0; u < d->n_urls && n < MAX_SOURCES; u++) snprintf(urls[n++], 1024, "%s", d->urls[u]);
    return n;
}

/* --------------------------------------------------------------- verify -- */

static int verify_file(const bb_dataset *d, const char *path, char got[65], bb_ctx *ctx) {
    long long sz = file_size(path);
    if (d->bytes >= 0 && sz != d->bytes)
        return BB_ERR(ctx, BB_EHASH, "%s: size %lld, expected %lld", path, sz, d->bytes);
    int rc = bb_sha256_file(path, got, ctx);
    if (rc) return rc;
    if (d->has_sha256 && strcmp(got, d->sha256) != 0)
        return BB_ERR(ctx, BB_EHASH, "%s: sha256 %s, expected %s", path, got, d->sha256);
    return BB_OK;
}

int bb_dataset_cache_state(const bb_dataset *d, const char *cache, bb_cache_state *state, long long *bytes,
                           bb_ctx *ctx) {
    *state = BB_CACHE_ABSENT;
    *bytes = 0;
    char path[4096], part[4200], got[65];
    int rc = bb_dataset_path(cache, d, path, sizeof path, ctx);
    if (rc) return rc;
    snprintf(part, sizeof part, "%s.part", path);
    long long sz = file_size(path);
    if (sz < 0) {
        long long ps = file_size(part);
        if (ps >= 0) {
            *state = BB_CACHE_PARTIAL;
            *bytes = ps;
        }
        return BB_OK;
    }
    *bytes = sz;
    bb_ctx tmp = {0};
    rc = verify_file(d, path, got, &tmp);
    if (rc == BB_EHASH)
        *state = BB_CACHE_CORRUPT;
    else if (rc)
        return BB_ERR(ctx, rc, "%s", tmp.msg);
    else
        *state = d->has_sha256 ? BB_CACHE_VERIFIED : BB_CACHE_UNVERIFIED;
    return BB_OK;
}

/* ---------------------------------------------------------------- fetch -- */

/* A cached file that fails verification: rename it to <path>.corrupt (replacing an older
 * one) so the evidence survives but the name is free for a fresh copy; one note line. */
static int move_aside(const bb_dataset *d, const char *path, FILE *notes, bb_ctx *ctx) {
    char aside[4300], why[128];
    long long sz = file_size(path);
    if (d->bytes >= 0 && sz != d->bytes)
        snprintf(why, sizeof why, "size %lld bytes, expected %lld", sz, d->bytes);
    else
        snprintf(why, sizeof why, "sha256 mismatch");
    snprintf(aside, sizeof aside, "%s.corrupt", path);
    if (rename(path, aside) != 0) {
        if (unlink(path) != 0 && errno != ENOENT)
            return BB_ERR(ctx, BB_EIO, "%s: %s and cannot be removed: %s", path, why, strerror(errno));
        if (notes) fprintf(notes, "boltzbench: %s: %s, removed; fetching again\n", path, why);
        return BB_OK;
    }
    if (notes) {
        fprintf(notes, "boltzbench: %s: %s, moved aside to %s; fetching again\n", path, why, aside);
        fflush(notes);
    }
    return BB_OK;
}

static void append(char *buf, size_t cap, const char *s) {
    size_t l = strlen(buf), n = strlen(s);
    if (l && l + 2 < cap) {
        memcpy(buf + l, "; ", 2);
        l += 2;
    }
    if (l + n >= cap) n = cap - l - 1;
    memcpy(buf + l, s, n);
    buf[l + n] = '\0';
}

int bb_fetch_dataset(const bb_dataset *d, const bb_fetch_opts *o, char *path_out, size_t cap, bb_ctx *ctx) {
    if (path_out && cap) path_out[0] = '\0';
    if (d->generated && d->n_urls == 0)
        return BB_ERR(ctx, BB_EINVAL,
                      "%s: generated locally, nothing to download "
                      "(committed copy or `boltzbench reference`)",
                      d->id);
    if (!d->has_sha256 && !o->trust_unverified)
        return BB_ERR(ctx, BB_EHASH,
                      "%s: the manifest has no sha256 for this file; refusing to fetch "
                      "unverified data (pass --trust-unverified to accept it)",
                      d->id);
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK) return BB_ERR(ctx, BB_ENET, "libcurl: global init failed");
    char cache[4096], dir[4096], path[4096], part[4200], lockp[4200], got[65];
    int rc;
    if ((rc = bb_cache_dir_or(o->cache_dir, cache, sizeof cache, ctx))) return rc;
    if ((rc = bb_dataset_dir(cache, d, dir, sizeof dir, ctx))) return rc;
    if ((rc = bb_dataset_path(cache, d, path, sizeof path, ctx))) return rc;
    snprintf(part, sizeof part, "%s.part", path);
    snprintf(lockp, sizeof lockp, "%s/.lock", dir);
    if ((rc = bb_mkdir_p(dir, ctx))) return rc;
    int lfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lfd < 0) return BB_ERR(ctx, BB_EIO, "%s: cannot open lock file: %s", lockp, strerror(errno));
    while (flock(lfd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            rc = BB_ERR(ctx, BB_EIO, "%s: flock: %s", lockp, strerror(errno));
            close(lfd);
            return rc;
        }
    }
    /* Under the lock: a finished file from an earlier run or a concurrent process? */
    if (file_size(path) >= 0) {
        bb_ctx vc = {0};
        if (verify_file(d, path, got, &vc) == BB_OK) goto done;
        if ((rc = move_aside(d, path, o->notes, ctx))) goto out; /* corrupt cache entry: fetch again */
    }
    char urls[MAX_SOURCES][1024];
    int n = list_sources(d, o, urls), tried = 0;
    char failures[1024] = "";
    rc = BB_ENOTFOUND;
    for (int s = 0; s < n; s++) {
        if (o->offline && strncmp(urls[s], "file://", 7) != 0) continue; /* never the network */
        tried++;
        int attempts = o->max_attempts > 0 ? o->max_attempts : 1, retried_fresh = 0;
        long backoff = o->backoff_ms;
        for (int a = 1; a <= attempts; a++) {
            int transient = 0;
            bb_ctx ac = {0};
            long long had = file_size(part);
            rc = attempt(urls[s], part, d->bytes, o, d->id, &transient, &ac);
            if (rc == BB_OK) {
                rc = verify_file(d, part, got, &ac);
                if (rc == BB_OK) {
                    if (rename(part, path) != 0) {
                        rc = BB_ERR(ctx, BB_EIO, "%s: rename failed: %s", path, strerror(errno));
                        goto out;
                    }
                    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
                    if (dfd >= 0) {
                        (void)fsync(dfd);
                        close(dfd);
                    }
                    goto done;
                }
                unlink(part); /* wrong bytes never stay in the cache */
                bb_ctx_prefix(&ac, "%s: wrong bytes", urls[s]);
                if (rc == BB_EHASH && had > 0 && !retried_fresh) {
                    retried_fresh = 1; /* maybe only the resumed prefix was bad */
                    a--;
                    continue;
                }
                transient = 0;
            }
            if (!transient || a == attempts) {
                append(failures, sizeof failures, ac.msg);
                break;
            }
            sleep_ms(backoff);
            backoff *= 2;
        }
    }
    if (file_size(part) == 0) unlink(part); /* keep a .part only when it holds bytes to resume */
    if (tried == 0) {
        rc = o->offline ? BB_ERR(ctx, BB_EOFFLINE,
                                 "%s: not in the cache (%s) and offline mode forbids the "
                                 "network; set BOLTZBENCH_MIRROR to a local copy or go online",
                                 d->id, path)
                        : BB_ERR(ctx, BB_ENOTFOUND, "%s: no source to fetch from", d->id);
    } else {
        BB_ERR(ctx, rc, "%s: %s", d->id, failures);
    }
    goto out;
done:
    rc = BB_OK;
    if (path_out) snprintf(path_out, cap, "%s", path);
out:
    flock(lfd, LOCK_UN);
    close(lfd);
    return rc;
}
