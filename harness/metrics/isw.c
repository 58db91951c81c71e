/* isw.c — importance-sampling quantities of methods that return log-weights:
 * log_z (log-mean-exp of the log-weights, an estimate of the log normalising
 * constant), ess_fraction (Kish effective sample size over N) and, on tasks whose
 * exact log Z is known (bb_task_log_z), log_z_error = |log_z − log Z|.
 *
 * Convention: a method's log-weights are logw_i = −u(x_i) − log q(x_i) (+ any
 * constant the method knows), so (1/N) Σ exp(logw_i) is an unbiased estimate of
 * Z = ∫ exp(−u). Rejected configurations count in N with the weight the method gave
 * them (it should give −inf, i.e. 0): excluding them would bias log Z upward. Both
 * metrics need no reference set; they are skipped for unweighted samples.
 *
 * This is not an ELBO (that would need log q separately) and log_z is only as good
 * as the proposal: its bootstrap CI reflects the spread of the weights, not bias.
 */
#include <math.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "harness/core/jsonutil.h"
#include "harness/metrics/metric_lib.h"
#include "harness/metrics/metrics.h"

#define DEF_LOG_Z                                                                                                      \
    "log_z = log((1/N) sum_i exp(logw_i)) (log-mean-exp, computed stably) over all N samples, "                        \
    "with the method's log-weights logw = -u(x) - log q(x) taken as given (rejected samples "                          \
    "count in N with their weight, normally 0). An estimate of log Z, Z = integral exp(-u(x)) dx "                     \
    "in the task's reduced units. ci95: percentile bootstrap, 200 resamples, seeded."
#define DEF_LOG_Z_ERROR                                                                                                \
    "log_z_error = |log_z - log Z|: log_z as defined for the log_z metric (log-mean-exp of the "                       \
    "method's log-weights over all N samples), log Z the task's exact log normalising constant "                       \
    "(closed form or quadrature, tasks/). Only for methods returning log-weights on tasks with a "                     \
    "known log Z; otherwise absent. Lower is better. ci95: percentile bootstrap of |log_z* - log Z| "                  \
    "over resampled log-weights, 200 resamples, seeded."
#define DEF_ESS                                                                                                        \
    "ess_fraction = (sum_i w_i)^2 / (N sum_i w_i^2) with w_i = exp(logw_i) over all N samples "                        \
    "(Kish's effective sample size divided by N, in (0, 1]). ci95: percentile bootstrap, 200 "                         \
    "resamples, seeded."

int bb_log_mean_exp(size_t n, const double *logw, double *out) {
    if (n == 0) return BB_EINVAL;
    double mx = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (isnan(logw[i]) || logw[i] == INFINITY) return BB_ENAN;
        if (logw[i] > mx) mx = logw[i];
    }
    if (mx == -INFINITY) {
        *out = -INFINITY;
        return BB_OK;
    }
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += exp(logw[i] - mx);
    *out = mx + log(s / (double)n);
    return BB_OK;
}

/* Statistics on a wset whose values are the log-weights (k = 1, w unused). */
static int stat_log_z(const bb_wset *a, const bb_wset *b, void *user, double *out, bb_ctx *ctx) {
    (void)b;
    (void)user;
    int rc = bb_log_mean_exp(a->n, a->v, out);
    return rc ? BB_ERR(ctx, rc, "log_z: invalid log-weights") : BB_OK;
}

/* |log-mean-exp − log Z|, user = &log Z. */
static int stat_log_z_error(const bb_wset *a, const bb_wset *b, void *user, double *out, bb_ctx *ctx) {
    int rc = stat_log_z(a, b, NULL, out, ctx);
    if (!rc) *out = fabs(*out - *(const double *)user);
    return rc;
}

static int stat_ess(const bb_wset *a, const bb_wset *b, void *user, double *out, bb_ctx *ctx) {
    (void)b;
    (void)user;
    double mx = -INFINITY, s = 0.0, s2 = 0.0;
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i] > mx) mx = a->v[i];
    if (mx == -INFINITY || a->n == 0) {
        *out = NAN;
        return BB_OK;
    }
    for (size_t i = 0; i < a->n; i++) {
        double w = exp(a->v[i] - mx);
        s += w;
        s2 += w * w;
    }
    (void)ctx;
    *out = s * s / s2 / (double)a->n;
    return BB_OK;
}

static int isw_metric(const bb_eval_input *in, cJSON *out, int ess, bb_ctx *ctx) {
    const bb_samples *s = in->samples;
    if (!s->logw || s->n == 0) return BB_OK;
    const char *name = ess ? "ess_fraction" : "log_z";
    for (size_t i = 0; i < s->n; i++)
        if (isnan(s->logw[i]) || s->logw[i] == INFINITY)
            return BB_ERR(ctx, BB_ENAN, "%s: log-weight %zu is %s", name, i, isnan(s->logw[i]) ? "NaN" : "+inf");
    bb_wset a = {s->n, 1, s->logw, NULL};
    bb_stat2_fn fn = ess ? stat_ess : stat_log_z;
    double v, ci[2] = {NAN, NAN};
    int rc = fn(&a, NULL, NULL, &v, ctx);
    if (!rc && in->with_ci)
        rc = bb_bootstrap2(&a, NULL, 0, fn, NULL, BB_BOOT_N, in->seed, ess ? BB_STREAM_ESS : BB_STREAM_LOG_Z, ci, ctx);
    if (rc) return rc;
    cJSON *o = bb_metric_entry(out, name, v, s->n, in->with_ci ? ci : NULL, ess ? DEF_ESS : DEF_LOG_Z);
    if (!o) return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", name);
    if (ess && !cJSON_AddNumberToObject(o, "ess_kish", isfinite(v) ? v * (double)s->n : 0.0))
        return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", name);
    return BB_OK;
}

static int log_z_compute(const bb_eval_input *in, const bb_metric_opts *o, cJSON *out, bb_ctx *ctx) {
    (void)o;
    return isw_metric(in, out, 0, ctx);
}

static int ess_compute(const bb_eval_input *in, const bb_metric_opts *o, cJSON *out, bb_ctx *ctx) {
    (void)o;
    return isw_metric(in, out, 1, ctx);
}

static int log_z_error_compute(const bb_eval_input *in, const bb_metric_opts *o, cJSON *out, bb_ctx *ctx) {
    (void)o;
    const bb_samples *s = in->samples;
    if (!s->logw || s->n == 0 || !in->task || !in->task->type || !in->task->type->log_z)
        return BB_OK; /* not applicable (a test may pass a bare task without a type) */
    double exact, est;
    int rc = bb_task_log_z(in->task, &exact, ctx);
    if (rc) return rc;
    for (size_t i = 0; i < s->n; i++)
        if (isnan(s->logw[i]) || s->logw[i] == INFINITY)
            return BB_ERR(ctx, BB_ENAN, "log_z_error: log-weight %zu is %s", i, isnan(s->logw[i]) ? "NaN" : "+inf");
    bb_wset a = {s->n, 1, s->logw, NULL};
    double v, ci[2] = {NAN, NAN};
    rc = stat_log_z(&a, NULL, NULL, &est, ctx);
    if (!rc) rc = stat_log_z_error(&a, NULL, &exact, &v, ctx);
    if (!rc && in->with_ci)
        rc = bb_bootstrap2(&a, NULL, 0, stat_log_z_error, &exact, BB_BOOT_N, in->seed, BB_STREAM_LOG_Z_ERROR, ci, ctx);
    if (rc) return rc;
    cJSON *e = bb_metric_entry(out, "log_z_error", v, s->n, in->with_ci ? ci : NULL, DEF_LOG_Z_ERROR);
    if (!e || !bb_json_add_number(e, "log_z_exact", exact) || !bb_json_add_number(e, "log_z_estimate", est))
        return BB_ERR(ctx, BB_ENOMEM, "log_z_error: out of memory");
    return BB_OK;
}

const bb_metric bb_metric_log_z = {"log_z", DEF_LOG_Z, 1, 0, 1, log_z_compute};
const bb_metric bb_metric_ess_fraction = {"ess_fraction", DEF_ESS, 1, 0, 1, ess_compute};
const bb_metric bb_metric_log_z_error = {"log_z_error", DEF_LOG_Z_ERROR, 0, 0, 1, log_z_error_compute};
