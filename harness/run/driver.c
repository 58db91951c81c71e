/* driver.c — the one loop that runs every method (see driver.h). */
#include "harness/run/driver.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <omp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/core/clock.h"
#include "harness/run/driver_state.h"

#define PROGRESS_INTERVAL_S 0.25

void bb_driver_result_free(bb_driver_result *res) {
    if (!res) return;
    cJSON_Delete(res->curve);
    cJSON_Delete(res->curve_wall);
    res->curve = res->curve_wall = NULL;
}

/* Keep every k-th of the curve's points (positions 0, k, 2k, …). */
static void curve_thin(bb_run_state *st, int64_t k) {
    size_t w = 0;
    for (size_t i = 0; i < st->n_curve; i += (size_t)k, w++)
        memmove(st->curve + 4 * w, st->curve + 4 * i, 4 * sizeof(double));
    st->n_curve = w;
}

/* The j-th loss-reporting step (j = curve_seen) is kept iff j is a multiple of the stride
 * for j + 1 points; when that stride doubles, every other kept point goes (the kept ones
 * stay the multiples of the stride), so at most BB_DRIVER_CURVE_MAX points remain and the
 * curve depends only on the steps, not on when the run was saved or resumed. */
static int curve_add(bb_run_state *st, int64_t step, int64_t evals, double loss, double wall, bb_ctx *ctx) {
    const int64_t j = st->curve_seen, s = bb_driver_curve_stride(j + 1);
    st->curve_seen = j + 1;
    if (s != bb_driver_curve_stride(j)) curve_thin(st, 2);
    if (j % s) return BB_OK;
    if (st->n_curve == st->cap_curve) {
        size_t cap = st->cap_curve ? 2 * st->cap_curve : 64;
        double *c = realloc(st->curve, cap * 4 * sizeof(double));
        if (!c) return BB_ERR(ctx, BB_ENOMEM, "driver: cannot grow the training curve");
        st->curve = c;
        st->cap_curve = cap;
    }
    double *e = st->curve + 4 * st->n_curve++;
    e[0] = (double)step;
    e[1] = (double)evals;
    e[2] = loss;
    e[3] = wall;
    return BB_OK;
}

static void curve_to_json(const bb_run_state *st, bb_driver_result *res) {
    if (st->n_curve == 0) return;
    res->curve = cJSON_CreateObject();
    res->curve_wall = cJSON_CreateArray();
    const char *names[3] = {"step", "evaluations", "loss"};
    for (int k = 0; k < 3; k++) {
        cJSON *a = cJSON_AddArrayToObject(res->curve, names[k]);
        for (size_t i = 0; i < st->n_curve; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(st->curve[4 * i + k]));
    }
    for (size_t i = 0; i < st->n_curve; i++)
        cJSON_AddItemToArray(res->curve_wall, cJSON_CreateNumber(st->curve[4 * i + 3]));
}

/* Replace the children of `dst` by those of `src` (the caller's ledger object stays the same pointer). */
static void ledger_restore(cJSON *dst, cJSON *src) {
    while (dst->child) cJSON_Delete(cJSON_DetachItemViaPointer(dst, dst->child));
    while (src && src->child) {
        cJSON *c = cJSON_DetachItemViaPointer(src, src->child);
        cJSON_AddItemToObject(dst, c->string, c);
    }
}

static int save_state(const bb_driver_config *cfg, bb_run_state *st, void *ms, double t0, bb_ctx *ctx) {
    bb_oracle_get_counts(cfg->env.oracle, &st->counts);
    st->elapsed_s += bb_wall_s() - t0;
    cJSON *keep = st->ledger;
    st->ledger = cfg->ledger;
    int rc = bb_run_state_write(cfg->state_path, st, cfg->method, ms, ctx);
    st->ledger = keep;
    st->elapsed_s -= bb_wall_s() - t0;
    return rc;
}

static void progress(const bb_driver_config *cfg, int64_t steps, const char *status, int last) {
    bb_oracle *o = cfg->env.oracle;
    fprintf(cfg->progress, "\r  %s  step %lld  evaluations %lld/%lld  %-40s", cfg->method->name, (long long)steps,
            (long long)bb_oracle_used(o), (long long)bb_oracle_limit(o), status);
    if (last) fputc('\n', cfg->progress);
    fflush(cfg->progress);
}

static void fail(bb_driver_result *res, bb_stop_reason why, int rc, const bb_ctx *mctx) {
    res->stopped_by = why;
    res->method_rc = rc;
    snprintf(res->method_err, sizeof res->method_err, "%s", mctx->msg[0] ? mctx->msg : "method failed");
}

int bb_driver_run(const bb_driver_config *cfg, bb_samples *out, cJSON *info, bb_driver_result *res, bb_ctx *ctx) {
    const bb_method *m = cfg->method;
    memset(res, 0, sizeof *res);
    memset(out, 0, sizeof *out);
    bb_run_state st;
    memset(&st, 0, sizeof st);
    int have_state = 0;
    if (cfg->resume != BB_RESUME_NO) {
        if (!cfg->state_path) return BB_ERR(ctx, BB_EINVAL, "--resume: this run keeps no state file");
        if (access(cfg->state_path, F_OK) == 0) {
            int rc = bb_run_state_read(cfg->state_path, cfg->config_sha256, m, &st, ctx);
            if (rc) return rc;
            have_state = 1;
        } else if (cfg->resume == BB_RESUME_REQUIRED) {
            return BB_ERR(ctx, BB_ENOTFOUND,
                          "%s: no state to resume from (the run finished, never saved, or ran elsewhere; "
                          "--resume-or-start starts afresh instead)",
                          cfg->state_path);
        }
    }
    if (cfg->config_sha256) snprintf(st.config_sha256, sizeof st.config_sha256, "%s", cfg->config_sha256);

    void *ms = NULL;
    int rc = m->init(&cfg->env, cfg->params, &ms, ctx);
    if (rc) {
        bb_run_state_free(&st);
        return rc;
    }
    if (have_state) {
        rc = bb_run_state_load_method(cfg->state_path, &st, m, ms, ctx);
        if (!rc) rc = bb_oracle_set_counts(cfg->env.oracle, &st.counts, ctx);
        if (rc) {
            m->free(ms);
            bb_run_state_free(&st);
            return rc;
        }
        if (cfg->ledger) ledger_restore(cfg->ledger, st.ledger);
        cJSON_Delete(st.ledger);
        st.ledger = NULL;
        st.resumed++;
    }
    res->started = 1;

    const double t0 = bb_wall_s();
    double last_save = t0, last_progress = 0.0;
    bb_ctx mctx = {0};
    char status[sizeof((bb_step_info *)0)->status] = "";
    for (;;) {
        if (cfg->interrupt && *cfg->interrupt) {
            res->stopped_by = BB_STOP_INTERRUPTED;
            break;
        }
        bb_step_info si;
        memset(&si, 0, sizeof si);
        int64_t used_before = bb_oracle_used(cfg->env.oracle);
        double ts = bb_wall_s(), es = bb_oracle_energy_wall_s(cfg->env.oracle);
        int src = m->step(ms, &si, &mctx);
        res->steps_wall_s += bb_wall_s() - ts;
        res->steps_energy_s += bb_oracle_energy_wall_s(cfg->env.oracle) - es;
        int64_t spent = bb_oracle_used(cfg->env.oracle) - used_before;
        if (spent > st.max_step_evals) st.max_step_evals = spent;
        if (src == BB_EBUDGET) {
            bb_ctx_clear(&mctx);
            res->stopped_by = BB_STOP_BUDGET;
            break;
        }
        if (src) {
            fail(res, BB_STOP_ERROR, src, &mctx);
            break;
        }
        if (!(si.stop != BB_STOP_NONE && !si.has_loss && !si.status[0])) st.steps++; /* a stop-only call did no work */
        if (si.status[0]) memcpy(status, si.status, sizeof status);
        if (si.has_loss && (rc = curve_add(&st, st.steps, bb_oracle_used(cfg->env.oracle), si.loss,
                                           st.elapsed_s + bb_wall_s() - t0, ctx)))
            goto out;
        if (cfg->progress && bb_wall_s() - last_progress >= PROGRESS_INTERVAL_S) {
            progress(cfg, st.steps, status, 0);
            last_progress = bb_wall_s();
        }
        if (si.stop != BB_STOP_NONE) {
            res->stopped_by = si.stop;
            break;
        }
        if (bb_oracle_checkpoint_due(cfg->env.oracle)) {
            bb_samples snap;
            memset(&snap, 0, sizeof snap);
            ts = bb_wall_s();
            src = m->snapshot(ms, (size_t)st.snapshots++, &snap, &mctx);
            res->sampling_wall_s += bb_wall_s() - ts;
            if (!src) src = bb_oracle_checkpoint(cfg->env.oracle, &snap, &mctx);
            bb_samples_free(&snap);
            if (src) {
                fail(res, BB_STOP_ERROR, src, &mctx);
                break;
            }
        }
        int save_due = cfg->checkpoint_steps > 0 ? st.steps % cfg->checkpoint_steps == 0
                                                 : bb_wall_s() - last_save >= cfg->checkpoint_seconds;
        if (cfg->state_path && m->save && save_due) {
            if ((rc = save_state(cfg, &st, ms, t0, ctx))) goto out;
            last_save = bb_wall_s();
        }
        if (cfg->kill_after_steps > 0 && st.steps >= cfg->kill_after_steps) raise(SIGKILL); /* test hook */
    }
    if (cfg->progress) progress(cfg, st.steps, status, 1);
    /* an interrupted run keeps a state to resume from */
    if (res->stopped_by == BB_STOP_INTERRUPTED && cfg->state_path && m->save &&
        (rc = save_state(cfg, &st, ms, t0, ctx)))
        goto out;

    /* final samples: also after an error, to score what there is */
    const double td = bb_wall_s();
    int drc = m->draw(ms, out, &mctx);
    res->sampling_wall_s += bb_wall_s() - td;
    if (drc == BB_EBUDGET) drc = BB_OK;
    if (drc && !res->method_rc) fail(res, BB_STOP_ERROR, drc, &mctx);
    if (info && m->describe) m->describe(ms, info);
    res->steps = st.steps;
    res->resumed = (int)st.resumed;
    res->max_step_evals = st.max_step_evals;
    curve_to_json(&st, res);
    int ended_normally = res->stopped_by != BB_STOP_ERROR && res->stopped_by != BB_STOP_INTERRUPTED;
    if (ended_normally && cfg->state_path && !cfg->keep_state && unlink(cfg->state_path) != 0 && errno != ENOENT) {
        rc = BB_ERR(ctx, BB_EIO, "%s: cannot remove the state file: %s", cfg->state_path, strerror(errno));
        goto out;
    }
    rc = BB_OK;
out:
    m->free(ms);
    bb_run_state_free(&st);
    return rc;
}

int bb_driver_run_plain(const bb_method *m, const bb_params *p, bb_oracle *o, uint64_t seed, size_t n_samples,
                        bb_samples *out, cJSON *info, FILE *progress, bb_ctx *ctx) {
    bb_driver_config cfg = {
        .progress = progress,
        .method = m,
        .params = p,
        .env = {.oracle = o, .seed = seed, .n_samples = n_samples, .threads = omp_get_max_threads()},
    };
    bb_driver_result res;
    int rc = bb_driver_run(&cfg, out, info, &res, ctx);
    if (rc == BB_OK && info) {
        cJSON_AddStringToObject(info, "stopped_by", bb_stop_reason_name(res.stopped_by));
        cJSON_AddNumberToObject(info, "steps", (double)res.steps);
    }
    if (rc == BB_OK && res.method_rc) rc = BB_ERR(ctx, res.method_rc, "%s", res.method_err);
    bb_driver_result_free(&res);
    return rc;
}
