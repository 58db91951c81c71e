/* run.c — one run: prepare, drive, score, report (see run.h). */
#include "harness/run/run.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "datasets/npy.h"
#include "datasets/reference.h"
#include "harness/core/clock.h"
#include "harness/core/fileio.h"
#include "harness/core/jsonutil.h"
#include "harness/metrics/metrics.h"
#include "harness/oracle/oracle.h"
#include "harness/report/report.h"
#include "harness/run/driver.h"
#include "harness/run/score.h"
#include "methods/method.h"
#include "tasks/task.h"

static const double default_checkpoints[] = {1e-3, 1e-2, 1e-1, 1.0};

/* A run's configuration, prepared once: the task, the method, its resolved parameters and
 * the canonical configuration object with its SHA-256. */
typedef struct prepared {
    bb_task *task;
    const bb_method *method;
    bb_params params;
    cJSON *config;
    char config_sha[65];
} prepared;

static void prepared_free(prepared *p) {
    cJSON_Delete(p->config);
    bb_params_free(&p->params);
    bb_task_free(p->task);
    memset(p, 0, sizeof *p);
}

static int prepare(const bb_run_config *cfg, prepared *p, bb_ctx *ctx) {
    memset(p, 0, sizeof *p);
    p->method = bb_method_find(cfg->method);
    if (!p->method)
        return BB_ERR(ctx, BB_ENOTFOUND, "method '%s': unknown method (see 'boltzbench methods')",
                      cfg->method ? cfg->method : "(null)");
    if (cfg->budget < 1 || cfg->budget > BB_RUN_MAX_BUDGET)
        return BB_ERR(ctx, BB_EINVAL, "budget: %lld is outside 1 … 2^53 = %lld energy evaluations",
                      (long long)cfg->budget, (long long)BB_RUN_MAX_BUDGET);
    int rc = cfg->task_type ? bb_task_create_from_type(cfg->task_type, cfg->task_params, &p->task, ctx)
                            : bb_task_create(cfg->task_id, cfg->task_params, &p->task, ctx);
    if (rc) return rc;
    rc = bb_method_resolve_params(p->method, p->task->type->name, cfg->method_config, cfg->method_overrides, &p->params,
                                  ctx);
    if (!rc && cfg->metrics) rc = bb_metrics_select(cfg->metrics, cfg->n_metrics, ctx);
    if (rc) {
        prepared_free(p);
        return rc;
    }
    cJSON *c = p->config = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "task", p->task->id);
    cJSON_AddItemToObject(c, "task_params",
                          cfg->task_params ? cJSON_Duplicate(cfg->task_params, 1) : cJSON_CreateObject());
    char mid[128];
    snprintf(mid, sizeof mid, "%s@%d", p->method->name, p->method->version);
    cJSON_AddStringToObject(c, "method", mid);
    cJSON_AddItemToObject(c, "method_params", cJSON_Duplicate(p->params.values, 1));
    cJSON_AddNumberToObject(c, "budget", (double)cfg->budget);
    cJSON_AddNumberToObject(c, "seed", (double)cfg->seed);
    cJSON_AddNumberToObject(c, "n_samples", (double)(cfg->n_samples ? cfg->n_samples : BB_RUN_DEFAULT_SAMPLES));
    if (cfg->metrics) {
        cJSON *ms = cJSON_AddArrayToObject(c, "metrics");
        for (size_t k = 0; k < cfg->n_metrics; k++) cJSON_AddItemToArray(ms, cJSON_CreateString(cfg->metrics[k]));
    }
    bb_json_sha256(c, p->config_sha);
    return BB_OK;
}

cJSON *bb_run_config_object(const bb_run_config *cfg, bb_ctx *ctx) {
    prepared p;
    if (prepare(cfg, &p, ctx)) return NULL;
    cJSON *out = p.config;
    p.config = NULL;
    prepared_free(&p);
    return out;
}

/* Everything one run holds besides its configuration; freed in one place. */
typedef struct run_state {
    bb_scorer scorer;
    bb_reference ref;
    int have_ref;
    cJSON *ledger; /* resumable record: {"anytime": [...], "scoring_evals": n} */
    double metrics_wall;
} run_state;

static int on_checkpoint(void *user, double fraction, int64_t evals, const bb_samples *s, bb_ctx *ctx) {
    run_state *st = user;
    cJSON *pt = cJSON_CreateObject();
    if (!pt) return BB_ERR(ctx, BB_ENOMEM, "checkpoint: out of memory");
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(st->ledger, "anytime"), pt);
    cJSON_AddNumberToObject(pt, "fraction", fraction);
    cJSON_AddNumberToObject(pt, "evals", (double)evals);
    cJSON_AddNumberToObject(pt, "n_samples", (double)s->n);
    cJSON *m = cJSON_AddObjectToObject(pt, "metrics");
    bb_ctx local = {0};
    int64_t before = st->scorer.scoring_evals;
    double t0 = bb_wall_s();
    if (s->n > 0 && bb_scorer_score(&st->scorer, s, 1, m, &local) != BB_OK)
        cJSON_AddStringToObject(pt, "error", local.msg); /* a bad checkpoint does not stop the run */
    st->metrics_wall += bb_wall_s() - t0;
    cJSON *se = cJSON_GetObjectItemCaseSensitive(st->ledger, "scoring_evals");
    cJSON_SetNumberValue(se, se->valuedouble + (double)(st->scorer.scoring_evals - before));
    return BB_OK;
}

/* The output path must be a file we can create, checked before any work. */
static int check_out_path(const char *path, bb_ctx *ctx) {
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return BB_ERR(ctx, BB_EINVAL, "%s: is a directory (--out needs a file name)", path);
    bb_atomic_file probe;
    int rc = bb_atomic_open(&probe, path, ctx);
    if (rc) return rc;
    bb_atomic_abort(&probe);
    return BB_OK;
}

static void add_method_block(cJSON *report, const prepared *p) {
    cJSON *mo = cJSON_AddObjectToObject(report, "method");
    cJSON_AddStringToObject(mo, "name", p->method->name);
    cJSON_AddNumberToObject(mo, "version", p->method->version);
    cJSON_AddItemToObject(mo, "params", cJSON_Duplicate(p->params.values, 1));
    char psha[65];
    bb_json_sha256(p->params.values, psha);
    cJSON_AddStringToObject(mo, "params_sha256", psha);
}

static void add_budget_block(cJSON *report, const bb_oracle *o, const bb_driver_result *dr) {
    cJSON *b = cJSON_AddObjectToObject(report, "budget");
    cJSON_AddNumberToObject(b, "limit", (double)bb_oracle_limit(o));
    cJSON_AddNumberToObject(b, "used", (double)bb_oracle_used(o));
    cJSON_AddNumberToObject(b, "with_grad", (double)bb_oracle_used_with_grad(o));
    cJSON_AddNumberToObject(b, "energy_only", (double)bb_oracle_used_energy_only(o));
    cJSON_AddNumberToObject(b, "rejected", (double)bb_oracle_rejected(o));
    cJSON *d = cJSON_AddObjectToObject(report, "driver");
    cJSON_AddStringToObject(d, "stopped_by", bb_stop_reason_name(dr->stopped_by));
    cJSON_AddNumberToObject(d, "steps", (double)dr->steps);
    cJSON_AddNumberToObject(d, "max_step_evals", (double)dr->max_step_evals);
    cJSON_AddNumberToObject(d, "resumed", dr->resumed);
}

int bb_run(const bb_run_config *cfg, cJSON **report_out, bb_ctx *ctx) {
    if (report_out) *report_out = NULL;
    if (!cfg->out_path) return BB_ERR(ctx, BB_EINVAL, "--out: a report path is required");
    double t_start = bb_wall_s(), c_start = bb_cpu_s();
    prepared p;
    int rc = prepare(cfg, &p, ctx);
    if (rc) return rc;
    run_state st;
    memset(&st, 0, sizeof st);
    bb_oracle *oracle = NULL;
    bb_samples samples = {0};
    bb_driver_result dr;
    memset(&dr, 0, sizeof dr);
    cJSON *report = NULL, *info = NULL;
    const size_t n_samples = cfg->n_samples ? cfg->n_samples : BB_RUN_DEFAULT_SAMPLES;

    if ((rc = check_out_path(cfg->out_path, ctx))) goto out;
    /* Reference set: "this task has none" is a normal case (reference-free statistics);
     * "it could not be loaded" (corrupt, truncated, unreachable) is an error. */
    bb_ctx refctx = {0};
    rc = bb_reference_load(p.task, 0, &st.ref, &refctx);
    if (rc == BB_OK) {
        st.have_ref = 1;
    } else if (rc != BB_ENOTFOUND) {
        rc = BB_ERR(ctx, rc, "%s", refctx.msg);
        goto out;
    }
    if ((rc = bb_scorer_init(&st.scorer, p.task, st.have_ref ? &st.ref.samples : NULL, cfg->seed, cfg->metrics,
                             cfg->n_metrics, ctx))) {
        if (st.have_ref) bb_ctx_prefix(ctx, "reference %s", st.ref.dataset_id);
        goto out;
    }
    st.scorer.reference_frame_interval_ps = st.have_ref ? st.ref.frame_interval_ps : 0.0;
    st.scorer.reference_segments = st.have_ref ? st.ref.segments : NULL;
    st.scorer.reference_n_segments = st.have_ref ? st.ref.n_segments : 0;
    if ((rc = bb_oracle_create(p.task, cfg->budget, &oracle, ctx))) goto out;
    const int threads = cfg->threads > 0 ? cfg->threads : omp_get_max_threads();
    bb_oracle_set_threads(oracle, threads);
    st.ledger = cJSON_CreateObject();
    cJSON_AddArrayToObject(st.ledger, "anytime");
    cJSON_AddNumberToObject(st.ledger, "scoring_evals", 0);
    const double *ck = cfg->checkpoints ? cfg->checkpoints : default_checkpoints;
    size_t nck = cfg->checkpoints ? cfg->n_checkpoints : sizeof default_checkpoints / sizeof *default_checkpoints;
    if ((rc = bb_oracle_set_checkpoints(oracle, ck, nck, on_checkpoint, &st, ctx))) goto out;

    info = cJSON_CreateObject();
    bb_driver_config dc = {
        .method = p.method,
        .params = &p.params,
        .env = {.oracle = oracle, .seed = cfg->seed, .n_samples = n_samples, .threads = threads},
        .config_sha256 = p.config_sha,
        .state_path = cfg->state_path,
        .resume = (bb_resume_mode)cfg->resume,
        .keep_state = cfg->keep_state,
        .checkpoint_seconds = 60.0 * (cfg->checkpoint_minutes < 0 ? 10.0 : cfg->checkpoint_minutes),
        .checkpoint_steps = cfg->checkpoint_steps,
        .kill_after_steps = cfg->kill_after_steps,
        .progress = cfg->progress,
        .interrupt = cfg->interrupt,
        .ledger = st.ledger,
    };
    double t_method = bb_wall_s();
    rc = bb_driver_run(&dc, &samples, info, &dr, ctx);
    t_method = bb_wall_s() - t_method - st.metrics_wall; /* checkpoint scoring is not the method's time */
    if (rc) goto out;
    int method_rc = dr.method_rc;
    char method_err[sizeof dr.method_err + 64];
    snprintf(method_err, sizeof method_err, "%s", dr.method_err);
    if (dr.stopped_by == BB_STOP_INTERRUPTED && !method_rc) {
        method_rc = BB_EINTERRUPTED;
        snprintf(method_err, sizeof method_err, "interrupted after %lld steps (resume with --resume)",
                 (long long)dr.steps);
    }

    /* Final anytime points with the final samples, then the full metric set. */
    cJSON *metrics = cJSON_CreateObject();
    int64_t final_evals = 0;
    if (samples.n > 0) {
        bb_ctx sctx = {0};
        bb_oracle_checkpoint_final(oracle, &samples, &sctx);
        int64_t before = st.scorer.scoring_evals;
        double t0 = bb_wall_s();
        if (bb_scorer_score(&st.scorer, &samples, 0, metrics, &sctx) != BB_OK && !method_rc) {
            method_rc = sctx.code ? sctx.code : BB_EINTERNAL;
            snprintf(method_err, sizeof method_err, "%s", sctx.msg);
        }
        st.metrics_wall += bb_wall_s() - t0;
        final_evals = st.scorer.scoring_evals - before;
    } else if (!method_rc) {
        method_rc = BB_EINVAL;
        snprintf(method_err, sizeof method_err, "method %s: returned no samples (budget too small for one sweep?)",
                 p.method->name);
    }
    if (!method_rc) method_rc = bb_score_status(metrics, method_err, sizeof method_err);

    /* Assemble the report in schema order. */
    report = bb_report_new();
    cJSON_AddStringToObject(report, "status",
                            !method_rc                     ? "ok"
                            : method_rc == BB_EINTERRUPTED ? "interrupted"
                                                           : "failed");
    if (method_rc)
        cJSON_AddStringToObject(report, "error", method_err);
    else
        cJSON_AddNullToObject(report, "error");
    bb_score_note_errors(report, metrics);
    cJSON_AddStringToObject(report, "config_sha256", p.config_sha);
    bb_report_add_task(report, p.task, cfg->task_params);
    add_method_block(report, &p);
    cJSON_AddNumberToObject(report, "seed", (double)cfg->seed);
    cJSON_AddNumberToObject(report, "n_samples", (double)samples.n);
    add_budget_block(report, oracle, &dr);
    cJSON *ds = cJSON_AddArrayToObject(report, "datasets");
    if (st.have_ref)
        bb_report_add_dataset(ds, "reference", st.ref.dataset_id, st.ref.sha256, st.ref.source, st.ref.samples.n);
    else
        cJSON_AddStringToObject(report, "note", refctx.msg[0] ? refctx.msg : "no reference set for this task");
    cJSON_AddItemToObject(report, "metrics", metrics);
    cJSON_AddItemToObject(report, "anytime", cJSON_DetachItemFromObject(st.ledger, "anytime"));
    if (dr.curve) {
        cJSON_AddItemToObject(report, "training_curve", dr.curve);
        dr.curve = NULL;
    }
    cJSON_AddItemToObject(report, "method_info", info);
    info = NULL;
    cJSON *ev = cJSON_AddObjectToObject(report, "evaluator");
    /* reference + anytime points (kept in the ledger across resumes) + the final samples */
    double anytime_evals = cJSON_GetObjectItemCaseSensitive(st.ledger, "scoring_evals")->valuedouble;
    cJSON_AddNumberToObject(ev, "energy_evals",
                            (double)st.scorer.reference_evals + anytime_evals + (double)final_evals);
    cJSON *tm = cJSON_AddObjectToObject(report, "timing");
    cJSON_AddNumberToObject(tm, "wall_s", bb_wall_s() - t_start);
    cJSON_AddNumberToObject(tm, "cpu_s", bb_cpu_s() - c_start);
    cJSON_AddNumberToObject(tm, "method_wall_s", t_method);
    cJSON_AddNumberToObject(tm, "metrics_wall_s", st.metrics_wall);
    /* where the method's time went: its steps without their energy calls (training, and a
     * sampler's own simulation inside a step), anytime and final draws, energy calls, scoring */
    const double e_all = bb_oracle_energy_wall_s(oracle);
    cJSON *split = cJSON_AddObjectToObject(tm, "split");
    cJSON_AddNumberToObject(split, "training_s", fmax(0.0, dr.steps_wall_s - dr.steps_energy_s));
    cJSON_AddNumberToObject(split, "sampling_s", fmax(0.0, dr.sampling_wall_s - (e_all - dr.steps_energy_s)));
    cJSON_AddNumberToObject(split, "energies_s", e_all);
    cJSON_AddNumberToObject(split, "metrics_s", st.metrics_wall);
    if (dr.curve_wall) {
        cJSON_AddItemToObject(tm, "training_curve_wall_s", dr.curve_wall);
        dr.curve_wall = NULL;
    }
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
    cJSON_Delete(info);
    cJSON_Delete(st.ledger);
    bb_driver_result_free(&dr);
    bb_samples_free(&samples);
    bb_scorer_free(&st.scorer);
    bb_reference_free(&st.ref);
    bb_oracle_free(oracle);
    prepared_free(&p);
    return rc;
}
