/* cmd_cache.c — `boltzbench cache path|clean`: print the cache directory, or remove
 * everything in it (downloads, partial files, generated sets). Not here: listing what is
 * cached (cmd_datasets.c). */
#include <stdio.h>
#include <string.h>

#include "datasets/manifest.h"
#include "harness/cli/cli.h"

enum { O_HELP, O_CACHE };
static const bb_opt opts[] = {
    [O_HELP] = {"help", 'h', NULL, "show this help"},
    [O_CACHE] = {"cache", 0, "DIR",
                 "cache directory (default $BOLTZBENCH_CACHE, $XDG_CACHE_HOME/boltzbench, ~/.cache/boltzbench)"},
    {NULL, 0, NULL, NULL},
};

int bb_cmd_cache(int argc, char **argv) {
    bb_opt_iter it;
    bb_ctx ctx = {0};
    const char *action = NULL, *cache_opt = NULL;
    bb_opt_init(&it, argc, argv);
    for (int id; (id = bb_opt_next(&it, opts, &ctx)) != BB_OPT_END;) {
        if (id == O_HELP) {
            bb_opt_help(stdout, "cache [OPTIONS] path|clean",
                        "path: print the dataset cache directory.\n"
                        "clean: delete everything in it (fetched files, partial downloads, generated sets).",
                        opts);
            return 0;
        }
        if (id == O_CACHE)
            cache_opt = it.arg;
        else if (id == BB_OPT_POSITIONAL && !action)
            action = it.positional;
        else {
            bb_cli_error("%s", id == BB_OPT_POSITIONAL ? "cache: one action only (path or clean)" : ctx.msg);
            return 2;
        }
    }
    if (!action || (strcmp(action, "path") != 0 && strcmp(action, "clean") != 0)) {
        bb_cli_error("cache: action must be 'path' or 'clean'%s%s", action ? ", not " : "", action ? action : "");
        return 2;
    }
    char cache[4096];
    if (cache_opt)
        snprintf(cache, sizeof cache, "%s", cache_opt);
    else if (bb_cache_dir(cache, sizeof cache, &ctx)) {
        bb_cli_error("%s", ctx.msg);
        return 1;
    }
    if (strcmp(action, "path") == 0) {
        printf("%s\n", cache);
        return 0;
    }
    if (bb_cache_clean(cache, &ctx)) {
        bb_cli_error("%s", ctx.msg);
        return 1;
    }
    printf("cleaned %s\n", cache);
    return 0;
}
