/* run.c — orchestration of one run (see run.h). */
#include "harness/run/run.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "datasets/npy.h"
#include "datasets/reference.h"
#include "harness/core/fileio.h"
#include "harness/core/jsonutil.h"
#include "harness/metrics/metrics.h"
#include "harness/oracle/oracle.h"
#include "harness/report/report.h"
#include "methods/method.h"
#include "tasks/task.h"

static const double default_checkpoints[] = {1e-3, 1e-2, 1e-1, 1.0};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_s(void) { return (double)clock() / CLOCKS_PER_SEC; }

/* Everything one run holds; freed in one place. */
typedef struct run_state {
    bb_task *task;
    const bb_method *method;
    bb_params params;
    cJSON *config;
    char config_sha[65];
    bb_reference ref;
    int have_ref;
    double *u_ref;
    bb_oracle *oracle;
    cJSON *anytime;
    int64_t evaluator_evals;
    uint64_t seed;
    double metrics_wall;
    const char *const *metrics;
    size_t n_metrics;
} run_state;

/* Energies (uncounted) of a sample set; +INFINITY stays, errors are returned. */
static int evaluate(run_state *st, const bb_samples *s, double **u_out, bb_ctx *ctx) {
    *u_out = NULL;
    double *u = malloc((s->n ? s->n : 1) * sizeof *u);
    if (!u) return BB_ERR(ctx, BB_ENOMEM, "evaluator: out of memory");
    int rc = bb_task_energy_parallel(st->task, s->n, s->x, u, NULL, ctx);
    if (rc) {
        free(u);
        return rc;
    }
    st->evaluator_evals += (int64_t)s->n;
    *u_out = u;
    return BB_OK;
}

static int score(run_state *st, const bb_samples *s, int cheap_only, cJSON *out, bb_ctx *ctx) {
    double t0 = now_s();
    double *u = NULL;
    int rc = evaluate(st, s, &u, ctx);
    if (rc) return rc;
    bb_eval_input in = {
        .task = st->task,
        .samples = s,
        .u_samples = u,
        .reference = st->have_ref ? &st->ref.samples : NULL,
        .u_reference = st->have_ref ? st->u_ref : NULL,
        .seed = st->seed,
        .with_ci = !cheap_only,
    };
    rc = bb_metrics_compute_only(&in, cheap_only, st->metrics, st->n_metrics, out, ctx);
    free(u);
    st->metrics_wall += now_s() - t0;
    return rc;
}

static int on_checkpoint(void *user, double fraction, int64_t evals, const bb_samples *s, bb_ctx *ctx) {
    run_state *st = user;
    cJSON *pt = cJSON_CreateObject();
    if (!pt) return BB_ERR(ctx, BB_ENOMEM, "checkpoint: out of memory");
    cJSON_AddItemToArray(st->anytime, pt);
    cJSON_AddNumberToObject(pt, "fraction", fraction);
    cJSON_AddNumberToObject(pt, "evals", (double)evals);
    cJSON_AddNumberToObject(pt, "n_samples", (double)s->n);
    cJSON *m = cJSON_AddObjectToObject(pt, "metrics");
    bb_ctx local = {0};
    if (s->n > 0 && score(st, s, 1, m, &local) != BB_OK)
        cJSON_AddStringToObject(pt, "error", local.msg); /* a bad checkpoint does not stop the run */
    return BB_OK;
}

static int create_task(const bb_run_config *cfg, bb_task **t, bb_ctx *ctx) {
    if (cfg->task_type) return bb_task_create_from_type(cfg->task_type, cfg->task_params, t, ctx);
    return bb_task_create(cfg->task_id, cfg->task_params, t, ctx);
}

cJSON *bb_run_config_object(const bb_run_config *cfg, bb_ctx *ctx) {
    bb_task *task = NULL;
    if (create_task(cfg, &task, ctx)) return NULL;
    cJSON *out = NULL;
    const bb_method *m = bb_method_find(cfg->method);
    if (!m) {
        BB_ERR(ctx, BB_ENOTFOUND, "method '%s': unknown method (see 'boltzbench methods')",
               cfg->method ? cfg->method : "(null)");
        goto done;
    }
    if (cfg->budget <= 0) {
        BB_ERR(ctx, BB_EINVAL, "budget: must be a positive number of energy evaluations (got %lld)",
               (long long)cfg->budget);
        goto done;
    }
    cJSON *td = NULL;
    const char *tdj = bb_method_task_defaults(m, task->type->name);
    if (tdj && bb_json_parse(tdj, "task defaults", &td, ctx)) goto done;
    char owner[128];
    snprintf(owner, sizeof owner, "method %s", m->name);
    bb_params p;
    int rc = bb_params_resolve(m->params, owner, td, cfg->method_params, &p, ctx);
    cJSON_Delete(td);
    if (rc) goto done;
    out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "task", task->id);
    cJSON_AddItemToObject(out, "task_params",
                          cfg->task_params ? cJSON_Duplicate(cfg->task_params, 1) : cJSON_CreateObject());
    char mid[128];
    snprintf(mid, sizeof mid, "%s@%d", m->name, m->version);
    cJSON_AddStringToObject(out, "method", mid);
    cJSON_AddItemToObject(out, "method_params", p.values);
    p.values = NULL;
    cJSON_AddNumberToObject(out, "budget", (double)cfg->budget);
    cJSON_AddNumberToObject(out, "seed", (double)cfg->seed);
    cJSON_AddNumberToObject(out, "n_samples", (double)(cfg->n_samples ? cfg->n_samples : BB_RUN_DEFAULT_SAMPLES));
    if (cfg->metrics) {
        if (bb_metrics_select(cfg->metrics, cfg->n_metrics, ctx)) {
            cJSON_Delete(out);
            out = NULL;
            goto done;
        }
        cJSON *ms = cJSON_AddArrayToObject(out, "metrics");
        for (size_t k = 0; k < cfg->n_metrics; k++) cJSON_AddItemToArray(ms, cJSON_CreateString(cfg->metrics[k]));
    }
done:
    bb_task_free(task);
    return out;
}

int bb_run(const bb_run_config *cfg, cJSON **report_out, bb_ctx *ctx) {
    if (report_out) *report_out = NULL;
    run_state st;
    memset(&st, 0, sizeof st);
    st.seed = cfg->seed;
    st.metrics = cfg->metrics;
    st.n_metrics = cfg->n_metrics;
    bb_samples samples = {0};
    cJSON *report = NULL;
    int rc = BB_OK, method_rc = BB_OK;
    char method_err[sizeof ctx->msg] = "";
    double t_start = now_s(), c_start = cpu_s();

    if (!cfg->out_path) return BB_ERR(ctx, BB_EINVAL, "--out: a report path is required");
    st.config = bb_run_config_object(cfg, ctx);
    if (!st.config) return ctx && ctx->code ? ctx->code : BB_EINVAL;
    bb_json_sha256(st.config, st.config_sha);
    if ((rc = create_task(cfg, &st.task, ctx))) goto out;
    st.method = bb_method_find(cfg->method);
    st.params.values = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(st.config, "method_params"), 1);

    /* Fail early, before spending time, if the report cannot be written. */
    {
        bb_atomic_file probe;
        if ((rc = bb_atomic_open(&probe, cfg->out_path, ctx))) goto out;
        bb_atomic_abort(&probe);
    }

    /* Reference set (optional: metrics needing it are skipped without one). */
    bb_ctx refctx = {0};
    if (bb_reference_load(st.task, 0, &st.ref, &refctx) == BB_OK) {
        st.have_ref = 1;
        if ((rc = evaluate(&st, &st.ref.samples, &st.u_ref, ctx))) {
            bb_ctx_prefix(ctx, "reference %s", st.ref.dataset_id);
            goto out;
        }
    }

    if ((rc = bb_oracle_create(st.task, cfg->budget, &st.oracle, ctx))) goto out;
    st.anytime = cJSON_CreateArray();
    const double *ck = cfg->checkpoints ? cfg->checkpoints : default_checkpoints;
    size_t nck = cfg->checkpoints ? cfg->n_checkpoints : sizeof default_checkpoints / sizeof *default_checkpoints;
    if ((rc = bb_oracle_set_checkpoints(st.oracle, ck, nck, on_checkpoint, &st, ctx))) goto out;

    report = bb_report_new();
    cJSON *info = cJSON_CreateObject();
    bb_ctx mctx = {0};
    bb_run_env env = {
        .oracle = st.oracle,
        .seed = cfg->seed,
        .n_samples = cfg->n_samples ? cfg->n_samples : BB_RUN_DEFAULT_SAMPLES,
        .progress = cfg->progress,
        .state_path = cfg->state_path,
        .resume = cfg->resume,
        .info = info,
        .ctx = &mctx,
    };
    double t_method = now_s();
    method_rc = st.method->run(&env, &st.params, &samples);
    t_method = now_s() - t_method - st.metrics_wall; /* checkpoint scoring is not the method's time */
    if (method_rc == BB_EBUDGET) method_rc = BB_OK;  /* running out is the normal end */
    if (method_rc) snprintf(method_err, sizeof method_err, "%s", mctx.msg);

    /* Final anytime points with the final samples, then the full metric set. */
    cJSON *metrics = cJSON_CreateObject();
    if (samples.n > 0) {
        bb_ctx sctx = {0};
        bb_oracle_checkpoint_final(st.oracle, &samples, &sctx);
        if (score(&st, &samples, 0, metrics, &sctx) != BB_OK && !method_rc) {
            method_rc = sctx.code ? sctx.code : BB_EINTERNAL;
            snprintf(method_err, sizeof method_err, "%s", sctx.msg);
        }
    } else if (!method_rc) {
        method_rc = BB_EINVAL;
        snprintf(method_err, sizeof method_err, "method %s: returned no samples (budget too small for one sweep?)",
                 st.method->name);
    }

    /* Assemble the report in schema order. */
    cJSON_AddStringToObject(report, "status", method_rc ? "failed" : "ok");
    if (method_rc)
        cJSON_AddStringToObject(report, "error", method_err);
    else
        cJSON_AddNullToObject(report, "error");
    cJSON_AddStringToObject(report, "config_sha256", st.config_sha);
    bb_report_add_task(report, st.task, cfg->task_params);
    cJSON *mo = cJSON_AddObjectToObject(report, "method");
    cJSON_AddStringToObject(mo, "name", st.method->name);
    cJSON_AddNumberToObject(mo, "version", st.method->version);
    cJSON_AddItemToObject(mo, "params", cJSON_Duplicate(st.params.values, 1));
    char psha[65];
    bb_json_sha256(st.params.values, psha);
    cJSON_AddStringToObject(mo, "params_sha256", psha);
    cJSON_AddNumberToObject(report, "seed", (double)cfg->seed);
    cJSON_AddNumberToObject(report, "n_samples", (double)samples.n);
    cJSON *b = cJSON_AddObjectToObject(report, "budget");
    cJSON_AddNumberToObject(b, "limit", (double)bb_oracle_limit(st.oracle));
    cJSON_AddNumberToObject(b, "used", (double)bb_oracle_used(st.oracle));
    cJSON_AddNumberToObject(b, "with_grad", (double)bb_oracle_used_with_grad(st.oracle));
    cJSON_AddNumberToObject(b, "energy_only", (double)bb_oracle_used_energy_only(st.oracle));
    cJSON_AddNumberToObject(b, "rejected", (double)bb_oracle_rejected(st.oracle));
    cJSON *ds = cJSON_AddArrayToObject(report, "datasets");
    if (st.have_ref) {
        bb_report_add_dataset(ds, "reference", st.ref.dataset_id, st.ref.sha256, st.ref.source, st.ref.samples.n);
    } else {
        cJSON_AddStringToObject(report, "note", refctx.msg[0] ? refctx.msg : "no reference set for this task");
    }
    cJSON_AddItemToObject(report, "metrics", metrics);
    cJSON_AddItemToObject(report, "anytime", st.anytime);
    st.anytime = NULL;
    cJSON_AddItemToObject(report, "method_info", info);
    cJSON *ev = cJSON_AddObjectToObject(report, "evaluator");
    cJSON_AddNumberToObject(ev, "energy_evals", (double)st.evaluator_evals);
    cJSON *tm = cJSON_AddObjectToObject(report, "timing");
    cJSON_AddNumberToObject(tm, "wall_s", now_s() - t_start);
    cJSON_AddNumberToObject(tm, "cpu_s", cpu_s() - c_start);
    cJSON_AddNumberToObject(tm, "method_wall_s", t_method);
    cJSON_AddNumberToObject(tm, "metrics_wall_s", st.metrics_wall);
    bb_report_add_host(report);

    if (cfg->samples_path && samples.n > 0) {
        size_t shape[2] = {samples.n, samples.dof};
        if ((rc = bb_npy_write(cfg->samples_path, samples.x, 2, shape, ctx))) goto out;
    }
    if ((rc = bb_report_write(cfg->out_path, report, ctx))) goto out;
    if (method_rc) rc = BB_ERR(ctx, method_rc, "%s", method_err);
out:
    if (rc == BB_OK && report_out) {
        *report_out = report;
        report = NULL;
    }
    cJSON_Delete(report);
    cJSON_Delete(st.anytime);
    cJSON_Delete(st.config);
    bb_params_free(&st.params);
    bb_samples_free(&samples);
    bb_reference_free(&st.ref);
    free(st.u_ref);
    bb_oracle_free(st.oracle);
    bb_task_free(st.task);
    return rc;
}
