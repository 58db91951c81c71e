/* suite_slurm.c — a suite as a Slurm array job plus a collect job (suite_slurm.h). */
#include "harness/run/suite_slurm.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/core/buf.h"
#include "harness/core/fileio.h"
#include "harness/report/report.h"
#include "harness/run/run.h"
#include "harness/run/suite_sched.h"

/* The scripts single-quote every path and value; one holding a quote or a newline could
 * not be quoted that way (and is no sane path for a cluster job). */
static int quotable(const char *what, const char *v, bb_ctx *ctx) {
    if (strpbrk(v, "'\n\r"))
        return BB_ERR(ctx, BB_EINVAL, "%s: '%s' holds a quote or a newline, which the Slurm scripts cannot quote", what,
                      v);
    return BB_OK;
}

/* #SBATCH values are not shell-parsed: no spaces either. */
static int sbatch_value(const char *what, const char *v, bb_ctx *ctx) {
    if (!*v || strpbrk(v, " \t'\"\n\r#"))
        return BB_ERR(ctx, BB_EINVAL, "%s: '%s' is empty or holds a space, quote, newline or '#'", what, v);
    return BB_OK;
}

static int absolute(const char *what, const char *path, char *out, size_t cap, bb_ctx *ctx) {
    char tmp[PATH_MAX];
    if (!realpath(path, tmp)) return BB_ERR(ctx, BB_ENOTFOUND, "%s: %s: cannot resolve the path", what, path);
    if (strlen(tmp) >= cap) return BB_ERR(ctx, BB_EINVAL, "%s: %s: path too long", what, tmp);
    snprintf(out, cap, "%s", tmp);
    return quotable(what, out, ctx);
}

static void buf_printf(bb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(bb_buf *b, const char *fmt, ...) {
    char line[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line) {
        b->oom = 1; /* PATH_MAX-bounded pieces: cannot happen */
        return;
    }
    bb_buf_put(b, line, (size_t)n);
}

static int write_text(const char *path, bb_buf *b, int executable, bb_ctx *ctx) {
    if (b->oom) return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
    int rc = bb_write_file_atomic(path, b->p ? b->p : "", b->len, ctx);
    if (!rc && executable && chmod(path, 0755)) rc = BB_ERR(ctx, BB_EIO, "%s: cannot make it executable", path);
    return rc;
}

/* The #SBATCH lines both jobs share. */
static void sbatch_head(bb_buf *b, const bb_suite *s, const bb_slurm_opts *o, const char *job, int cpus) {
    buf_printf(b, "#!/bin/bash\n#SBATCH --job-name=bb-%s%s\n#SBATCH --cpus-per-task=%d\n", s->name, job, cpus);
    if (o->partition) buf_printf(b, "#SBATCH --partition=%s\n", o->partition);
    if (o->time) buf_printf(b, "#SBATCH --time=%s\n", o->time);
}

int bb_suite_slurm_write(const bb_suite *s, const bb_slurm_opts *o, size_t *n_tasks, bb_ctx *ctx) {
    *n_tasks = 0;
    char prog[PATH_MAX], suite[PATH_MAX], out[PATH_MAX], dir[PATH_MAX + 16], logs[PATH_MAX + 32], path[PATH_MAX + 64];
    int rc;
    if (o->cpus_per_task < 1) return BB_ERR(ctx, BB_EINVAL, "--cpus-per-task: must be at least 1");
    if (o->partition && (rc = sbatch_value("--partition", o->partition, ctx))) return rc;
    if (o->time && (rc = sbatch_value("--time", o->time, ctx))) return rc;
    if ((rc = quotable("suite name", s->name, ctx))) return rc;
    if ((rc = absolute("program", o->program, prog, sizeof prog, ctx))) return rc;
    if ((rc = absolute("suite", o->suite_path, suite, sizeof suite, ctx))) return rc;
    if ((rc = bb_mkdir_p(s->out_dir, ctx))) return rc;
    if ((rc = absolute("--out", s->out_dir, out, sizeof out, ctx))) return rc;
    snprintf(dir, sizeof dir, "%s/slurm", out);
    snprintf(logs, sizeof logs, "%s/logs", dir);

    size_t *order = malloc((s->n_runs ? s->n_runs : 1) * sizeof *order);
    if (!order) return BB_ERR(ctx, BB_ENOMEM, "suite %s: out of memory", s->name);
    bb_buf b = {0};
    if ((rc = bb_suite_order(s, o->cost_dir, order, NULL, ctx))) goto out;
    for (size_t k = 0; k < s->n_runs; k++) {
        size_t i = order[k];
        if (bb_suite_skip(s, i)) continue;
        const char *rel = s->runs[i].out_path + strlen(s->out_dir); /* "/<task>/<run>.json" */
        buf_printf(&b, "%zu\t%s%s\n", i, out, rel);
        (*n_tasks)++;
    }
    if (!*n_tasks) goto out;
    if ((rc = bb_mkdir_p(logs, ctx))) goto out;
    snprintf(path, sizeof path, "%s/runs.idx", dir);
    if ((rc = write_text(path, &b, 0, ctx))) goto out;

    const char *rerun = s->rerun ? " --rerun" : "";
    b.len = 0;
    sbatch_head(&b, s, o, "", o->cpus_per_task);
    buf_printf(&b,
               "#SBATCH --array=0-%zu\n#SBATCH --output=%s/%%A_%%a.out\n"
               "# One run of suite %s per array task (written by boltzbench suite --slurm).\n"
               "set -euo pipefail\n"
               "BB='%s'\nif [ -n \"${BOLTZBENCH:-}\" ]; then BB=$BOLTZBENCH; fi\n"
               "line=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" '%s/runs.idx')\n"
               "if [ -z \"$line\" ]; then\n"
               "  echo \"array task $SLURM_ARRAY_TASK_ID: no line $((SLURM_ARRAY_TASK_ID + 1)) in %s/runs.idx\" >&2\n"
               "  exit 2\n"
               "fi\n"
               "index=${line%%%%$'\\t'*}\n"
               "exec \"$BB\" suite '%s' --out '%s' --index \"$index\" --threads "
               "\"${SLURM_CPUS_PER_TASK:-%d}\" --quiet%s\n",
               *n_tasks - 1, logs, s->name, prog, dir, dir, suite, out, o->cpus_per_task, rerun);
    snprintf(path, sizeof path, "%s/array.sbatch", dir);
    if ((rc = write_text(path, &b, 1, ctx))) goto out;

    b.len = 0;
    sbatch_head(&b, s, o, "-collect", 1);
    buf_printf(&b,
               "#SBATCH --output=%s/collect_%%j.out\n"
               "# After the array job: reports for runs that left none, the summary table.\n"
               "set -euo pipefail\n"
               "BB='%s'\nif [ -n \"${BOLTZBENCH:-}\" ]; then BB=$BOLTZBENCH; fi\n"
               "exec \"$BB\" suite '%s' --out '%s' --collect\n",
               logs, prog, suite, out);
    snprintf(path, sizeof path, "%s/collect.sbatch", dir);
    if ((rc = write_text(path, &b, 1, ctx))) goto out;

    b.len = 0;
    buf_printf(&b,
               "#!/bin/bash\n"
               "# Submit suite %s: the array job, then the collect job once every array task ended.\n"
               "set -euo pipefail\n"
               "jid=$(sbatch --parsable '%s/array.sbatch')\n"
               "jid=${jid%%%%;*}\n"
               "cid=$(sbatch --parsable --dependency=afterany:\"$jid\" '%s/collect.sbatch')\n"
               "echo \"suite %s: array job $jid (%zu runs), collect job ${cid%%%%;*}\"\n",
               s->name, dir, dir, s->name, *n_tasks);
    snprintf(path, sizeof path, "%s/submit.sh", dir);
    rc = write_text(path, &b, 1, ctx);
out:
    free(b.p);
    free(order);
    return rc;
}

int bb_suite_collect(const bb_suite *s, size_t *n_unfinished, bb_ctx *ctx) {
    *n_unfinished = 0;
    for (size_t i = 0; i < s->n_runs; i++) {
        bb_run_config c;
        bb_suite_run_config(s, i, &c);
        if (bb_run_finished(&c)) continue;
        (*n_unfinished)++;
        cJSON *rep = NULL;
        bb_ctx local = {0};
        if (bb_report_read(s->runs[i].out_path, &rep, &local) == BB_OK) {
            cJSON_Delete(rep);
            continue; /* its own report (failed, or of another configuration) stays */
        }
        char why[sizeof ctx->msg];
        snprintf(why, sizeof why, "no report: its Slurm array task did not finish; see %.900s/slurm/logs/", s->out_dir);
        int rc = bb_suite_write_failed(s, i, why, ctx);
        if (rc) return rc;
    }
    return BB_OK;
}
