/* test_cli_energy.c — `boltzbench energy` writes the task's reduced energies and forces
 * −∇u exactly as the task API computes them (DW-4 and LJ-13 configurations from the tasks'
 * initial distributions), and refuses a file of the wrong width naming it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "datasets/npy.h"
#include "tasks/task.h"
#include "tests/tmpdir.h"

BB_TEST_TMPDIR_GROUP(dir, "bb_cli_energy", (void)0)

static int run(const char *args) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s/boltzbench' energy %s >out.txt 2>err.txt", dir, BB_BINARY_DIR, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void energies_and_forces_match_the_task_api(void **state) {
    (void)state;
    const char *tasks[] = {"dw4", "lj13"};
    for (int k = 0; k < 2; k++) {
        bb_ctx c = {0};
        bb_task *t;
        assert_int_equal(bb_task_create(tasks[k], NULL, &t, &c), BB_OK);
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
        snprintf(fp, sizeof fp, "%s/f.npy", dir);
        size_t shape[3] = {N, (size_t)t->n_particles, (size_t)t->dim};
        assert_int_equal(bb_npy_write(xp, x, 3, shape, &c), BB_OK);
        snprintf(args, sizeof args, "--task %s --samples x.npy --out u.npy --forces f.npy --threads 2", tasks[k]);
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
}

static void wrong_width_and_missing_options_are_one_line_errors(void **state) {
    (void)state;
    /* the last x.npy holds LJ-13 samples (39 values per configuration); DW-4 needs 8 */
    assert_int_equal(run("--task dw4 --samples x.npy --out u2.npy"), 1);
    char p[400], err[2048] = "";
    snprintf(p, sizeof p, "%s/err.txt", dir);
    FILE *f = fopen(p, "r");
    size_t n = fread(err, 1, sizeof err - 1, f);
    err[n] = '\0';
    fclose(f);
    assert_non_null(strstr(err, "x.npy"));
    assert_non_null(strstr(err, "needs 8"));
    snprintf(p, sizeof p, "%s/u2.npy", dir);
    assert_int_equal(access(p, F_OK), -1);
    assert_int_equal(run("--task lj13 --samples x.npy"), 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(energies_and_forces_match_the_task_api),
        cmocka_unit_test(wrong_width_and_missing_options_are_one_line_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
