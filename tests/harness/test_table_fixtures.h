/* test_table_fixtures.h — small synthetic run reports for the leaderboard, compare
 * and HTML tests: valid "boltzbench.report/1" files written from a few numbers, so
 * each test controls exactly what the tables and the gate see. */
#ifndef BB_TEST_TABLE_FIXTURES_H
#define BB_TEST_TABLE_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

typedef struct fx_metric {
    const char *name;
    double value;
} fx_metric;

typedef struct fx_run {
    const char *task; /* "dw4" */
    int task_version;
    const char *method; /* "mala" */
    int64_t budget;
    uint64_t seed;
    int failed;                  /* status "failed" */
    const char *harness_version; /* NULL = "0.1.0" */
    const fx_metric *metrics;    /* scalar metrics */
    size_t n_metrics;
    int with_plots; /* add anytime points, energy_histogram and a histogram2d entry */
} fx_run;

/* Make a fresh temp directory (mkdtemp) under TMPDIR; returns a malloc'ed path. */
char *fx_tempdir(void);
/* Remove a directory tree made by the tests. */
void fx_rmtree(const char *path);
/* Write <dir>/<task>/<method>-b<budget>-s<seed>.json (directories created). The
 * config hash is derived from (task, method, budget, seed), as a real run's is.
 * Returns 0 on success. */
int fx_write(const char *dir, const fx_run *r);
/* Write raw text to <dir>/<name> (for corrupt files). */
int fx_write_text(const char *dir, const char *name, const char *text);
/* Read a whole file (malloc'ed, NUL-terminated) or NULL. */
char *fx_slurp(const char *path);
/* Number of non-overlapping occurrences of needle in hay. */
size_t fx_count(const char *hay, const char *needle);

#endif
