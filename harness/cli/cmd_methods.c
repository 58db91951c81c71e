/* cmd_methods.c — `boltzbench methods`: list samplers, or one with its parameters. */
#include <stdio.h>

#include "harness/cli/cli.h"
#include "methods/method.h"

int bb_cmd_methods(int argc, char **argv) {
    const char *which = NULL;
    int rc = bb_opt_help_and_one(argc, argv, "methods [METHOD]",
                                 "List the samplers, or show METHOD's parameters with defaults and per-task defaults.",
                                 "METHOD", &which);
    if (rc >= 0) return rc;
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
    for (size_t i = 0; bb_methods[i]; i++)
        printf("%-10s v%d  %.100s\n", bb_methods[i]->name, bb_methods[i]->version, bb_methods[i]->description);
    return 0;
}
