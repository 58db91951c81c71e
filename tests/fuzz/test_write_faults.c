/* test_write_faults.c — every writer of a file a user keeps, run against writes that fail
 * partway (faultfs.h): the report (bb_report_write, and `boltzbench run --out`), the nn
 * checkpoint (bb_nn_checkpoint_save), the run state (bb_run_state_write), the generic
 * atomic file (bb_write_file_atomic, bb_atomic_open/commit), a generated reference set in
 * the cache (bb_dataset_store_generated) and a fetched dataset (bb_fetch_dataset from a
 * file:// URL). Faults: the file-size limit at byte 0, 1, 4095, half and one byte short of
 * the new file; fsync failing with ENOSPC; rename failing with ENOSPC; and, where this
 * process may mount (root, CI), a real full disk: a 1 MiB tmpfs in a private mount
 * namespace filled up to 0 or 2 free pages. After each failure:
 *   - the writer returned an error whose message names the target path;
 *   - the previous file at the target path is byte-identical (for the fetch, the corrupt
 *     cached copy it moved aside to <file>.corrupt; the final path holds nothing);
 *   - no temporary file ("*.tmp.*") is left; the fetch keeps at most a <file>.part that
 *     is a prefix of the right bytes (its documented resume file);
 *   - with the fault gone, the same call succeeds and writes the expected bytes.
 * The command-line case runs build/boltzbench: the file-size limit and the full disk are
 * set before exec (rlimits and mounts are inherited), fsync/rename faults need
 * libbb_faultfs.so in LD_PRELOAD and are skipped in the sanitizer build (BB_FAULTFS_SO
 * undefined there). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "datasets/fetch.h"
#include "datasets/generated.h"
#include "harness/core/fileio.h"
#include "harness/core/jsonutil.h"
#include "harness/report/report.h"
#include "harness/run/driver_state.h"
#include "methods/nn/nn.h"
#include "tests/fuzz/faultfs.h"
#include "tests/tmpdir.h"
#include "tests/testmain.h"

static char dir[256];  /* scratch directory */
static char full[300]; /* tmpfs mount point, "" when this process may not mount */

static int setup(void **state) {
    (void)state;
    if (bb_test_mkdtemp(dir, sizeof dir, "bb_write_faults")) return -1;
    bb_test_isolated_cache(dir);
    char p[300];
    snprintf(full, sizeof full, "%s/full", dir);
    /* A private mount namespace (only this thread's, which runs every writer and forks
     * every child), so the tmpfs is invisible to the rest of the machine and goes away
     * with the process. */
    if (mkdir(full, 0755) != 0 || unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", full, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755") != 0) {
        fprintf(stderr, "test_write_faults: no tmpfs (%s): full-disk cases skipped\n", strerror(errno));
        full[0] = '\0';
    }
    snprintf(p, sizeof p, "%s/src", dir);
    return mkdir(p, 0755);
}

static int teardown(void **state) {
    (void)state;
    bb_fault_set(NULL);
    if (full[0]) umount2(full, MNT_DETACH);
    return bb_test_rmtree(dir);
}

/* ------------------------------------------------------------------ files -- */

static unsigned char *slurp(const char *path, size_t *len) {
    char *buf = NULL;
    bb_ctx c = {0};
    if (bb_read_file(path, (size_t)1 << 28, &buf, len, &c) != BB_OK) return NULL;
    return (unsigned char *)buf;
}

/* Fails the test unless the file at path holds exactly want[0..want_len). */
static void assert_file_is(const char *path, const void *want, size_t want_len) {
    size_t n = 0;
    unsigned char *now = slurp(path, &n);
    assert_non_null(now);
    assert_int_equal(n, want_len);
    assert_memory_equal(now, want, n);
    free(now);
}

static void put(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static int exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

static void mkdirs(const char *path) {
    bb_ctx c = {0};
    assert_int_equal(bb_mkdir_p(path, &c), BB_OK);
}

static int n_tmp; /* temp files found by no_temp_files() */
static int tmp_visit(const char *p, const struct stat *st, int flag, struct FTW *f) {
    (void)st;
    (void)flag;
    if (strstr(p + f->base, ".tmp.")) {
        fprintf(stderr, "left behind: %s\n", p);
        n_tmp++;
    }
    return 0;
}
static void no_temp_files(const char *d) {
    n_tmp = 0;
    assert_int_equal(nftw(d, tmp_visit, 16, FTW_PHYS), 0);
    assert_int_equal(n_tmp, 0);
}

/* Previous contents: 10 000 recognisable bytes. */
static unsigned char prev_bytes[10000];
static void init_prev(void) {
    for (size_t i = 0; i < sizeof prev_bytes; i++) prev_bytes[i] = (unsigned char)("previous file\n"[i % 14]);
}

/* -------------------------------------------------------------- the disk -- */

/* Fill the tmpfs with <full>/filler until ENOSPC, then give back `pages` pages. */
static void fill_disk(int pages) {
    char p[400];
    snprintf(p, sizeof p, "%s/filler", full);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    static char chunk[1 << 14];
    off_t size = 0;
    for (;;) {
        ssize_t w = write(fd, chunk, sizeof chunk);
        if (w <= 0) break;
        size += w;
    }
    assert_int_equal(errno, ENOSPC);
    off_t keep = size - (off_t)pages * 4096;
    assert_true(keep >= 0);
    assert_int_equal(ftruncate(fd, keep), 0);
    close(fd);
}
static void empty_disk(void) {
    char p[400];
    snprintf(p, sizeof p, "%s/filler", full);
    unlink(p);
}

/* A fault: a faultfs spec, or (spec NULL) a full disk with `pages` free pages. */
typedef struct fault {
    char spec[600];
    int pages;
} fault;

/* ------------------------------------------------------------- writers -- */

/* A writer writes its new contents to target (inside case directory d). */
typedef struct writer {
    const char *name;
    void (*target)(const char *d, char *out, size_t cap);
    int (*write)(const char *d, bb_ctx *ctx);
    void (*prepare)(const char *d, const char *target); /* the previous state; NULL: prev_bytes at target */
    int fetch;                                          /* 1: bb_fetch_dataset rules (moved aside, .part) */
    int no_fsync;                                       /* 1: the writer issues no fsync */
} writer;

static void target_in(const char *d, const char *name, char *out, size_t cap) { snprintf(out, cap, "%s/%s", d, name); }

/* generic atomic file, one buffer: 200 000 bytes */
static unsigned char *big;
static const size_t big_len = 200000;
static void t_atomic(const char *d, char *o, size_t c) { target_in(d, "atomic.bin", o, c); }
static int w_atomic(const char *d, bb_ctx *ctx) {
    char p[400];
    t_atomic(d, p, sizeof p);
    return bb_write_file_atomic(p, big, big_len, ctx);
}

/* generic atomic file, streamed: 50 writes of 4000 bytes */
static void t_stream(const char *d, char *o, size_t c) { target_in(d, "stream.bin", o, c); }
static int w_stream(const char *d, bb_ctx *ctx) {
    char p[400];
    t_stream(d, p, sizeof p);
    bb_atomic_file af;
    int rc = bb_atomic_open(&af, p, ctx);
    if (rc) return rc;
    for (size_t off = 0; off < big_len; off += 4000)
        if (fwrite(big + off, 1, 4000, af.fp) != 4000) {
            rc = BB_ERR(ctx, BB_EIO, "%s: write failed: %s", p, strerror(errno));
            bb_atomic_abort(&af);
            return rc;
        }
    return bb_atomic_commit(&af, ctx);
}

/* report: the committed fuzz-corpus report (24 kB) */
static cJSON *report;
static void t_report(const char *d, char *o, size_t c) { target_in(d, "report.json", o, c); }
static int w_report(const char *d, bb_ctx *ctx) {
    char p[400];
    t_report(d, p, sizeof p);
    return bb_report_write(p, report, ctx);
}

/* nn checkpoint: MLP 3-64-64-2 (f64) with Adam and EMA state, about 150 kB */
static struct {
    bb_nn_params ps;
    bb_nn_mlp mlp;
    bb_nn_adam opt;
    bb_nn_ema ema;
} net;
static void t_ckpt(const char *d, char *o, size_t c) { target_in(d, "net.ckpt", o, c); }
static int w_ckpt(const char *d, bb_ctx *ctx) {
    char p[400];
    t_ckpt(d, p, sizeof p);
    return bb_nn_checkpoint_save(p, &net.ps, &net.opt, &net.ema, ctx);
}

/* run state of a toy method whose own state is 100 000 bytes */
static int toy_save(const void *st, FILE *fp, bb_ctx *ctx) {
    (void)st;
    return fwrite(big, 1, 100000, fp) == 100000 ? BB_OK : BB_ERR(ctx, BB_EIO, "toy: write");
}
static const bb_method toy = {.name = "toy", .version = 1, .save = toy_save};
static void t_state(const char *d, char *o, size_t c) { target_in(d, "run.state", o, c); }
static int w_state(const char *d, bb_ctx *ctx) {
    char p[400];
    t_state(d, p, sizeof p);
    bb_run_state s;
    memset(&s, 0, sizeof s);
    memset(s.config_sha256, 'a', 64);
    s.steps = 3;
    return bb_run_state_write(p, &s, &toy, NULL, ctx);
}

/* generated reference set: <cache>/fault-gen.npy (2000 x 8 float64) + fault-gen.json */
static bb_samples gen;
static void t_gen(const char *d, char *o, size_t c) { snprintf(o, c, "%s/cache/fault-gen.npy", d); }
static void p_gen(const char *d, const char *target) {
    char p[400];
    snprintf(p, sizeof p, "%s/cache", d);
    mkdirs(p);
    put(target, prev_bytes, sizeof prev_bytes);
    snprintf(p, sizeof p, "%s/cache/fault-gen.json", d);
    put(p, "{}", 2);
}
static int w_gen(const char *d, bb_ctx *ctx) {
    char cache[400];
    snprintf(cache, sizeof cache, "%s/cache", d);
    setenv("BOLTZBENCH_CACHE", cache, 1);
    int rc = bb_dataset_store_generated("fault-gen", &gen, NULL, ctx);
    bb_test_isolated_cache(dir); /* back to the test's cache, which boltzbench run uses */
    return rc;
}

/* fetched dataset: 300 000 bytes from a file:// URL into <d>/cache/fault-set@1/data.bin */
static bb_dataset ds;
static char src[400];
static void t_fetch(const char *d, char *o, size_t c) { snprintf(o, c, "%s/cache/fault-set@1/data.bin", d); }
static void p_fetch(const char *d, const char *target) {
    char p[400];
    snprintf(p, sizeof p, "%s/cache/fault-set@1", d);
    mkdirs(p);
    put(target, prev_bytes, sizeof prev_bytes); /* a corrupt cached copy: wrong size and hash */
}
static int w_fetch(const char *d, bb_ctx *ctx) {
    bb_fetch_opts o;
    bb_fetch_opts_init(&o);
    char cache[400];
    snprintf(cache, sizeof cache, "%s/cache", d);
    o.cache_dir = cache;
    o.mirror_dir = NULL;
    o.offline = 1;
    o.max_attempts = 1;
    o.backoff_ms = 0;
    char out[4096];
    return bb_fetch_dataset(&ds, &o, out, sizeof out, ctx);
}

static const writer writers[] = {
    {"atomic", t_atomic, w_atomic, NULL, 0, 0},
    {"stream", t_stream, w_stream, NULL, 0, 0},
    {"report", t_report, w_report, NULL, 0, 0},
    {"checkpoint", t_ckpt, w_ckpt, NULL, 0, 0},
    {"state", t_state, w_state, NULL, 0, 0},
    {"generated", t_gen, w_gen, p_gen, 0, 0},
    /* bb_fetch_dataset renames its .part into place without an fsync of its own */
    {"fetch", t_fetch, w_fetch, p_fetch, 1, 1},
};
#define N_WRITERS (sizeof writers / sizeof writers[0])

/* ------------------------------------------------------------ the check -- */

static int cases_run;

/* One writer under one fault, in a fresh case directory under base. golden: the bytes a
 * fault-free write produces. */
static void one_case(const writer *w, const char *base, const fault *f, const unsigned char *golden,
                     size_t golden_len) {
    char d[400], target[600];
    snprintf(d, sizeof d, "%s/%s-%d", base, w->name, cases_run++);
    mkdirs(d);
    w->target(d, target, sizeof target);
    if (w->prepare)
        w->prepare(d, target);
    else
        put(target, prev_bytes, sizeof prev_bytes);
    bb_ctx c = {0};
    unsigned long before = bb_fault_injected();
    int rc;
    if (f->spec[0]) {
        assert_int_equal(bb_fault_set(f->spec), 0);
        rc = w->write(d, &c);
        bb_fault_set(NULL);
    } else {
        fill_disk(f->pages);
        rc = w->write(d, &c);
        empty_disk();
    }
    print_message("%-10s %-28s -> %s\n", w->name, f->spec[0] ? f->spec : "full disk", c.msg);
    if (strncmp(f->spec, "fsync", 5) == 0 || strncmp(f->spec, "rename", 6) == 0)
        assert_true(bb_fault_injected() > before); /* the fault was hit, not bypassed */
    assert_int_not_equal(rc, BB_OK);
    assert_non_null(strstr(c.msg, target)); /* the error names the path */
    no_temp_files(d);
    size_t n = 0;
    if (w->fetch) {
        /* nothing at the final path; the corrupt copy moved aside intact; a .part is a prefix */
        char p[700];
        assert_false(exists(target));
        snprintf(p, sizeof p, "%s.corrupt", target);
        assert_file_is(p, prev_bytes, sizeof prev_bytes);
        snprintf(p, sizeof p, "%s.part", target);
        unsigned char *part = exists(p) ? slurp(p, &n) : NULL;
        if (part) {
            assert_true(n <= golden_len);
            assert_memory_equal(part, golden, n);
            free(part);
        }
    } else {
        assert_file_is(target, prev_bytes, sizeof prev_bytes);
    }
    if (w->write == w_gen) { /* the sidecar goes first: the old set is no longer complete */
        bb_samples s;
        char cache[500];
        snprintf(cache, sizeof cache, "%s/cache", d);
        assert_int_not_equal(bb_generated_load(cache, "fault-gen", (size_t)1 << 24, &s, NULL, &c), BB_OK);
    }
    /* the fault gone, the same call succeeds (the fetch resumes its .part) */
    bb_ctx ok = {0};
    assert_int_equal(w->write(d, &ok), BB_OK);
    assert_file_is(target, golden, golden_len);
    no_temp_files(d);
    if (w->fetch) {
        char p[700];
        snprintf(p, sizeof p, "%s.part", target);
        assert_false(exists(p));
    }
    assert_int_equal(bb_test_rmtree(d), 0); /* the tmpfs is small */
}

static void init_writers(void) {
    init_prev();
    bb_ctx c = {0};
    big = malloc(big_len);
    assert_non_null(big);
    for (size_t i = 0; i < big_len; i++) big[i] = (unsigned char)(i * 2654435761u >> 13);
    char p[600];
    snprintf(p, sizeof p, "%s/tests/fuzz/corpus/report/dw4-pt-small.json", BB_SOURCE_DIR);
    assert_int_equal(bb_json_read_file(p, (size_t)1 << 24, &report, &c), BB_OK);
    bb_nn_params_init(&net.ps, BB_NN_F64);
    int sizes[4] = {3, 64, 64, 2};
    assert_int_equal(bb_nn_mlp_init(&net.mlp, &net.ps, "net", 4, sizes, BB_NN_ACT_SILU, &c), BB_OK);
    assert_int_equal(bb_nn_params_alloc(&net.ps, 7, &c), BB_OK);
    assert_int_equal(bb_nn_adam_init(&net.opt, &net.ps, 0.9, 0.999, 1e-8, 0.0, 0, &c), BB_OK);
    assert_int_equal(bb_nn_ema_init(&net.ema, &net.ps, 0.99, &c), BB_OK);
    assert_int_equal(bb_samples_alloc(&gen, 2000, 8, 0), BB_OK);
    for (size_t i = 0; i < gen.n * gen.dof; i++) gen.x[i] = (double)i * 0.25 - 7.0;
    snprintf(src, sizeof src, "%s/src/data.bin", dir);
    put(src, big, big_len);
    memset(&ds, 0, sizeof ds);
    snprintf(ds.id, sizeof ds.id, "fault-set");
    ds.version = 1;
    snprintf(ds.file, sizeof ds.file, "data.bin");
    ds.n_urls = 1;
    snprintf(ds.urls[0], sizeof ds.urls[0], "file://%s", src);
    ds.has_sha256 = 1;
    bb_sha256_hex(big, big_len, ds.sha256);
    ds.bytes = (long long)big_len;
    snprintf(ds.format, sizeof ds.format, "files");
}

static void free_writers(void) {
    free(big);
    cJSON_Delete(report);
    bb_nn_adam_free(&net.opt);
    bb_nn_ema_free(&net.ema);
    bb_nn_params_free(&net.ps);
    bb_samples_free(&gen);
}

BB_TEST(every_writer_keeps_the_previous_file_and_names_the_path) {
    init_writers();
    char base[300];
    snprintf(base, sizeof base, "%s/lib", dir);
    mkdirs(base);
    for (size_t k = 0; k < N_WRITERS; k++) {
        const writer *w = &writers[k];
        /* the golden bytes, written without a fault */
        char d[400], target[600];
        snprintf(d, sizeof d, "%s/golden-%s", base, w->name);
        mkdirs(d);
        bb_ctx c = {0};
        assert_int_equal(w->write(d, &c), BB_OK);
        w->target(d, target, sizeof target);
        size_t len = 0;
        unsigned char *golden = slurp(target, &len);
        assert_non_null(golden);
        assert_true(len > 3 * 4096); /* so that every cut below is partway */
        char tglob[256];
        w->target("", tglob, sizeof tglob);
        size_t cuts[5] = {0, 1, 4095, len / 2, len - 1};
        for (int i = 0; i < 5; i++) {
            fault f = {"", 0};
            snprintf(f.spec, sizeof f.spec, "fsize:%zu", cuts[i]);
            one_case(w, base, &f, golden, len);
        }
        fault f = {"", 0};
        if (!w->no_fsync) {
            snprintf(f.spec, sizeof f.spec, "fsync:*%s.tmp.*", tglob);
            one_case(w, base, &f, golden, len);
        }
        snprintf(f.spec, sizeof f.spec, "rename:*%s", tglob);
        one_case(w, base, &f, golden, len);
        if (full[0]) {
            for (int pages = 0; pages <= 2; pages += 2) {
                fault g = {"", pages};
                one_case(w, full, &g, golden, len);
            }
        }
        free(golden);
    }
    free_writers();
}

/* ----------------------------------------------------- boltzbench run -- */

/* Run boltzbench with args (NULL-terminated), the fault applied to the child only;
 * stderr (a pipe: the file-size limit must not reach it) into err. Returns the exit status. */
static int run_cli(const fault *f, int preload, char *const args[], char *err, size_t cap) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int nul = open("/dev/null", O_WRONLY);
        if (nul < 0) _exit(98);
        dup2(nul, 1);
        dup2(fds[1], 2);
        close(fds[0]);
        if (f && preload) {
#ifdef BB_FAULTFS_SO
            setenv("LD_PRELOAD", BB_FAULTFS_SO, 1);
            setenv("BB_FAULT", f->spec, 1);
#else
            _exit(97);
#endif
        } else if (f && f->spec[0] && bb_fault_set(f->spec) != 0) {
            _exit(96);
        }
        char exe[400];
        snprintf(exe, sizeof exe, "%s/boltzbench", BB_BINARY_DIR);
        execv(exe, args);
        _exit(95);
    }
    close(fds[1]);
    size_t n = 0;
    for (ssize_t r; n + 1 < cap && (r = read(fds[0], err + n, cap - 1 - n)) != 0;)
        if (r > 0)
            n += (size_t)r;
        else if (errno != EINTR)
            break;
    err[n] = '\0';
    close(fds[0]);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* argv of `boltzbench run` (gmm40, mala, 2000 evaluations, 100 samples) writing out. */
#define RUN_GMM40_ARGS(out, seed)                                                                                      \
    {                                                                                                                  \
        "boltzbench", "run", "--task", "gmm40", "--method", "mala", "--budget", "2000", "--samples", "100", "--seed",  \
            seed, "--out", out, NULL                                                                                   \
    }

static void cli_case(const char *d, const fault *f, int preload, const unsigned char *prev, size_t prev_len) {
    char out[400], err[2048];
    snprintf(out, sizeof out, "%s/X.json", d);
    char *args[] = RUN_GMM40_ARGS(out, "2");
    if (!f->spec[0]) fill_disk(f->pages);
    int st = run_cli(f, preload, args, err, sizeof err);
    if (!f->spec[0]) empty_disk();
    print_message("boltzbench run %-26s -> exit %d: %s", f->spec[0] ? f->spec : "full disk", st, err);
    assert_int_equal(st, 1);
    assert_true(strncmp(err, "boltzbench: ", 12) == 0);
    assert_non_null(strstr(err, out));
    char *nl = strchr(err, '\n');
    assert_true(nl && nl[1] == '\0'); /* one line */
    assert_file_is(out, prev, prev_len);
    no_temp_files(d);
}

BB_TEST(a_failed_report_write_of_boltzbench_run_keeps_the_previous_report) {
    char bases[2][320];
    int nb = 0;
    snprintf(bases[nb++], sizeof bases[0], "%s/cli", dir);
    if (full[0]) snprintf(bases[nb++], sizeof bases[0], "%s/cli", full);
    for (int b = 0; b < nb; b++) {
        const char *d = bases[b];
        mkdirs(d);
        char out[400], err[2048];
        snprintf(out, sizeof out, "%s/X.json", d);
        char *first[] = RUN_GMM40_ARGS(out, "1");
        assert_int_equal(run_cli(NULL, 0, first, err, sizeof err), 0);
        size_t prev_len = 0;
        unsigned char *prev = slurp(out, &prev_len);
        assert_non_null(prev);
        if (b == 0) {
            static const char *specs[] = {"fsize:0", "fsize:4096", "fsize:30000"};
            for (int i = 0; i < 3; i++) {
                fault f = {"", 0};
                snprintf(f.spec, sizeof f.spec, "%s", specs[i]);
                cli_case(d, &f, 0, prev, prev_len);
            }
#ifdef BB_FAULTFS_SO
            fault g = {"fsync:*/X.json.tmp.*", 0};
            cli_case(d, &g, 1, prev, prev_len);
            fault h = {"rename:*/X.json", 0};
            cli_case(d, &h, 1, prev, prev_len);
#endif
        } else {
            for (int pages = 0; pages <= 2; pages += 2) {
                fault f = {"", pages};
                cli_case(d, &f, 0, prev, prev_len);
            }
        }
        /* no fault: the new report replaces the old one */
        char *again[] = RUN_GMM40_ARGS(out, "2");
        assert_int_equal(run_cli(NULL, 0, again, err, sizeof err), 0);
        size_t n = 0;
        unsigned char *now = slurp(out, &n);
        assert_non_null(now);
        assert_false(n == prev_len && memcmp(now, prev, n) == 0);
        free(now);
        free(prev);
        no_temp_files(d);
    }
}

BB_TEST(the_shim_refuses_a_malformed_spec) {
    assert_int_equal(bb_fault_set("fsize:"), -1);
    assert_int_equal(bb_fault_set("fsize:-3"), -1);
    assert_int_equal(bb_fault_set("truncate"), -1);
    assert_int_equal(bb_fault_set("rename:"), -1);
    assert_int_equal(bb_fault_set("fsync,rename:*/x"), 0);
    assert_int_equal(bb_fault_set(NULL), 0);
}

BB_TEST_MAIN(setup, teardown, cmocka_unit_test(the_shim_refuses_a_malformed_spec),
             cmocka_unit_test(every_writer_keeps_the_previous_file_and_names_the_path),
             cmocka_unit_test(a_failed_report_write_of_boltzbench_run_keeps_the_previous_report))
