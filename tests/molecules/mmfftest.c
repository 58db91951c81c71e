/* mmfftest.c — see mmfftest.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/molecules/mmfftest.h"

#include "harness/core/gz.h"
#include "harness/core/source_dir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *mt_mmff_params_path(const char *hash) {
    static char p[4096];
    snprintf(p, sizeof p, "%s/datasets/conformers/mmff94s/%s.params.gz", bb_source_dir(), hash);
    return p;
}

bb_mmff *mt_mmff_load(const bb_conformer_molecule *m) {
    bb_ctx c = {0};
    bb_mmff *ff = NULL;
    int rc = bb_mmff_read(mt_mmff_params_path(m->hash), m->params_sha256, &ff, &c);
    if (rc) printf("%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    return ff;
}

int mt_read_ref(const char *hash, int natom, mt_ref_geom *r) {
    char path[4096];
    snprintf(path, sizeof path, "%s/datasets/conformers/mmff94s/%s.ref.gz", bb_source_dir(), hash);
    unsigned char *text = NULL;
    size_t len = 0;
    bb_ctx c = {0};
    assert_int_equal(bb_gunzip_file(path, 1 << 24, &text, &len, &c), BB_OK);
    char *save = NULL, *line = strtok_r((char *)text, "\n", &save);
    int n = 0, atom = -1;
    for (; line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "geometry ", 9) == 0) {
            assert_true(n < 8);
            mt_ref_geom *g = &r[n++];
            snprintf(g->label, sizeof g->label, "%s", line + 9);
            g->x = malloc(3 * (size_t)natom * sizeof *g->x);
            g->g = malloc(3 * (size_t)natom * sizeof *g->g);
            atom = -1;
        } else if (strncmp(line, "energy ", 7) == 0) {
            r[n - 1].e = strtod(line + 7, NULL);
        } else if (strncmp(line, "term_energies ", 14) == 0) {
            char *p = line + 14;
            for (int k = 0; k < BB_MMFF_TERM_COUNT; k++) r[n - 1].terms[k] = strtod(p, &p);
            atom = 0;
        } else if (atom >= 0 && atom < natom) {
            mt_ref_geom *g = &r[n - 1];
            int got = sscanf(line, "%lf %lf %lf %lf %lf %lf", &g->x[3 * atom], &g->x[3 * atom + 1], &g->x[3 * atom + 2],
                             &g->g[3 * atom], &g->g[3 * atom + 1], &g->g[3 * atom + 2]);
            assert_int_equal(got, 6);
            atom++;
        }
    }
    free(text);
    return n;
}

void mt_free_ref(mt_ref_geom *r, int n) {
    for (int i = 0; i < n; i++) BB_FREE_ALL(r[i].x, r[i].g);
}
