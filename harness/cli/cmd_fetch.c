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

int bb_cmd_fetch(int argc, char **argv) {
    bb_fetch_opts fo;
    bb_fetch_opts_init(&fo);
    const char *manifest = NULL;
    int all = 0, quiet = 0, n_ids = 0;
    long long ms[3] = {fo.connect_timeout_ms, fo.stall_timeout_ms, fo.total_timeout_ms}, retries = fo.max_attempts - 1;
    const bb_opt opts[] = {
        BB_OPT_ROW_HELP,
        {"offline", 0, NULL, "never use the network (also BOLTZBENCH_OFFLINE=1); file:// and --mirror still work",
         BB_OPT_FLAG, &fo.offline, 0},
        {"trust-unverified", 0, NULL, "accept datasets whose manifest sha256 is null (hash printed, not checked)",
         BB_OPT_FLAG, &fo.trust_unverified, 0},
        {"mirror", 0, "DIR", "local mirror directory tried first (also BOLTZBENCH_MIRROR)", BB_OPT_STRING,
         &fo.mirror_dir, 0},
        BB_OPT_ROW_CACHE(&fo.cache_dir),
        BB_OPT_ROW_MANIFEST(&manifest),
        {"connect-timeout", 0, "MS", "connection timeout in milliseconds (default 15000)", BB_OPT_CALLER, &ms[0], 1},
        {"stall-timeout", 0, "MS", "abort a transfer after this many milliseconds without data (default 30000)",
         BB_OPT_CALLER, &ms[1], 1},
        {"timeout", 0, "MS", "give up an attempt after this many milliseconds in total (default: no limit)",
         BB_OPT_CALLER, &ms[2], 1},
        {"retries", 0, "N", "retries per URL on transient errors, with exponential backoff (default 3)", BB_OPT_CALLER,
         &retries, 0},
        {"all", 0, NULL, "fetch every downloadable dataset with a known sha256", BB_OPT_FLAG, &all, 0},
        {"quiet", 'q', NULL, "no progress bar (it is shown only on a terminal and never when CI=true)", BB_OPT_FLAG,
         &quiet, 0},
        BB_OPT_ROW_END,
    };
    const char **ids = calloc((size_t)argc + 1, sizeof *ids);
    if (!ids) {
        bb_cli_error("fetch: out of memory");
        return 1;
    }
    bb_cli cl;
    bb_cli_init(&cl, argc, argv, opts, "fetch [OPTIONS] ID...",
                "Download datasets of the manifest into the cache, resuming partial downloads and\n"
                "verifying size and sha256 before they are moved into place.");
    for (int id; (id = bb_cli_next(&cl)) != BB_OPT_END;) {
        if (id == BB_OPT_EXIT) {
            free(ids);
            return cl.exit;
        }
        if (id == BB_OPT_POSITIONAL) {
            ids[n_ids++] = cl.it.positional;
            continue;
        }
        /* the timeouts and --retries: integers up to 10^9 */
        char optname[40];
        long long *v = opts[id].dest;
        snprintf(optname, sizeof optname, "--%s", opts[id].name);
        if (bb_cli_parse_i64(optname, cl.it.arg, (long long)opts[id].min, v) || *v > 1000000000) {
            if (*v > 1000000000) bb_cli_error("%s: %lld is too large", optname, *v);
            free(ids);
            return 2;
        }
    }
    fo.connect_timeout_ms = (long)ms[0];
    fo.stall_timeout_ms = (long)ms[1];
    fo.total_timeout_ms = (long)ms[2];
    fo.max_attempts = (int)retries + 1;
    if (!n_ids && !all) {
        bb_cli_error("fetch: name at least one dataset id (see 'boltzbench datasets') or --all");
        free(ids);
        return 2;
    }
    bb_manifest m;
    bb_ctx ctx = {0};
    if (bb_manifest_load(manifest, &m, &ctx)) {
        free(ids);
        return bb_cli_status(1, &ctx);
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
