/* cmd_tasks.c — `boltzbench tasks`: list task types (or describe one), with each task's
 * reference set ("exact samples" when drawn by the task itself) and exact log Z if known. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness/cli/cli.h"
#include "tasks/task.h"

/* The reference set's name for the listing. */
static const char *reference_name(const bb_task_type *t) {
    if (t->reference_dataset) return t->reference_dataset;
    return t->sample_exact ? "exact samples" : "-";
}

/* The task's exact log Z as text ("-" if unknown or not computable); buf holds 32 bytes. */
static const char *log_z_text(const bb_task_type *tt, char *buf) {
    snprintf(buf, 32, "-");
    if (!tt->log_z) return buf;
    bb_ctx c = {0};
    bb_task *t = NULL;
    double v;
    if (bb_task_create_from_type(tt, NULL, &t, &c) == BB_OK && bb_task_log_z(t, &v, &c) == BB_OK && isfinite(v))
        snprintf(buf, 32, "%.10g", v);
    bb_task_free(t);
    return buf;
}

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
        char lz[32];
        printf("%s@%d\n  particles %d, dim %d, kT %g (%s), length unit %s\n  reference set: %s\n  log Z: %s\n\n%s\n",
               t->name, t->version, t->n_particles, t->dim, t->kT, t->kT_unit ? t->kT_unit : "reduced",
               t->length_unit ? t->length_unit : "reduced",
               t->reference_dataset ? t->reference_dataset : (t->sample_exact ? "exact samples" : "none"),
               t->log_z ? log_z_text(t, lz) : "unknown", t->description);
        return 0;
    }
    printf("%-16s %5s %4s %8s  %-18s %s\n", "id", "P", "D", "kT", "reference set", "log Z");
    for (size_t i = 0; bb_task_types[i]; i++) {
        const bb_task_type *t = bb_task_types[i];
        char id[64];
        snprintf(id, sizeof id, "%s@%d", t->name, t->version);
        char lz[32];
        printf("%-16s %5d %4d %8g  %-18s %s\n", id, t->n_particles, t->dim, t->kT, reference_name(t),
               log_z_text(t, lz));
    }
    return 0;
}
