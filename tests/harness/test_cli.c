/* test_cli.c — the boltzbench program: --help everywhere, bad input gives one clear line
 * "boltzbench: <field>: <what>" and a non-zero exit, and never leaves a partial file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/tmpdir.h"
#include "tests/testmain.h"

static char dir[256];
static char err[8192];
static char outbuf[65536];

/* Run "boltzbench <args>" with stdout/stderr captured; returns the exit status. */
static int bb(const char *args) {
    char cmd[2048], ef[300], of[300];
    snprintf(ef, sizeof ef, "%s/stderr", dir);
    snprintf(of, sizeof of, "%s/stdout", dir);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s/boltzbench' %s >'%s' 2>'%s'", dir, BB_BINARY_DIR, args, of, ef);
    int st = system(cmd);
    FILE *f = fopen(ef, "r");
    size_t n = fread(err, 1, sizeof err - 1, f);
    err[n] = '\0';
    fclose(f);
    f = fopen(of, "r");
    n = fread(outbuf, 1, sizeof outbuf - 1, f);
    outbuf[n] = '\0';
    fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int exists_in_dir(const char *name) { return bb_test_exists_in(dir, name); }

/* <dir>/<name> with the given text. */
static void write_in_dir(const char *name, const char *text) {
    char p[400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    assert_int_equal(bb_test_write_text(p, text), 0);
}

/* exactly one line on stderr, prefixed, containing `what` */
static void one_line_error(const char *what) {
    print_message("stderr: %s", err);
    assert_true(strncmp(err, "boltzbench: ", 12) == 0);
    assert_non_null(strstr(err, what));
    char *nl = strchr(err, '\n');
    assert_non_null(nl);
    assert_true(nl[1] == '\0');
}

BB_TEST(every_subcommand_has_help) {
    const char *cmds[] = {"tasks", "methods",  "run",   "suite", "version", "reference", "eval",  "minima",
                          "fetch", "datasets", "cache", "table", "compare", "report",    "energy"};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        char a[64];
        snprintf(a, sizeof a, "%s --help", cmds[i]);
        assert_int_equal(bb(a), 0);
        assert_non_null(strstr(outbuf, "Usage: boltzbench"));
    }
    assert_int_equal(bb("--help"), 0);
    assert_int_equal(bb("tasks"), 0);
    assert_non_null(strstr(outbuf, "lj13@1"));
    assert_non_null(strstr(outbuf, "lj55-phys@1"));
    assert_non_null(strstr(outbuf, "84 drug-like conformer tasks"));
    /* the conformer family: one line per molecule with atoms, heavy atoms, rotatable bonds, sets */
    assert_int_equal(bb("tasks --family conformers"), 0);
    assert_non_null(strstr(outbuf, "conf-rot0_ee90f3f4f1@1    12     6    0  fast       0"));
    assert_non_null(strstr(outbuf, "conf-rot8_46ceda5c8b@1    52    30    8  drugs      46"));
    assert_int_equal(bb("tasks --family peptides"), 2);
    assert_non_null(strstr(err, "--family: unknown family 'peptides' (known: conformers)"));
    assert_int_equal(bb("methods"), 0);
    assert_non_null(strstr(outbuf, "mala"));
    assert_non_null(strstr(outbuf, "pt"));
    assert_int_equal(bb("methods pt"), 0);
    assert_non_null(strstr(outbuf, "t_max"));
    /* resolved for a task: the per-task defaults win over the defaults (dw4: t_max 5, not 10) */
    assert_int_equal(bb("methods pt --task dw4"), 0);
    assert_non_null(strstr(outbuf, "pt@1 on dw4@1"));
    assert_non_null(strstr(outbuf, "\"t_max\":\t5"));
    assert_int_equal(bb("methods --task dw4"), 2);
    assert_int_equal(bb("methods pt --task nope"), 1);
}

/* The program waits passively unless the user chose an OpenMP wait policy (it re-executes
 * itself with OMP_WAIT_POLICY=PASSIVE before libgomp reads the environment). */
BB_TEST(openmp_waits_passively_unless_told_otherwise) {
    assert_int_equal(bb("version"), 0); /* the test environment sets no policy (see main) */
    assert_non_null(strstr(outbuf, "OpenMP wait policy PASSIVE"));
    char cmd[600];
    /* and libgomp itself runs with it: the settings it prints as the last image starts say
     * that idle threads do not spin (GOMP_SPINCOUNT 0; libgomp's default spins 300000). An
     * OpenMP runtime that prints no GOMP_SPINCOUNT passes this line. */
    snprintf(cmd, sizeof cmd,
             "s=$(OMP_DISPLAY_ENV=verbose '%s/boltzbench' version 2>&1 >/dev/null | grep GOMP_SPINCOUNT | tail -n 1);"
             " [ -z \"$s\" ] || echo \"$s\" | grep -q \"= '0'\"",
             BB_BINARY_DIR);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "OMP_WAIT_POLICY=active '%s/boltzbench' version | grep -q 'OpenMP wait policy active'",
             BB_BINARY_DIR);
    assert_int_equal(system(cmd), 0);
    /* the re-executed image carries a marker: with it, no second exec (no loop), and
     * `version` reports the policy really in effect */
    snprintf(cmd, sizeof cmd, "BOLTZBENCH_REEXEC=1 '%s/boltzbench' version | grep -q 'OpenMP wait policy (default)'",
             BB_BINARY_DIR);
    assert_int_equal(system(cmd), 0);
}

BB_TEST(bad_input_gives_one_line_and_no_file) {
    assert_int_equal(bb("nosuchcmd"), 2);
    one_line_error("nosuchcmd");
    assert_int_equal(bb("run --task nope --method mala --budget 100 --out r.json"), 1);
    one_line_error("task 'nope'");
    assert_int_equal(bb("run --task dw4 --method nope --budget 100 --out r.json"), 1);
    one_line_error("method 'nope'");
    assert_int_equal(bb("run --task dw4 --method mala --budget 0 --out r.json"), 2);
    one_line_error("--budget");
    assert_int_equal(bb("run --task dw4 --method mala --budget -5 --out r.json"), 2);
    one_line_error("--budget");
    /* too large is the reason, not "not an integer"; fractions and 2^53 + 1 are named */
    assert_int_equal(bb("run --task dw4 --method mala --budget 9.3e18 --out r.json"), 2);
    one_line_error("exceeds the largest budget 2^53");
    assert_int_equal(bb("run --task dw4 --method mala --budget 9007199254740993 --out r.json"), 2);
    one_line_error("exceeds the largest budget 2^53");
    assert_int_equal(bb("run --task dw4 --method mala --budget 1.5 --out r.json"), 2);
    one_line_error("not a whole number");
    /* reference and minima: the same parser and checks, one line each */
    assert_int_equal(bb("reference --task dw4 --budget 9.3e18"), 2);
    one_line_error("--budget: 9.3e18 exceeds the largest budget 2^53 = 9007199254740992");
    assert_int_equal(bb("reference --task dw4 --n 20 --budget 4000 --param nope=1"), 2);
    one_line_error("'nope'");
    assert_int_equal(bb("minima --task lj13-phys --walkers 5000"), 2);
    one_line_error("--walkers: 5000");
    assert_int_equal(bb("run --task dw4 --method mala --budget 1000 --out r.json --param n_chain=3"), 2);
    one_line_error("'n_chain'");
    assert_int_equal(bb("run --task dw4 --method mala --budget 1000 --out r.json --param n_chains=x"), 2);
    one_line_error("'n_chains'");
    assert_int_equal(bb("run --task dw4 --method mala --budget 1000 --out r.json --config missing.json"), 1);
    one_line_error("missing.json");
    FILE *f = fopen("/dev/null", "r");
    fclose(f);
    write_in_dir("bad.json", "{\"n_chains\": 4,,}");
    assert_int_equal(bb("run --task dw4 --method mala --budget 1000 --out r.json --config bad.json"), 1);
    one_line_error("bad.json");
    write_in_dir("wrongtype.json", "{\"step_size\": \"big\"}");
    assert_int_equal(bb("run --task dw4 --method mala --budget 1000 --out r.json --config wrongtype.json"), 1);
    one_line_error("'step_size'");
    assert_int_equal(bb("run --task dw4 --method mala --budget 1000 --out /nonexistent-dir/r.json"), 1);
    one_line_error("/nonexistent-dir/r.json");
    assert_int_equal(bb("run --task dw4 --method mala --budget 1000"), 2);
    one_line_error("--out");
    assert_int_equal(bb("run --task dw4 --method mala --budget 1000 --out r.json --metrics energy_w9"), 1);
    one_line_error("'energy_w9'");
    assert_int_equal(bb("run --task dw4 --method mala --budget 1000 --out r.json --bogus"), 2);
    one_line_error("--bogus");
    assert_false(exists_in_dir("r.json")); /* nothing written by any of the above */
    assert_int_equal(bb("suite nosuchsuite"), 1);
    one_line_error("nosuchsuite");
}

BB_TEST(run_writes_a_report) {
    assert_int_equal(
        bb("run --task dw4 --method mala --budget 5000 --seed 1 --samples 100 --out ok.json --param n_chains=10"), 0);
    assert_true(exists_in_dir("ok.json"));
    assert_non_null(strstr(outbuf, "ok.json"));
}

BB_TEST(suite_resumes_by_config_hash_and_reruns_on_request) {
    write_in_dir("tiny.json",
                 "{\"name\": \"tiny\", \"n_samples\": 50, \"runs\": [{\"tasks\": [\"dw4\"], \"methods\": [\"mala\"],"
                 " \"budgets\": [3000], \"seeds\": [0, 1], \"params\": {\"mala\": {\"n_chains\": 10}}}]}");
    assert_int_equal(bb("suite tiny.json --out tinyout"), 0);
    assert_null(strstr(outbuf, "skipped"));
    assert_true(exists_in_dir("tinyout/dw4/mala-b3000-s1.json"));
    assert_int_equal(bb("suite tiny.json --out tinyout"), 0);
    assert_non_null(strstr(outbuf, "[2/2] dw4 mala budget 3000 seed 1: done before, skipped"));
    assert_int_equal(bb("suite tiny.json --out tinyout --rerun"), 0);
    assert_null(strstr(outbuf, "skipped"));
    write_in_dir("bad-suite.json", "{\"name\": \"bad\", \"runs\": [{\"tasks\": [\"dw4\"], \"methods\": [\"mala\"], "
                                   "\"budgets\": [0], \"seeds\": [0]}]}");
    assert_int_equal(bb("suite bad-suite.json --out tinyout"), 1);
    one_line_error("runs[0].budgets");
}

/* The file's text with the top-level "timing" and "host" objects and the driver's
 * "resumed" line cut out (reports are written with one key per line, tab-indented). */
static char *report_sans_timing(const char *name) {
    char p[400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "r");
    if (!f) return NULL;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *cut[] = {"\n\t\"timing\":", "\n\t\"host\":"};
    for (int i = 0; i < 2; i++) {
        char *a = strstr(buf, cut[i]), *b = a ? strstr(a + 1, "\n\t}") : NULL;
        if (b) memmove(a, b + 3, strlen(b + 3) + 1);
    }
    char *r = strstr(buf, "\"resumed\":");
    if (r) {
        char *eol = strchr(r, '\n');
        memmove(r, eol ? eol : r + strlen(r), strlen(eol ? eol : r + strlen(r)) + 1);
    }
    return strdup(buf);
}

/* x.json, less timing, host and driver.resumed, is want, and its state file is gone. */
static void assert_report_is(const char *want) {
    char *got = report_sans_timing("x.json");
    assert_non_null(got);
    assert_string_equal(got, want);
    assert_false(exists_in_dir("x.json.state"));
    free(got);
}

/* --resume needs a state file: without one it is a one-line error naming <out>.state and
 * writes nothing; --resume-or-start starts afresh. A run killed (SIGKILL, through
 * --debug-kill-after-steps) after a save keeps its state, and --resume from it writes the
 * report the uninterrupted run wrote, apart from timing, host and driver.resumed; the
 * state file is removed when a run ends normally. */
BB_TEST(resume_needs_a_state_file_and_resume_or_start_starts_afresh) {
#define RUN "run --task gmm40 --method mala --budget 4000 --samples 100 --seed 3 --checkpoint-steps 1 --out x.json"
    char p[400], q[400];
    assert_int_equal(bb(RUN), 0);
    assert_false(exists_in_dir("x.json.state")); /* removed after a normal end */
    char *full = report_sans_timing("x.json");
    assert_non_null(full);
    assert_non_null(strstr(full, "\"status\":\t\"ok\""));
    snprintf(p, sizeof p, "%s/x.json", dir);
    snprintf(q, sizeof q, "%s/full.json", dir);
    assert_int_equal(rename(p, q), 0);

    assert_int_equal(bb(RUN " --resume"), 1);
    one_line_error("x.json.state");
    assert_non_null(strstr(err, "--resume-or-start"));
    assert_false(exists_in_dir("x.json"));

    assert_int_equal(bb(RUN " --resume-or-start"), 0);
    assert_report_is(full);
    assert_int_equal(unlink(p), 0);

    assert_int_not_equal(bb(RUN " --debug-kill-after-steps 2"), 0); /* killed: no report, state kept */
    assert_false(exists_in_dir("x.json"));
    assert_true(exists_in_dir("x.json.state"));
    assert_int_equal(bb(RUN " --resume"), 0);
    assert_report_is(full);
    snprintf(p, sizeof p, "%s/x.json", dir);
    FILE *f = fopen(p, "r");
    static char rep[1 << 20];
    size_t n = fread(rep, 1, sizeof rep - 1, f);
    fclose(f);
    rep[n] = '\0';
    assert_non_null(strstr(rep, "\"resumed\":\t1"));
    free(full);
#undef RUN
}

static int setup(void **state) {
    (void)state;
    return bb_test_mkdtemp(dir, sizeof dir, "bb_test_cli");
}

static int teardown(void **state) {
    (void)state;
    return bb_test_rmtree(dir);
}

/* the CLI's own default is under test */
BB_TEST_MAIN_FIRST(unsetenv("OMP_WAIT_POLICY"), setup, teardown, cmocka_unit_test(every_subcommand_has_help),
                   cmocka_unit_test(openmp_waits_passively_unless_told_otherwise),
                   cmocka_unit_test(bad_input_gives_one_line_and_no_file), cmocka_unit_test(run_writes_a_report),
                   cmocka_unit_test(suite_resumes_by_config_hash_and_reruns_on_request),
                   cmocka_unit_test(resume_needs_a_state_file_and_resume_or_start_starts_afresh))
