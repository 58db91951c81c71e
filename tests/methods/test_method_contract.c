/* test_method_contract.c — the contract every registered method keeps, checked for each
 * entry of bb_methods[] through the whole run path (bb_run: driver, oracle, scoring,
 * report), so a new method is tested by being registered:
 *   - the budget: never exceeded; a run that stops for "budget" leaves fewer evaluations
 *     unspent than its largest step used;
 *   - determinism: same configuration and seed ⇒ identical report on 1 and 2 threads, every
 *     field except `timing` and `host` (so no wall-clock value lives anywhere else);
 *   - exact resume: SIGKILLed (in a child process) after several different steps, with the
 *     state saved every 2 steps, then resumed ⇒ the uninterrupted report, except the
 *     `driver.resumed` count; the state file is removed at the end;
 *   - interruption: an interrupt before the first step ⇒ a report with status "interrupted",
 *     a state file, and --resume from it ⇒ the uninterrupted report;
 *   - a budget too small for anything ⇒ a clean report with stopped_by "budget";
 *   - NaN energies from the task ⇒ BB_ENAN, a report with status "failed" naming the NaN.
 * Task: DW-4 (particles, a committed reference set) at 4,000 evaluations and 200 samples,
 * with each method's per-task defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cblas.h>
#include <cjson/cJSON.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/report/report.h"
#include "harness/run/run.h"
#include "methods/method.h"
#include "tests/quick_params.h"
#include "tests/testjson.h"
#include "tests/testutil.h"
#include "tests/tmpdir.h"
#include "tests/testmain.h"

#define BUDGET  4000
#define SAMPLES 200
#define SEED    11

BB_TEST_TMPDIR_GROUP(dir, "bb_contract", bb_test_isolated_cache(dir))

static void path_of(char *out, size_t n, const char *method, const char *what) {
    snprintf(out, n, "%s/%s-%s.json", dir, method, what);
}

/* Small dw4 settings for registered methods the quick suite does not list yet (a method's
 * quick settings arrive with its results/quick baseline); the quick suite's own settings
 * win as soon as it has them. Ten steps fit the budget, so the kills at steps 1, 3, 6 land
 * before, on and after a buffer refill. */
static const struct {
    const char *method, *json;
} pending_quick[] = {
    {"idem", "{\"hidden\": 16, \"layers\": 2, \"t_dim\": 8, \"n_steps\": 10, \"mc_samples\": 50, \"batch_size\": 8, "
             "\"inner_steps\": 3, \"n_generate\": 32, \"n_init\": 64, \"buffer_size\": 200, \"anytime_samples\": 50, "
             "\"nn_threads\": 1}"},
    {"idem_energy", "{\"hidden\": 16, \"layers\": 2, \"t_dim\": 8, \"n_steps\": 10, \"mc_samples\": 50, "
                    "\"batch_size\": 8, \"inner_steps\": 3, \"n_generate\": 32, \"n_init\": 64, \"buffer_size\": 200, "
                    "\"anytime_samples\": 50, \"nn_threads\": 1}"},
    /* stage 0 is 3 steps (1000 chains, 3650 evaluations), then 3 Adam steps, a 10-step
     * annealing, 3 more Adam steps: the kills land in stage 0, at its end and in training */
    {"pita", "{\"hidden\": 8, \"layers\": 2, \"temperatures\": [2, 1.5, 1], \"level_steps\": [3, 3], "
             "\"batch_size\": 16, \"stage0_samples\": 100, \"stage0_chains\": 1000, \"anneal_samples\": 50, "
             "\"sde_steps\": 10, \"end_resampling\": 8, \"inference_batch\": 32, \"anytime_samples\": 20, "
             "\"nn_threads\": 1}"},
};

static cJSON *pending_or(const char *method, cJSON *suite_params) {
    if (!suite_params || cJSON_GetArraySize(suite_params) > 0) return suite_params;
    for (size_t i = 0; i < sizeof pending_quick / sizeof *pending_quick; i++)
        if (!strcmp(pending_quick[i].method, method)) {
            cJSON_Delete(suite_params);
            return cJSON_Parse(pending_quick[i].json);
        }
    return suite_params;
}

/* quick-suite settings of each method on dw4 (the defaults are paper-size), one per method */
static cJSON *quick_params(const char *method) {
    static struct {
        const char *method;
        cJSON *params;
    } cache[32];
    for (size_t i = 0; i < sizeof cache / sizeof *cache; i++) {
        if (cache[i].method && !strcmp(cache[i].method, method)) return cache[i].params;
        if (!cache[i].method) {
            bb_ctx c = {0};
            cache[i].params = pending_or(method, bb_test_quick_params("dw4", method, &c));
            if (!cache[i].params) fail_msg("quick suite: %s", c.msg);
            cache[i].method = method;
            return cache[i].params;
        }
    }
    fail_msg("quick_params: more than 32 methods");
    return NULL;
}

static bb_run_config base_config(const char *method, const char *out) {
    bb_run_config c = {.task_id = "dw4",
                       .method = method,
                       .method_overrides = quick_params(method),
                       .budget = BUDGET,
                       .seed = SEED,
                       .n_samples = SAMPLES,
                       .out_path = out,
                       .threads = 1,
                       .checkpoint_minutes = 1e9};
    return c;
}

static cJSON *read_report(const char *p) {
    cJSON *r = NULL;
    bb_ctx c = {0};
    assert_int_equal(bb_report_read(p, &r, &c), BB_OK);
    return r;
}

/* The two reports are equal apart from the volatile blocks (and resumed counts). */
static void assert_same_report(const char *pa, const char *pb, const char *what) {
    cJSON *a = read_report(pa), *b = read_report(pb);
    const char *volatile_keys[] = {"timing", "host"};
    for (int k = 0; k < 2; k++) {
        cJSON_DeleteItemFromObjectCaseSensitive(a, volatile_keys[k]);
        cJSON_DeleteItemFromObjectCaseSensitive(b, volatile_keys[k]);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItem(a, "driver"), "resumed");
    cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItem(b, "driver"), "resumed");
    char where[512] = "";
    int differ = bb_test_json_diff(a, b, where, sizeof where);
    if (differ) print_message("%s: %s and %s differ at %s\n", what, pa, pb, where);
    assert_false(differ);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

static void run_ok(bb_run_config *cfg) {
    bb_ctx c = {0};
    int rc = bb_run(cfg, NULL, &c);
    if (rc) print_message("%s: %s\n", cfg->method, c.msg);
    assert_int_equal(rc, BB_OK);
}

static const char *str_at(const cJSON *r, const char *block, const char *key) {
    const cJSON *v = cJSON_GetObjectItem(block ? cJSON_GetObjectItem(r, block) : r, key);
    assert_true(cJSON_IsString(v));
    return v->valuestring;
}

static double num_at(const cJSON *r, const char *block, const char *key) {
    const cJSON *v = cJSON_GetObjectItem(block ? cJSON_GetObjectItem(r, block) : r, key);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

/* Uninterrupted on 1 thread (the reference run of every check below) and on 2 threads. */
static void budget_and_thread_independence(const bb_method *m) {
    char a[512], b[512];
    path_of(a, sizeof a, m->name, "t1");
    path_of(b, sizeof b, m->name, "t2");
    bb_run_config cfg = base_config(m->name, a);
    run_ok(&cfg);
    cfg.out_path = b;
    cfg.threads = 2;
    omp_set_num_threads(2);
    run_ok(&cfg);
    omp_set_num_threads(1);
    assert_same_report(a, b, "1 vs 2 threads");
    cJSON *r = read_report(a);
    assert_string_equal(str_at(r, NULL, "status"), "ok");
    double used = num_at(r, "budget", "used"), limit = num_at(r, "budget", "limit");
    assert_true(used <= limit && limit == BUDGET);
    if (!strcmp(str_at(r, "driver", "stopped_by"), "budget"))
        assert_true(limit - used < num_at(r, "driver", "max_step_evals"));
    assert_true(num_at(r, "driver", "steps") >= 1);
    cJSON_Delete(r);
}

/* SIGKILL after step k (state saved every 2 steps), resume, compare with the t1 report. */
static void killed_and_resumed(const bb_method *m, int64_t k) {
    char out[512], ref[512], state[600];
    char tag[32];
    snprintf(tag, sizeof tag, "kill%lld", (long long)k);
    path_of(out, sizeof out, m->name, tag);
    path_of(ref, sizeof ref, m->name, "t1");
    snprintf(state, sizeof state, "%s.state", out);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        bb_run_config cfg = base_config(m->name, out);
        cfg.state_path = state;
        cfg.checkpoint_steps = 2;
        cfg.kill_after_steps = k;
        bb_ctx c = {0};
        bb_run(&cfg, NULL, &c);
        _exit(3); /* finished before step k: the parent fails on the exit status */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    bb_run_config cfg = base_config(m->name, out);
    cfg.state_path = state;
    cfg.resume = k >= 2 ? 1 : 2; /* before step 2 nothing was saved: resume-or-start */
    run_ok(&cfg);
    assert_same_report(ref, out, tag);
    assert_int_equal(access(state, F_OK), -1);
    cJSON *r = read_report(out);
    assert_int_equal((int)num_at(r, "driver", "resumed"), k >= 2 ? 1 : 0);
    cJSON_Delete(r);
}

static void interrupted_then_resumed(const bb_method *m) {
    char out[512], ref[512], state[600];
    path_of(out, sizeof out, m->name, "int");
    path_of(ref, sizeof ref, m->name, "t1");
    snprintf(state, sizeof state, "%s.state", out);
    static volatile sig_atomic_t flag;
    flag = 1;
    bb_run_config cfg = base_config(m->name, out);
    cfg.state_path = state;
    cfg.interrupt = &flag;
    bb_ctx c = {0};
    assert_int_equal(bb_run(&cfg, NULL, &c), BB_EINTERRUPTED);
    cJSON *r = read_report(out);
    assert_string_equal(str_at(r, NULL, "status"), "interrupted");
    assert_string_equal(str_at(r, "driver", "stopped_by"), "interrupted");
    cJSON_Delete(r);
    assert_int_equal(access(state, R_OK), 0);
    flag = 0;
    cfg.resume = 1;
    run_ok(&cfg);
    assert_same_report(ref, out, "interrupted + resumed");
}

static void tiny_budget_and_nan(const bb_method *m) {
    char out[512];
    path_of(out, sizeof out, m->name, "tiny");
    bb_run_config cfg = base_config(m->name, out);
    cfg.budget = 3;
    cfg.n_samples = 20;
    run_ok(&cfg);
    cJSON *r = read_report(out);
    assert_string_equal(str_at(r, "driver", "stopped_by"), "budget");
    assert_true(num_at(r, "budget", "used") <= 3);
    cJSON_Delete(r);

    path_of(out, sizeof out, m->name, "nan");
    cfg = base_config(m->name, out);
    cfg.task_id = NULL;
    cfg.task_type = &bb_test_nan;
    bb_ctx c = {0};
    assert_int_equal(bb_run(&cfg, NULL, &c), BB_ENAN);
    assert_non_null(strstr(c.msg, "NaN"));
    r = read_report(out);
    assert_string_equal(str_at(r, NULL, "status"), "failed");
    assert_non_null(strstr(str_at(r, NULL, "error"), "NaN"));
    assert_string_equal(str_at(r, "driver", "stopped_by"), "error");
    cJSON_Delete(r);
}

BB_TEST(every_method_keeps_the_contract) {
    omp_set_num_threads(1);
    for (size_t i = 0; bb_methods[i]; i++) {
        const bb_method *m = bb_methods[i];
        print_message("method %s\n", m->name);
        assert_non_null(m->init);
        assert_non_null(m->step);
        assert_non_null(m->snapshot);
        assert_non_null(m->draw);
        assert_non_null(m->free);
        assert_non_null(m->save); /* every method resumes exactly */
        assert_non_null(m->load);
        budget_and_thread_independence(m);
        const int64_t kill_at[] = {1, 3, 6};
        for (int k = 0; k < 3; k++) killed_and_resumed(m, kill_at[k]);
        interrupted_then_resumed(m);
        tiny_budget_and_nan(m);
    }
}

BB_TEST_MAIN_NN(setup, teardown, cmocka_unit_test(every_method_keeps_the_contract))
