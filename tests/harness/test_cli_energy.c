/* test_cli_energy.c — `boltzbench energy` writes the task's reduced energies and forces
 * −∇u exactly as the task API computes them (DW-4, LJ-13 and ALDP at a --task-param
 * temperature, configurations from the tasks' initial distributions; forces named by
 * --forces-out, by the file right after --forces or defaulting beside the energies), says the sign in --help, and refuses a
 * file of the wrong width naming it, leaving no output behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "datasets/npy.h"
#include "tasks/task.h"
#include "tests/tmpdir.h"
#include "tests/testmain.h"

BB_TEST_TMPDIR_GROUP(dir, "bb_cli_energy", (void)0)

static int run(const char *args) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s/boltzbench' energy %s >out.txt 2>err.txt", dir, BB_BINARY_DIR, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* <dir>/<name> into buf (at most cap - 1 bytes, NUL-terminated). */
static void read_in_dir(const char *name, char *buf, size_t cap) {
    char p[400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void read_err(char *err, size_t cap) { read_in_dir("err.txt", err, cap); }

static int exists(const char *name) { return bb_test_exists_in(dir, name); }

BB_TEST(energies_and_forces_match_the_task_api) {
    const char *tasks[] = {"dw4", "lj13", "aldp-pita"};
    /* the forces file: by --forces-out, right after --forces, and by default beside the energies */
    const char *extra[] = {"--forces-out f.npy", "--forces lf.npy", "-f --task-param temperature=555.52"};
    const char *fname[] = {"f.npy", "lf.npy", "u-forces.npy"};
    for (int k = 0; k < 3; k++) {
        bb_ctx c = {0};
        bb_task *t;
        cJSON *tp = cJSON_Parse("{\"temperature\": 555.52}");
        assert_int_equal(bb_task_create(tasks[k], k == 2 ? tp : NULL, &t, &c), BB_OK);
        cJSON_Delete(tp);
        enum { N = 37 };
        size_t dof = (size_t)t->dof;
        double *x = malloc(N * dof * sizeof *x), *g = malloc(N * dof * sizeof *g), u[N];
        bb_rng r;
        bb_rng_init(&r, 9, (uint64_t)k);
        assert_int_equal(bb_task_initial(t, N, &r, x, &c), BB_OK);
        assert_int_equal(bb_task_energy(t, N, x, u, g, &c), BB_OK);
        char xp[400], up[400], fp[400], args[1400];
        snprintf(xp, sizeof xp, "%s/x.npy", dir);
        snprintf(up, sizeof up, "%s/u.npy", dir);
        snprintf(fp, sizeof fp, "%s/%s", dir, fname[k]);
        remove(fp);
        size_t shape[3] = {N, (size_t)t->n_particles, (size_t)t->dim};
        assert_int_equal(bb_npy_write(xp, x, 3, shape, &c), BB_OK);
        snprintf(args, sizeof args, "--task %s --samples x.npy --out u.npy %s --threads 2", tasks[k], extra[k]);
        assert_int_equal(run(args), 0);
        bb_array ua = {0}, fa = {0};
        assert_int_equal(bb_npy_read(up, 1 << 20, &ua, &c), BB_OK);
        assert_int_equal(bb_npy_read(fp, 1 << 20, &fa, &c), BB_OK);
        assert_int_equal(ua.ndim, 1);
        assert_int_equal(ua.n, N);
        assert_int_equal(fa.ndim, 2);
        assert_int_equal(fa.shape[1], dof);
        assert_memory_equal(ua.data, u, sizeof u); /* the same code, bit for bit */
        for (size_t i = 0; i < N * dof; i++) assert_true(fa.data[i] == -g[i]);
        bb_array_free(&ua);
        bb_array_free(&fa);
        free(x);
        free(g);
        bb_task_free(t);
    }
    /* the temperature parameter is applied: the same configurations at 300 K differ */
    assert_int_equal(run("--task aldp-pita --samples x.npy --out u300.npy"), 0);
    bb_array a = {0}, b = {0};
    bb_ctx c = {0};
    char p[400];
    snprintf(p, sizeof p, "%s/u300.npy", dir);
    assert_int_equal(bb_npy_read(p, 1 << 20, &a, &c), BB_OK);
    snprintf(p, sizeof p, "%s/u.npy", dir);
    assert_int_equal(bb_npy_read(p, 1 << 20, &b, &c), BB_OK);
    assert_true(fabs(a.data[0] / b.data[0] - 555.52 / 300.0) < 1e-9);
    bb_array_free(&a);
    bb_array_free(&b);
    assert_false(exists("u300-forces.npy")); /* no --forces, no forces file */
    /* --help names the sign of the forces */
    assert_int_equal(run("--help"), 0);
    char out[8192];
    read_in_dir("out.txt", out, sizeof out);
    assert_non_null(strstr(out, "F = -grad u"));
    assert_non_null(strstr(out, "--forces-out"));
}

BB_TEST(wrong_width_and_missing_options_are_one_line_errors) {
    /* each case: the arguments, the exit status, what the error names, files that must not
     * have been written, and whether the whole error must be one line */
    static const struct {
        const char *args;
        int status;
        const char *names[3], *absent[3];
        int one_line;
    } cases[] = {
        /* the last x.npy holds ALDP samples (66 values per configuration); DW-4 needs 8 */
        {"--task dw4 --samples x.npy --out u2.npy --forces", 1, {"x.npy", "needs 8"}, {"u2.npy", "u2-forces.npy"}, 0},
        /* an unwritable energies file: the forces written first are removed again */
        {"--task aldp-pita --samples x.npy --out nodir/u.npy --forces-out f3.npy", 1, {"nodir/u.npy"}, {"f3.npy"}, 0},
        /* usage errors: exit 2, one line */
        {"--task lj13 --samples x.npy", 2, {NULL}, {NULL}, 0},
        {"--task lj13 --samples x.npy --out u.npy --forces f.npy --forces-out g.npy",
         2,
         {"--forces-out", "already named (f.npy)"},
         {NULL},
         0},
        {"--task lj13 --samples x.npy --out u.npy --forces f.npy g.npy", 2, {"'g.npy'"}, {"g.npy"}, 0},
        {"--task lj13 --samples x.npy --out u.npy --forces-out u.npy", 2, {NULL}, {NULL}, 0},
        {"--task aldp-pita --samples x.npy --out u.npy --task-param nope=1", 1, {"nope"}, {NULL}, 1},
    };
    char err[2048];
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        assert_int_equal(run(cases[k].args), cases[k].status);
        read_err(err, sizeof err);
        for (int i = 0; cases[k].names[i]; i++) assert_non_null(strstr(err, cases[k].names[i]));
        for (int i = 0; cases[k].absent[i]; i++) assert_false(exists(cases[k].absent[i]));
        if (cases[k].one_line) {
            assert_non_null(strchr(err, '\n'));
            assert_true(strchr(err, '\n')[1] == '\0');
        }
    }
}

BB_TEST_MAIN(setup, teardown, cmocka_unit_test(energies_and_forces_match_the_task_api),
             cmocka_unit_test(wrong_width_and_missing_options_are_one_line_errors))
