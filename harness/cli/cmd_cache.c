/* cmd_cache.c — `boltzbench cache path|clean`: print the cache directory, or remove
 * everything in it (downloads, partial files, generated sets). Not here: listing what is
 * cached (cmd_datasets.c). */
#include <stdio.h>
#include <string.h>

#include "datasets/manifest.h"
#include "harness/cli/cli.h"

int bb_cmd_cache(int argc, char **argv) {
    bb_ctx ctx = {0};
    const char *action = NULL, *cache_opt = NULL;
    const bb_opt opts[] = {BB_OPT_ROW_HELP, BB_OPT_ROW_CACHE(&cache_opt), BB_OPT_ROW_END};
    bb_cli cl;
    bb_cli_init(&cl, argc, argv, opts, "cache [OPTIONS] path|clean",
                "path: print the dataset cache directory.\n"
                "clean: delete everything in it (fetched files, partial downloads, generated sets).");
    int rc = bb_cli_one_arg(&cl, &action, "cache: one action only (path or clean)", NULL);
    if (rc >= 0) return rc;
    if (!action || (strcmp(action, "path") != 0 && strcmp(action, "clean") != 0)) {
        bb_cli_error("cache: action must be 'path' or 'clean'%s%s", action ? ", not " : "", action ? action : "");
        return 2;
    }
    char cache[4096];
    if (bb_cache_dir_or(cache_opt, cache, sizeof cache, &ctx)) return bb_cli_status(1, &ctx);
    if (strcmp(action, "path") == 0) {
        printf("%s\n", cache);
        return 0;
    }
    if (bb_cache_clean(cache, &ctx)) return bb_cli_status(1, &ctx);
    printf("cleaned %s\n", cache);
    return 0;
}
