/* cmd_tasks.c — `boltzbench tasks`: list task types (or describe one). */
#include <stdio.h>
#include <string.h>

#include "harness/cli/cli.h"
#include "tasks/task.h"

int bb_cmd_tasks(int argc, char **argv) {
    const char *which = NULL;
    int rc = bb_opt_help_and_one(argc, argv, "tasks [TASK]",
                                 "List the tasks, or describe TASK (name or name@version) in full.", "TASK", &which);
    if (rc >= 0) return rc;
    if (which) {
        const bb_task_type *t = bb_task_type_find(which);
        if (!t) {
            bb_cli_error("task '%s': unknown task (see 'boltzbench tasks')", which);
            return 1;
        }
        printf("%s@%d\n  particles %d, dim %d, kT %g (%s), length unit %s\n  reference set: %s\n\n%s\n", t->name,
               t->version, t->n_particles, t->dim, t->kT, t->kT_unit ? t->kT_unit : "reduced",
               t->length_unit ? t->length_unit : "reduced", t->reference_dataset ? t->reference_dataset : "none",
               t->description);
        return 0;
    }
    printf("%-16s %5s %4s %8s  %s\n", "id", "P", "D", "kT", "reference set");
    for (size_t i = 0; bb_task_types[i]; i++) {
        const bb_task_type *t = bb_task_types[i];
        char id[64];
        snprintf(id, sizeof id, "%s@%d", t->name, t->version);
        printf("%-16s %5d %4d %8g  %s\n", id, t->n_particles, t->dim, t->kT,
               t->reference_dataset ? t->reference_dataset : "-");
    }
    return 0;
}
