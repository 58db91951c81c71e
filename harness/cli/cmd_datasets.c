/* cmd_datasets.c — `boltzbench datasets`: list the manifest's datasets with their cache
 * state (absent, partial, verified, unverified, corrupt), size and hash status. Reads
 * and hashes cached files; never uses the network. Not here: fetching (cmd_fetch.c). */
#include <stdio.h>

#include "datasets/fetch.h"
#include "datasets/manifest.h"
#include "harness/cli/cli.h"

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
    bb_ctx ctx = {0};
    const char *manifest = NULL, *cache_opt = NULL;
    const bb_opt opts[] = {BB_OPT_ROW_HELP, BB_OPT_ROW_CACHE(&cache_opt), BB_OPT_ROW_MANIFEST(&manifest),
                           BB_OPT_ROW_END};
    bb_cli cl;
    bb_cli_init(&cl, argc, argv, opts, "datasets [OPTIONS]",
                "List the datasets of the manifest: id@version, task, format, size, cache state\n"
                "(absent, partial, verified, unverified, corrupt), sha256 status, committed copy.");
    int rc = bb_cli_no_args(&cl);
    if (rc >= 0) return rc;
    char cache[4096];
    if (bb_cache_dir_or(cache_opt, cache, sizeof cache, &ctx)) return bb_cli_status(1, &ctx);
    bb_manifest m;
    if (bb_manifest_load(manifest, &m, &ctx)) return bb_cli_status(1, &ctx);
    printf("# cache: %s\n", cache);
    printf("%-22s %-10s %-6s %10s  %-11s %-17s %s\n", "id", "task", "format", "size", "cache", "sha256", "committed");
    rc = 0;
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
