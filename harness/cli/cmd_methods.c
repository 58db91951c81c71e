/* cmd_methods.c — `boltzbench methods`: list samplers, or one with its parameters, or the
 * parameters a run of it on a task would use (resolved through bb_method_resolve_params). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness/cli/cli.h"
#include "methods/method.h"
#include "tasks/task.h"

/* The resolved parameters of `m` on `task_id`, as a JSON object (what a run's report holds). */
static int print_resolved(const bb_method *m, const char *task_id) {
    bb_ctx ctx = {0};
    bb_task *t = NULL;
    bb_params p = {0};
    if (bb_task_create(task_id, NULL, &t, &ctx) || bb_method_resolve_params(m, t->type->name, NULL, NULL, &p, &ctx)) {
        bb_cli_error("%s", ctx.msg);
        bb_task_free(t);
        return 1;
    }
    char *s = cJSON_Print(p.values);
    printf("%s@%d on %s:\n%s\n", m->name, m->version, t->id, s ? s : "{}");
    free(s);
    bb_params_free(&p);
    bb_task_free(t);
    return 0;
}

int bb_cmd_methods(int argc, char **argv) {
    const char *which = NULL, *task = NULL;
    const bb_opt opts[] = {
        BB_OPT_ROW_HELP,
        {"task", 't', "TASK", "print the parameters a run on TASK uses (defaults < per-task defaults)", BB_OPT_STRING,
         &task, 0},
        BB_OPT_ROW_END,
    };
    bb_cli cl;
    bb_cli_init(&cl, argc, argv, opts, "methods [METHOD] [--task TASK]",
                "List the samplers, or show METHOD's parameters with defaults and per-task defaults;\n"
                "with --task, the parameters a run of METHOD on TASK would use.");
    for (int id; (id = bb_cli_next(&cl)) != BB_OPT_END;) {
        if (id == BB_OPT_EXIT) return cl.exit;
        if (which) {
            bb_cli_error("methods: unexpected argument '%s' (see --help)", cl.it.positional);
            return 2;
        }
        which = cl.it.positional;
    }
    if (task && !which) {
        bb_cli_error("--task: needs a METHOD (boltzbench methods METHOD --task TASK)");
        return 2;
    }
    if (which) {
        const bb_method *m = bb_method_find(which);
        if (!m) {
            bb_cli_error("method '%s': unknown method (see 'boltzbench methods')", which);
            return 1;
        }
        if (task) return print_resolved(m, task);
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
