/* cmd_tasks.c — `boltzbench tasks`: list task types (or describe one), with each task's
 * reference set ("exact samples" when drawn by the task itself) and exact log Z if known.
 * The conformer tasks (84 conf-<hash>@1) are summarised in one line of the plain listing and
 * listed with `--family conformers`: atoms, heavy atoms, rotatable bonds, sets, CREST references. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness/cli/cli.h"
#include "tasks/molecules/conformers.h"
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

/* `--family conformers`: one line per molecule, by rotatable bonds then table order. */
static void list_conformers(void) {
    printf("%-22s %5s %5s %4s  %-10s %s\n", "id", "atoms", "heavy", "rot", "sets", "CREST refs");
    for (int rot = 0; rot <= 64; rot++)
        for (int k = 0; k < BB_CONFORMER_COUNT; k++) {
            const bb_conformer_molecule *m = &bb_conformer_molecules[k];
            if (m->rotatable_bonds != rot) continue;
            char id[64];
            snprintf(id, sizeof id, "%s@%d", bb_conformer_task_types[k].name, bb_conformer_task_types[k].version);
            printf("%-22s %5d %5d %4d  %-10s %d\n", id, m->natom, m->nheavy, m->rotatable_bonds,
                   m->in_drugs && m->in_fast ? "drugs,fast" : (m->in_drugs ? "drugs" : "fast"), m->n_crest);
        }
}

int bb_cmd_tasks(int argc, char **argv) {
    const char *which = NULL, *family = NULL;
    const bb_opt opts[] = {BB_OPT_ROW_HELP,
                           {"family", 0, "NAME", "list one family in full: conformers", BB_OPT_STRING, &family, 0},
                           BB_OPT_ROW_END};
    bb_cli cl;
    bb_cli_init(&cl, argc, argv, opts, "tasks [--family NAME] [TASK]",
                "List the tasks, or describe TASK (name or name@version) in full.");
    int rc = bb_cli_one_arg(&cl, &which, "tasks: at most one TASK", NULL);
    if (rc >= 0) return rc;
    if (family) {
        if (strcmp(family, "conformers") != 0) {
            bb_cli_error("--family: unknown family '%s' (known: conformers)", family);
            return 2;
        }
        list_conformers();
        return 0;
    }
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
    int n_conf = 0;
    for (size_t i = 0; bb_task_types[i]; i++) {
        const bb_task_type *t = bb_task_types[i];
        if (bb_conformer_of_type(t)) {
            n_conf++;
            continue;
        }
        char id[64];
        snprintf(id, sizeof id, "%s@%d", t->name, t->version);
        char lz[32];
        printf("%-16s %5d %4d %8g  %-18s %s\n", id, t->n_particles, t->dim, t->kT, reference_name(t),
               log_z_text(t, lz));
    }
    if (n_conf)
        printf("conf-<hash>@1    %d drug-like conformer tasks (MMFF94s, 300 K): boltzbench tasks --family conformers\n",
               n_conf);
    return 0;
}
