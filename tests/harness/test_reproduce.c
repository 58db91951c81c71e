/* test_reproduce.c — paper protocols (harness/run/reproduce.h): every committed protocol
 * loads and fits this build (params resolve against the method's table, metrics and
 * published names are registered), malformed or misfit ones are refused naming the field, the comparison row is the mean ± std
 * over seeds with z against the published std (exact values), and an end-to-end
 * reproduction of a small protocol runs every seed, writes comparison.json, keeps finished
 * seeds on a second call and gives the same comparison, and keeps reports another version
 * made under the protocol (naming their commit) but runs again those that differ in a
 * protocol parameter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/jsonutil.h"
#include "harness/core/source_dir.h"
#include "harness/run/reproduce.h"
#include "tests/testmain.h"
#include "tests/tmpdir.h"

BB_TEST_TMPDIR_GROUP(dir, "bb_reproduce", bb_test_isolated_cache(dir))

static void write_text(const char *path, const char *text) { assert_int_equal(bb_test_write_text(path, text), 0); }

/* Every committed results/protocols/<paper>/<task>.json loads and checks against this
 * build (bb_protocol_check: method, task, params against the method's table, metrics and
 * published names), and its file name is its paper and task. */
BB_TEST(every_committed_protocol_loads_and_checks) {
    char root[4200];
    snprintf(root, sizeof root, "%s/results/protocols", bb_source_dir());
    DIR *papers = opendir(root);
    assert_non_null(papers);
    size_t n = 0;
    for (struct dirent *pe; (pe = readdir(papers));) {
        if (pe->d_name[0] == '.') continue;
        char pdir[4500];
        snprintf(pdir, sizeof pdir, "%s/%s", root, pe->d_name);
        DIR *tasks = opendir(pdir);
        if (!tasks) continue; /* not a folder */
        for (struct dirent *te; (te = readdir(tasks));) {
            const size_t len = strlen(te->d_name);
            if (len < 6 || strcmp(te->d_name + len - 5, ".json")) continue;
            char path[4800], task[256];
            snprintf(path, sizeof path, "%s/%s", pdir, te->d_name);
            snprintf(task, sizeof task, "%.*s", (int)(len - 5), te->d_name);
            bb_ctx c = {0};
            bb_protocol p;
            int rc = bb_protocol_load(path, &p, &c);
            if (!rc) {
                rc = bb_protocol_check(&p, &c);
                if (rc) bb_protocol_free(&p);
            }
            if (rc) fail_msg("%s", c.msg);
            print_message("%s/%s: %s on %s, %zu published value(s)\n", pe->d_name, task, p.method, p.task,
                          p.n_published);
            assert_string_equal(p.paper, pe->d_name);
            assert_string_equal(p.task, task);
            assert_true(p.budget >= 1 && p.seeds >= 1 && p.n_samples >= 1 && p.n_published >= 1);
            bb_protocol_free(&p);
            n++;
        }
        closedir(tasks);
    }
    closedir(papers);
    assert_true(n >= 5); /* adjoint_sampling dw4, lj13; idem dw4, lj13; pis gmm25 */
    char path[4096];
    bb_ctx c = {0};
    assert_int_equal(bb_protocol_locate("adjoint_sampling", "no_such_task", path, sizeof path, &c), BB_ENOTFOUND);
    assert_non_null(strstr(c.msg, "no protocol"));
    assert_int_equal(bb_protocol_locate("../x", "dw4", path, sizeof path, &c), BB_EINVAL);
}

#define GOOD_HEAD                                                                                                      \
    "{\"schema\": \"boltzbench.protocol/1\", \"paper\": \"p\", \"task\": \"dw4\", \"method\": \"mala\", "              \
    "\"params\": {}, \"seeds\": 2, \"n_samples\": 100, \"source\": {\"paper\": \"t\"}, "

BB_TEST(malformed_protocols_name_the_field) {
    struct {
        const char *text, *field;
    } cases[] = {
        {GOOD_HEAD "\"budget\": 10, \"metrics\": [\"energy_w2\"], \"published\": []}", NULL},
        {GOOD_HEAD "\"budget\": 0.5, \"metrics\": [\"energy_w2\"], \"published\": []}", "budget"},
        {GOOD_HEAD "\"budget\": 10, \"metrics\": [], \"published\": []}", "metrics"},
        {GOOD_HEAD "\"budget\": 10, \"metrics\": [\"energy_w2\"], \"published\": [{\"metric\": \"x_w2\", "
                   "\"name_in_paper\": \"W2\", \"value\": 1}]}",
         "published[0].metric"},
        {GOOD_HEAD "\"budget\": 10, \"metrics\": [\"energy_w2\"], \"published\": [{\"metric\": \"energy_w2\", "
                   "\"name_in_paper\": \"E\", \"value\": 1, \"std\": -1}]}",
         "published[0].std"},
        {GOOD_HEAD "\"budget\": 10, \"anytime\": [0.5, 0.2], \"metrics\": [\"energy_w2\"], \"published\": []}",
         "anytime[1]"},
        {"{\"schema\": \"boltzbench.protocol/0\"}", "schema"},
        {"{\"schema\": \"boltzbench.protocol/1\", \"paper\": \"p\"}", "task"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/bad%zu.json", dir, i);
        write_text(path, cases[i].text);
        bb_protocol p;
        bb_ctx c = {0};
        int rc = bb_protocol_load(path, &p, &c);
        if (!cases[i].field) {
            assert_int_equal(rc, BB_OK);
            bb_protocol_free(&p);
            continue;
        }
        assert_int_equal(rc, BB_EFORMAT);
        assert_non_null(strstr(c.msg, path));
        if (!strstr(c.msg, cases[i].field)) fail_msg("case %zu: '%s' does not name %s", i, c.msg, cases[i].field);
    }
}

/* A protocol that parses but does not fit this build is refused by bb_protocol_check (and so
 * by bb_reproduce, before any seed runs), naming the file and the field. */
BB_TEST(protocols_that_do_not_fit_the_build_are_refused_naming_the_field) {
    struct {
        const char *text, *field, *detail;
    } cases[] = {
        {GOOD_HEAD "\"budget\": 10, \"metrics\": [\"energy_w2\"], \"published\": []}", NULL, NULL},
        {"{\"schema\": \"boltzbench.protocol/1\", \"paper\": \"p\", \"task\": \"dw4\", \"method\": \"mala\", "
         "\"params\": {\"n_chain\": 3}, \"seeds\": 1, \"n_samples\": 10, \"source\": {}, \"budget\": 10, "
         "\"metrics\": [\"energy_w2\"], \"published\": []}",
         ": params", "n_chain"},
        {"{\"schema\": \"boltzbench.protocol/1\", \"paper\": \"p\", \"task\": \"dw4\", \"method\": \"mala\", "
         "\"params\": {\"n_chains\": \"many\"}, \"seeds\": 1, \"n_samples\": 10, \"source\": {}, \"budget\": 10, "
         "\"metrics\": [\"energy_w2\"], \"published\": []}",
         ": params", "n_chains"},
        {GOOD_HEAD "\"budget\": 10, \"metrics\": [\"energy_w3\"], \"published\": []}", ": metrics: unknown metric",
         "energy_w3"},
        {GOOD_HEAD "\"budget\": 10, \"metrics\": [\"eq_w2\"], \"published\": [{\"metric\": \"eq_w2\", "
                   "\"name_in_paper\": \"W2\", \"value\": 1}]}",
         ": metrics: unknown metric", "eq_w2"},
        {"{\"schema\": \"boltzbench.protocol/1\", \"paper\": \"p\", \"task\": \"dw5\", \"method\": \"mala\", "
         "\"params\": {}, \"seeds\": 1, \"n_samples\": 10, \"source\": {}, \"budget\": 10, \"metrics\": [\"x_w2\"], "
         "\"published\": []}",
         ": task", "dw5"},
        {"{\"schema\": \"boltzbench.protocol/1\", \"paper\": \"p\", \"task\": \"dw4\", \"method\": \"malla\", "
         "\"params\": {}, \"seeds\": 1, \"n_samples\": 10, \"source\": {}, \"budget\": 10, \"metrics\": [\"x_w2\"], "
         "\"published\": []}",
         ": method", "malla"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/misfit%zu.json", dir, i);
        write_text(path, cases[i].text);
        bb_protocol p;
        bb_ctx c = {0};
        assert_int_equal(bb_protocol_load(path, &p, &c), BB_OK);
        int rc = bb_protocol_check(&p, &c);
        if (!cases[i].field) {
            assert_int_equal(rc, BB_OK);
        } else {
            print_message("misfit %zu: %s\n", i, c.msg);
            assert_int_not_equal(rc, BB_OK);
            assert_non_null(strstr(c.msg, path));
            if (!strstr(c.msg, cases[i].field) || !strstr(c.msg, cases[i].detail))
                fail_msg("case %zu: '%s' does not name %s and %s", i, c.msg, cases[i].field, cases[i].detail);
            bb_reproduce_opts o = {.out_dir = dir, .only_seed = -1};
            cJSON *cmp = NULL;
            assert_int_equal(bb_reproduce(&p, &o, &cmp, &c), rc); /* refused before any run */
            assert_null(cmp);
        }
        bb_protocol_free(&p);
    }
}

BB_TEST(comparison_is_mean_std_and_z) {
    char path[600];
    snprintf(path, sizeof path, "%s/p.json", dir);
    write_text(path,
               GOOD_HEAD "\"budget\": 10, \"metrics\": [\"energy_w2\", \"x_w2\"], \"published\": ["
                         "{\"metric\": \"energy_w2\", \"name_in_paper\": \"E-W2\", \"value\": 1.5, \"std\": 0.25},"
                         "{\"metric\": \"x_w2\", \"name_in_paper\": \"W2\", \"value\": 3}]}");
    bb_protocol p;
    bb_ctx c = {0};
    assert_int_equal(bb_protocol_load(path, &p, &c), BB_OK);
    const double e[3] = {1.0, 2.0, 3.0}; /* mean 2, sample std 1 */
    cJSON *reps[3];
    for (int k = 0; k < 3; k++) {
        char txt[256];
        snprintf(txt, sizeof txt,
                 "{\"metrics\": {\"energy_w2\": {\"value\": %g}, \"x_w2\": {\"value\": 4}}, \"budget\": {\"used\": %d},"
                 " \"timing\": {\"wall_s\": 10}}",
                 e[k], 100 * (k + 1));
        reps[k] = cJSON_Parse(txt);
    }
    cJSON *cmp = bb_reproduce_compare(&p, reps, 3, 10, 2);
    const cJSON *rows = cJSON_GetObjectItem(cmp, "rows");
    assert_int_equal(cJSON_GetArraySize(rows), 2);
    const cJSON *r0 = cJSON_GetArrayItem(rows, 0), *r1 = cJSON_GetArrayItem(rows, 1);
    assert_true(cJSON_GetObjectItem(r0, "ours_mean")->valuedouble == 2.0);
    assert_true(cJSON_GetObjectItem(r0, "ours_std")->valuedouble == 1.0);
    assert_true(cJSON_GetObjectItem(r0, "z")->valuedouble == 2.0); /* (2 - 1.5) / 0.25 */
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r0, "within_2sigma")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(r1, "z"))); /* no published std: no z */
    assert_null(cJSON_GetObjectItem(r1, "within_2sigma"));
    const cJSON *cost = cJSON_GetObjectItem(cmp, "cost_per_seed");
    assert_true(cJSON_GetObjectItem(cost, "evaluations")->valuedouble == 200.0);
    assert_null(cJSON_GetObjectItem(cost, "gradient_steps")); /* not reported by these runs */
    cJSON_Delete(cmp);
    for (int k = 0; k < 3; k++) cJSON_Delete(reps[k]);
    bb_protocol_free(&p);
}

BB_TEST(small_protocol_runs_every_seed_and_keeps_finished_ones) {
    char path[600], out[600], cmp_path[700];
    snprintf(path, sizeof path, "%s/mala.json", dir);
    snprintf(out, sizeof out, "%s/repro", dir);
    snprintf(cmp_path, sizeof cmp_path, "%s/comparison.json", out);
    write_text(path, GOOD_HEAD "\"budget\": 3000, \"anytime\": [0.25, 0.5, 1], \"metrics\": [\"energy_w2\"], "
                               "\"published\": [{\"metric\": "
                               "\"energy_w2\", \"name_in_paper\": \"E-W2\", \"value\": 0.5, \"std\": 0.1}]}");
    bb_protocol p;
    bb_ctx c = {0};
    assert_int_equal(bb_protocol_load(path, &p, &c), BB_OK);
    bb_reproduce_opts o = {.out_dir = out, .threads = 1, .checkpoint_minutes = -1.0, .only_seed = -1};
    cJSON *first = NULL, *second = NULL;
    assert_int_equal(bb_reproduce(&p, &o, &first, &c), BB_OK);
    assert_true(bb_test_exists_in(out, "s0.json") && bb_test_exists_in(out, "s1.json"));
    assert_true(bb_test_exists_in(out, "s0.npy") && !bb_test_exists_in(out, "s0.json.state"));
    assert_int_equal((int)cJSON_GetObjectItem(first, "seeds_finished")->valuedouble, 2);
    const cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItem(first, "rows"), 0);
    assert_true(isfinite(cJSON_GetObjectItem(row, "ours_mean")->valuedouble));
    assert_true(cJSON_GetObjectItem(row, "ours_std")->valuedouble > 0); /* two seeds differ */
    cJSON *disk = NULL, *rep = NULL;
    char s0[700];
    snprintf(s0, sizeof s0, "%s/s0.json", out);
    assert_int_equal(bb_json_read_file(s0, 1 << 24, &rep, &c), BB_OK); /* the protocol's anytime points */
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "anytime")), 3);
    /* the timing split of the run: four non-negative parts, within the wall time */
    const cJSON *tm = cJSON_GetObjectItem(rep, "timing"), *split = cJSON_GetObjectItem(tm, "split");
    double parts = 0.0;
    const char *part[] = {"training_s", "sampling_s", "energies_s", "metrics_s"};
    for (int k = 0; k < 4; k++) {
        const cJSON *v = cJSON_GetObjectItem(split, part[k]);
        assert_true(cJSON_IsNumber(v) && v->valuedouble >= 0.0);
        parts += v->valuedouble;
    }
    assert_true(cJSON_GetObjectItem(split, "energies_s")->valuedouble > 0.0); /* MALA spends its budget */
    assert_true(parts <= cJSON_GetObjectItem(tm, "wall_s")->valuedouble);
    cJSON_Delete(rep);
    assert_int_equal(bb_json_read_file(cmp_path, 1 << 20, &disk, &c), BB_OK);
    assert_true(cJSON_Compare(disk, first, 1));
    /* again: both reports are kept (same configuration, status ok), same comparison */
    FILE *log = tmpfile();
    o.log = log;
    assert_int_equal(bb_reproduce(&p, &o, &second, &c), BB_OK);
    char buf[512] = "";
    rewind(log);
    size_t nr = fread(buf, 1, sizeof buf - 1, log);
    buf[nr] = '\0';
    fclose(log);
    assert_non_null(strstr(buf, "seed 1, budget 3000: done before, kept"));
    const cJSON *r2 = cJSON_GetArrayItem(cJSON_GetObjectItem(second, "rows"), 0);
    assert_true(cJSON_GetObjectItem(r2, "ours_mean")->valuedouble ==
                cJSON_GetObjectItem(row, "ours_mean")->valuedouble);
    cJSON_Delete(disk);
    cJSON_Delete(first);
    cJSON_Delete(second);
    /* one seed alone into a fresh directory: only it runs, the comparison has one seed;
     * then the other seed alone: its comparison counts both (seed 1 finished meanwhile) */
    snprintf(out, sizeof out, "%s/repro1", dir);
    o = (bb_reproduce_opts){.out_dir = out, .threads = 1, .checkpoint_minutes = -1.0, .only_seed = 1};
    assert_int_equal(bb_reproduce(&p, &o, &first, &c), BB_OK);
    assert_true(bb_test_exists_in(out, "s1.json") && !bb_test_exists_in(out, "s0.json"));
    assert_int_equal((int)cJSON_GetObjectItem(first, "seeds_finished")->valuedouble, 1);
    cJSON_Delete(first);
    o.only_seed = 2; /* the protocol runs seeds 0 and 1 */
    assert_int_equal(bb_reproduce(&p, &o, &first, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "--seed 2"));
    assert_null(first);
    o.only_seed = 0;
    assert_int_equal(bb_reproduce(&p, &o, &first, &c), BB_OK);
    assert_int_equal((int)cJSON_GetObjectItem(first, "seeds_finished")->valuedouble, 2);
    cJSON_Delete(first);
    bb_protocol_free(&p);
}

/* Rewrite the report at path as another version would have written it: a different
 * configuration hash and commit, an extra parameter; `key` (if not NULL) set to `val`. */
static void as_other_version(const char *path, const char *key, double val) {
    cJSON *r = NULL;
    bb_ctx c = {0};
    assert_int_equal(bb_json_read_file(path, 1 << 24, &r, &c), BB_OK);
    cJSON_ReplaceItemInObject(r, "config_sha256",
                              cJSON_CreateString("0000000000000000000000000000000000000000000000000000000000000000"));
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(r, "harness"), "git_commit", cJSON_CreateString("0123abc"));
    cJSON *params = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "method"), "params");
    cJSON_AddNumberToObject(params, "a_parameter_of_another_version", 1);
    if (key) cJSON_ReplaceItemInObject(params, key, cJSON_CreateNumber(val));
    assert_int_equal(bb_json_write_file(path, r, &c), BB_OK);
    cJSON_Delete(r);
}

static char *reproduce_log(const bb_protocol *p, bb_reproduce_opts *o, cJSON **cmp, char *buf, size_t len) {
    bb_ctx c = {0};
    FILE *log = tmpfile();
    o->log = log;
    assert_int_equal(bb_reproduce(p, o, cmp, &c), BB_OK);
    rewind(log);
    size_t nr = fread(buf, 1, len - 1, log);
    buf[nr] = '\0';
    fclose(log);
    o->log = NULL;
    return buf;
}

/* A report another version made under the protocol (configuration hash differs, the
 * protocol's parameters, budget, seed and metrics agree) is kept, and the comparison names
 * its commit; one whose protocol parameter differs is run again; --rerun-earlier runs
 * the kept one again too. */
BB_TEST(reports_of_another_version_under_the_protocol_are_kept) {
    char path[600], out[600], s0[700], s1[700], buf[1024];
    snprintf(path, sizeof path, "%s/mala_v.json", dir);
    snprintf(out, sizeof out, "%s/repro_v", dir);
    snprintf(s0, sizeof s0, "%s/s0.json", out);
    snprintf(s1, sizeof s1, "%s/s1.json", out);
    write_text(path,
               "{\"schema\": \"boltzbench.protocol/1\", \"paper\": \"p\", \"task\": \"dw4\", \"method\": "
               "\"mala\", \"params\": {\"n_chains\": 8}, \"seeds\": 2, \"n_samples\": 100, \"source\": {\"paper\": "
               "\"t\"}, \"budget\": 2000, \"metrics\": [\"energy_w2\"], \"published\": [{\"metric\": "
               "\"energy_w2\", \"name_in_paper\": \"E-W2\", \"value\": 0.5, \"std\": 0.1}]}");
    bb_protocol p;
    bb_ctx c = {0};
    assert_int_equal(bb_protocol_load(path, &p, &c), BB_OK);
    bb_reproduce_opts o = {.out_dir = out, .threads = 1, .checkpoint_minutes = -1.0, .only_seed = -1};
    cJSON *first = NULL, *second = NULL;
    assert_int_equal(bb_reproduce(&p, &o, &first, &c), BB_OK);
    const cJSON *seeds = cJSON_GetObjectItem(first, "seeds");
    assert_int_equal(cJSON_GetArraySize(seeds), 2);
    assert_true(cJSON_GetObjectItem(cJSON_GetArrayItem(seeds, 1), "seed")->valuedouble == 1.0);
    as_other_version(s0, NULL, 0);
    as_other_version(s1, "n_chains", 7); /* the protocol sets n_chains: 8 */
    reproduce_log(&p, &o, &second, buf, sizeof buf);
    assert_non_null(strstr(buf, "seed 0, budget 2000: done before under the protocol by another version, kept"));
    assert_null(strstr(buf, "seed 1, budget 2000: done"));
    seeds = cJSON_GetObjectItem(second, "seeds");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(seeds, 0), "git_commit")->valuestring, "0123abc");
    assert_string_not_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(seeds, 1), "git_commit")->valuestring, "0123abc");
    /* seed 1 ran again: the same result as the first time (same configuration and seed) */
    const cJSON *r1 = cJSON_GetArrayItem(cJSON_GetObjectItem(first, "rows"), 0);
    const cJSON *r2 = cJSON_GetArrayItem(cJSON_GetObjectItem(second, "rows"), 0);
    assert_true(cJSON_GetObjectItem(r1, "ours_mean")->valuedouble == cJSON_GetObjectItem(r2, "ours_mean")->valuedouble);
    cJSON_Delete(second);
    o.rerun_earlier = 1;
    reproduce_log(&p, &o, &second, buf, sizeof buf);
    assert_null(strstr(buf, "another version"));
    assert_non_null(strstr(buf, "seed 1, budget 2000: done before, kept"));
    seeds = cJSON_GetObjectItem(second, "seeds");
    assert_string_not_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(seeds, 0), "git_commit")->valuestring, "0123abc");
    cJSON_Delete(first);
    cJSON_Delete(second);
    bb_protocol_free(&p);
}

BB_TEST_MAIN(setup, teardown, cmocka_unit_test(every_committed_protocol_loads_and_checks),
             cmocka_unit_test(protocols_that_do_not_fit_the_build_are_refused_naming_the_field),
             cmocka_unit_test(malformed_protocols_name_the_field), cmocka_unit_test(comparison_is_mean_std_and_z),
             cmocka_unit_test(small_protocol_runs_every_seed_and_keeps_finished_ones),
             cmocka_unit_test(reports_of_another_version_under_the_protocol_are_kept))
