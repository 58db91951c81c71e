/* cmd_methods.c — `boltzbench methods`: list samplers, or one with its parameters. */
#include <stdio.h>

#include "harness/cli/cli.h"
#include "methods/method.h"

static const bb_opt opts[] = {
    {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

int bb_cmd_methods(int argc, char **argv) {
    bb_opt_iter it;
    bb_ctx ctx = {0};
    const char *which = NULL;
    bb_opt_init(&it, argc, argv);
    for (int id; (id = bb_opt_next(&it, opts, &ctx)) != BB_OPT_END;) {
        if (id == 0) {
            bb_opt_help(stdout, "methods [METHOD]", "List the samplers, or show METHOD's parameters with defaults and per-task defaults.", opts);
            return 0;
        }
        if (id == BB_OPT_POSITIONAL && !which) { which = it.positional; continue; }
        bb_cli_error("%s", id == BB_OPT_POSITIONAL ? "methods: at most one METHOD" : ctx.msg);
        return 2;
    }
    if (which) {
        const bb_method *m = bb_method_find(which);
        if (!m) {
            bb_cli_error("method '%s': unknown method (see 'boltzbench methods')", which);
            return 1;
        }
        printf("%s@%d\n\n%s\n\nParameters:\n", m->name, m->version, m->description);
        bb_params_print_help(m->params, stdout);
        if (m->task_defaults && m->task_defaults->task) {
            printf("\nPer-task defaults:\n");
            for (const bb_task_defaults *d = m->task_defaults; d->task; d++) printf("  %-12s %s\n", d->task, d->json);
        }
        return 0;
    }
    for (size_t i = 0; bb_methods[i]; i++) printf("%-10s v%d  %.100s\n", bb_methods[i]->name, bb_methods[i]->version, bb_methods[i]->description);
    return 0;
}
