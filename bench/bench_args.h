/* bench_args.h — the command line the throughput benchmarks share:
 *   NAME [--out FILE.json] [--tasks SUBSTRING]
 * Returns 0 with *out and *only set (defaults kept), or 2 after printing the usage. */
#ifndef BB_BENCH_ARGS_H
#define BB_BENCH_ARGS_H

#include <stdio.h>
#include <string.h>

static inline int bench_parse_out_tasks(int argc, char **argv, const char *name, const char **out, const char **only) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc)
            *out = argv[++i];
        else if (!strcmp(argv[i], "--tasks") && i + 1 < argc)
            *only = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--out FILE.json] [--tasks SUBSTRING]\n", name);
            return 2;
        }
    }
    return 0;
}

#endif
