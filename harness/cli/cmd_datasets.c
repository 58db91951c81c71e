/* cmd_datasets.c — `boltzbench datasets`: list the manifest's datasets with their cache
 * state (absent, partial, verified, unverified, corrupt), size and hash status. Reads
 * and hashes cached files; never uses the network. Not here: fetching (cmd_fetch.c). */
#include <stdio.h>

#include "datasets/fetch.h"
#include "datasets/manifest.h"
#include "harness/cli/cli.h"

enum { O_HELP, O_CACHE, O_MANIFEST };
static const bb_opt opts[] = {
    [O_HELP] = {"help", 'h', NULL, "show this help"},
    [O_CACHE] = {"cache", 0, "DIR",
                 "cache directory (default $BOLTZBENCH_CACHE, $XDG_CACHE_HOME/boltzbench, ~/.cache/boltzbench)"},
    [O_MANIFEST] = {"manifest", 0, "FILE", "manifest to use (default datasets/manifest.json or $BOLTZBENCH_MANIFEST)"},
    {NULL, 0, NULL, NULL},
};

static void human(long long b, char *out, size_t cap) {
    if (b < 0)
        snprintf(out, cap, "?");
    else if (b < 1000)
        snprintf(out, cap, "%lld B", b);
    else if (b < 1000000)
        snprintf(out, cap, "%.1f kB", (double)b / 1e3);
    else if (b < 1000000000)
        snprintf(out, cap, "%.1f MB", (double)b / 1e6);
    else
        snprintf(out, cap, "%.2f GB", (double)b / 1e9);
}

int bb_cmd_datasets(int argc, char **argv) {
    bb_opt_iter it;
    bb_ctx ctx = {0};
    const char *manifest = NULL, *cache_opt = NULL;
    bb_opt_init(&it, argc, argv);
    for (int id; (id = bb_opt_next(&it, opts, &ctx)) != BB_OPT_END;) {
        if (id == O_HELP) {
            bb_opt_help(stdout, "datasets [OPTIONS]",
                        "List the datasets of the manifest: id@version, task, format, size, cache state\n"
                        "(absent, partial, verified, unverified, corrupt), sha256 status, committed copy.",
                        opts);
            return 0;
        }
        if (id == O_CACHE)
            cache_opt = it.arg;
        else if (id == O_MANIFEST)
            manifest = it.arg;
        else {
            bb_cli_error("%s", id == BB_OPT_POSITIONAL ? "datasets: takes no arguments" : ctx.msg);
            return 2;
        }
    }
    char cache[4096];
    if (cache_opt)
        snprintf(cache, sizeof cache, "%s", cache_opt);
    else if (bb_cache_dir(cache, sizeof cache, &ctx)) {
        bb_cli_error("%s", ctx.msg);
        return 1;
    }
    bb_manifest m;
    if (bb_manifest_load(manifest, &m, &ctx)) {
        bb_cli_error("%s", ctx.msg);
        return 1;
    }
    printf("# cache: %s\n", cache);
    printf("%-22s %-10s %-6s %10s  %-11s %-17s %s\n", "id", "task", "format", "size", "cache", "sha256", "committed");
    int rc = 0;
    for (size_t i = 0; i < m.n; i++) {
        const bb_dataset *d = &m.d[i];
        char id[80], size[32], hash[32];
        snprintf(id, sizeof id, "%s@%d", d->id, d->version);
        human(d->bytes, size, sizeof size);
        snprintf(hash, sizeof hash, "%s", d->has_sha256 ? "known" : "null (unverified)");
        const char *state = "-";
        if (!d->generated) {
            bb_cache_state st;
            long long by;
            if (bb_dataset_cache_state(d, cache, &st, &by, &ctx)) {
                bb_cli_error("%s", ctx.msg);
                rc = 1;
                continue;
            }
            state = bb_cache_state_names[st];
        } else {
            state = "generated";
        }
        printf("%-22s %-10s %-6s %10s  %-11s %-17s %s\n", id, d->task, d->format, size, state, hash,
               d->committed_path[0] ? d->committed_path : "-");
    }
    bb_manifest_free(&m);
    return rc;
}
