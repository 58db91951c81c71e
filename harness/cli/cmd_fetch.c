/* cmd_fetch.c — `boltzbench fetch ID...`: download manifest datasets into the cache,
 * verified (datasets/fetch.h). One line per dataset on stdout ("id@v: path"), one error
 * line per failure on stderr; exit 0 if all succeeded, 1 if any failed, 2 on usage errors.
 * Not here: listing (cmd_datasets.c), cache maintenance (cmd_cache.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/fetch.h"
#include "datasets/manifest.h"
#include "harness/cli/cli.h"
#include "harness/core/fileio.h"

enum {
    O_HELP,
    O_OFFLINE,
    O_TRUST,
    O_MIRROR,
    O_CACHE,
    O_MANIFEST,
    O_CONNECT,
    O_STALL,
    O_TIMEOUT,
    O_RETRIES,
    O_ALL,
    O_QUIET
};
static const bb_opt opts[] = {
    [O_HELP] = {"help", 'h', NULL, "show this help"},
    [O_OFFLINE] = {"offline", 0, NULL,
                   "never use the network (also BOLTZBENCH_OFFLINE=1); file:// and --mirror still work"},
    [O_TRUST] = {"trust-unverified", 0, NULL,
                 "accept datasets whose manifest sha256 is null (hash printed, not checked)"},
    [O_MIRROR] = {"mirror", 0, "DIR", "local mirror directory tried first (also BOLTZBENCH_MIRROR)"},
    [O_CACHE] = {"cache", 0, "DIR",
                 "cache directory (default $BOLTZBENCH_CACHE, $XDG_CACHE_HOME/boltzbench, ~/.cache/boltzbench)"},
    [O_MANIFEST] = {"manifest", 0, "FILE", "manifest to use (default datasets/manifest.json or $BOLTZBENCH_MANIFEST)"},
    [O_CONNECT] = {"connect-timeout", 0, "MS", "connection timeout in milliseconds (default 15000)"},
    [O_STALL] = {"stall-timeout", 0, "MS",
                 "abort a transfer after this many milliseconds without data (default 30000)"},
    [O_TIMEOUT] = {"timeout", 0, "MS", "give up an attempt after this many milliseconds in total (default: no limit)"},
    [O_RETRIES] = {"retries", 0, "N", "retries per URL on transient errors, with exponential backoff (default 3)"},
    [O_ALL] = {"all", 0, NULL, "fetch every downloadable dataset with a known sha256"},
    [O_QUIET] = {"quiet", 'q', NULL, "no progress bar (it is shown only on a terminal and never when CI=true)"},
    {NULL, 0, NULL, NULL},
};

int bb_cmd_fetch(int argc, char **argv) {
    bb_opt_iter it;
    bb_ctx ctx = {0};
    bb_fetch_opts fo;
    bb_fetch_opts_init(&fo);
    const char *manifest = NULL;
    int all = 0, quiet = 0, n_ids = 0;
    const char **ids = calloc((size_t)argc + 1, sizeof *ids);
    if (!ids) {
        bb_cli_error("fetch: out of memory");
        return 1;
    }
    long long v = 0;
    char optname[40];
    bb_opt_init(&it, argc, argv);
    for (int id; (id = bb_opt_next(&it, opts, &ctx)) != BB_OPT_END;) {
        switch (id) {
            case O_HELP:
                bb_opt_help(stdout, "fetch [OPTIONS] ID...",
                            "Download datasets of the manifest into the cache, resuming partial downloads and\n"
                            "verifying size and sha256 before they are moved into place.",
                            opts);
                free(ids);
                return 0;
            case O_OFFLINE: fo.offline = 1; break;
            case O_TRUST: fo.trust_unverified = 1; break;
            case O_MIRROR: fo.mirror_dir = it.arg; break;
            case O_CACHE: fo.cache_dir = it.arg; break;
            case O_MANIFEST: manifest = it.arg; break;
            case O_ALL: all = 1; break;
            case O_QUIET: quiet = 1; break;
            case O_CONNECT:
            case O_STALL:
            case O_TIMEOUT:
            case O_RETRIES:
                snprintf(optname, sizeof optname, "--%s", opts[id].name);
                if (bb_cli_parse_i64(optname, it.arg, id == O_RETRIES ? 0 : 1, &v) || v > 1000000000) {
                    if (v > 1000000000) bb_cli_error("%s: %lld is too large", optname, v);
                    free(ids);
                    return 2;
                }
                if (id == O_CONNECT)
                    fo.connect_timeout_ms = (long)v;
                else if (id == O_STALL)
                    fo.stall_timeout_ms = (long)v;
                else if (id == O_TIMEOUT)
                    fo.total_timeout_ms = (long)v;
                else
                    fo.max_attempts = (int)v + 1;
                break;
            case BB_OPT_POSITIONAL: ids[n_ids++] = it.positional; break;
            default:
                bb_cli_error("%s", ctx.msg);
                free(ids);
                return 2;
        }
    }
    if (!n_ids && !all) {
        bb_cli_error("fetch: name at least one dataset id (see 'boltzbench datasets') or --all");
        free(ids);
        return 2;
    }
    bb_manifest m;
    if (bb_manifest_load(manifest, &m, &ctx)) {
        bb_cli_error("%s", ctx.msg);
        free(ids);
        return 1;
    }
    if (!quiet && bb_fetch_progress_wanted(stderr)) fo.progress = stderr;
    int failed = 0;
    size_t total = all ? m.n : (size_t)n_ids;
    for (size_t k = 0; k < total; k++) {
        const bb_dataset *d = all ? &m.d[k] : bb_manifest_find(&m, ids[k]);
        if (!d) {
            bb_cli_error("%s: unknown dataset id (see 'boltzbench datasets')", ids[k]);
            failed = 1;
            continue;
        }
        if (all && (d->generated || !d->has_sha256)) continue;
        char path[4096];
        bb_ctx fc = {0};
        if (bb_fetch_dataset(d, &fo, path, sizeof path, &fc)) {
            bb_cli_error("%s", fc.msg);
            failed = 1;
            continue;
        }
        if (d->has_sha256) {
            printf("%s@%d: %s (sha256 verified)\n", d->id, d->version, path);
        } else {
            char sha[65] = "?";
            bb_ctx hc = {0};
            (void)bb_sha256_file(path, sha, &hc); /* for pinning it in the manifest */
            printf("%s@%d: %s (UNVERIFIED: the manifest has no sha256; this file's is %s)\n", d->id, d->version, path,
                   sha);
        }
    }
    bb_manifest_free(&m);
    free(ids);
    return failed;
}
