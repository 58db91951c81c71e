/* driver_state.c — the run driver's state file (layout in driver_state.h). */
#include "harness/run/driver_state.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/fileio.h"
#include "harness/run/driver.h"

static const char MAGIC[8] = {'B', 'B', 'R', 'U', 'N', 'S', 'T', '1'};
#define STATE_VERSION   1u
#define STATE_MAX_BYTES ((size_t)1 << 36)

/* Here rather than in driver.c: the state reader checks a curve against it (driver.c calls
 * this file, never the other way round). */
int64_t bb_driver_curve_stride(int64_t seen) {
    int64_t s = 1;
    while ((seen + s - 1) / s > BB_DRIVER_CURVE_MAX) s *= 2;
    return s;
}

void bb_run_state_free(bb_run_state *s) {
    if (!s) return;
    cJSON_Delete(s->ledger);
    BB_FREE_ALL(s->curve, s->method_bytes);
    memset(s, 0, sizeof *s);
}

/* Everything but the trailer goes through one memory stream, so the crc covers it. */
int bb_run_state_write(const char *path, const bb_run_state *s, const bb_method *m, const void *method_state,
                       bb_ctx *ctx) {
    char *mbuf = NULL, *ledger = NULL;
    size_t mlen = 0;
    FILE *ms = open_memstream(&mbuf, &mlen);
    if (!ms) return BB_ERR(ctx, BB_ENOMEM, "%s: cannot buffer the method state", path);
    int rc = m->save ? m->save(method_state, ms, ctx) : BB_OK;
    if (fclose(ms) != 0 && rc == BB_OK) rc = BB_ERR(ctx, BB_EIO, "%s: cannot buffer the method state", path);
    if (rc) {
        free(mbuf);
        return rc;
    }
    ledger = s->ledger ? cJSON_PrintUnformatted(s->ledger) : NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (!fp || (s->ledger && !ledger)) {
        if (fp) fclose(fp);
        free(buf);
        free(mbuf);
        free(ledger);
        return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory building the state", path);
    }
    uint32_t ver = STATE_VERSION, mver = (uint32_t)m->version;
    uint64_t name_len = strlen(m->name), ledger_len = ledger ? strlen(ledger) : 0, n_curve = s->n_curve;
    uint64_t method_len = mlen;
    int64_t nums[10] = {s->steps,
                        s->snapshots,
                        s->resumed,
                        s->counts.used,
                        s->counts.with_grad,
                        s->counts.rejected,
                        s->counts.reserved,
                        s->counts.checkpoints_served,
                        s->max_step_evals,
                        s->curve_seen};
    double elapsed = s->elapsed_s;
    fwrite(MAGIC, 1, 8, fp);
    fwrite(&ver, 4, 1, fp);
    fwrite(s->config_sha256, 1, 64, fp);
    fwrite(&name_len, 8, 1, fp);
    fwrite(m->name, 1, name_len, fp);
    fwrite(&mver, 4, 1, fp);
    fwrite(nums, sizeof nums, 1, fp);
    fwrite(&elapsed, 8, 1, fp);
    fwrite(&ledger_len, 8, 1, fp);
    if (ledger_len) fwrite(ledger, 1, ledger_len, fp);
    fwrite(&n_curve, 8, 1, fp);
    if (n_curve) fwrite(s->curve, 4 * sizeof(double), n_curve, fp);
    fwrite(&method_len, 8, 1, fp);
    if (method_len) fwrite(mbuf, 1, method_len, fp);
    int ok = fclose(fp) == 0;
    free(mbuf);
    free(ledger);
    if (!ok) {
        free(buf);
        return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory building the state", path);
    }
    bb_atomic_file af;
    rc = bb_atomic_open(&af, path, ctx);
    if (rc == BB_OK) {
        uint32_t crc = bb_crc32((const unsigned char *)buf, len);
        if (fwrite(buf, 1, len, af.fp) != len || fwrite(&crc, 4, 1, af.fp) != 1) {
            bb_atomic_abort(&af);
            rc = BB_ERR(ctx, BB_EIO, "%s: cannot write the run state", path);
        } else {
            rc = bb_atomic_commit(&af, ctx);
        }
    }
    free(buf);
    return rc;
}

int bb_run_state_read(const char *path, const char *config_sha256, const bb_method *m, bb_run_state *s, bb_ctx *ctx) {
    memset(s, 0, sizeof *s);
    char *data = NULL;
    size_t len = 0;
    int rc = bb_read_file(path, STATE_MAX_BYTES, &data, &len, ctx);
    if (rc < 0) return rc;
    bb_bytes r = {(const unsigned char *)data, len, 0};
    char magic[8], sha[65] = {0}, name[128] = {0};
    uint32_t ver = 0, mver = 0, crc = 0;
    uint64_t name_len = 0, ledger_len = 0, n_curve = 0, method_len = 0;
    int64_t nums[10];
    rc = BB_ERR(ctx, BB_EFORMAT, "%s: truncated or corrupt run state (delete it to start afresh)", path);
    if (len < 12 || !bb_bytes_get(&r, magic, 8) || memcmp(magic, MAGIC, 8) != 0) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: not a boltzbench run state (bad magic)", path);
        goto out;
    }
    memcpy(&crc, data + len - 4, 4);
    if (bb_crc32((const unsigned char *)data, len - 4) != crc) {
        rc = BB_ERR(ctx, BB_EHASH,
                    "%s: crc32 mismatch: the run state is corrupt or truncated (delete it to start afresh)", path);
        goto out;
    }
    r.len = len - 4;
    if (!bb_bytes_get(&r, &ver, 4) || ver != STATE_VERSION) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: run state version %u, this build reads %u", path, ver, STATE_VERSION);
        goto out;
    }
    if (!bb_bytes_get(&r, sha, 64) || !bb_bytes_get(&r, &name_len, 8) || name_len >= sizeof name ||
        !bb_bytes_get(&r, name, (size_t)name_len) || !bb_bytes_get(&r, &mver, 4))
        goto out;
    if (strcmp(name, m->name) != 0 || mver != (uint32_t)m->version) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: state of method %s@%u, this run is %s@%d", path, name, mver, m->name,
                    m->version);
        goto out;
    }
    if (strcmp(sha, config_sha256) != 0) {
        rc = BB_ERR(ctx, BB_EFORMAT,
                    "%s: state of another configuration (config_sha256 %.12s…, this run %.12s…): same task, method, "
                    "parameters, budget, seed and samples are needed to resume",
                    path, sha, config_sha256);
        goto out;
    }
    double elapsed;
    if (!bb_bytes_get(&r, nums, sizeof nums) || !bb_bytes_get(&r, &elapsed, 8) || !bb_bytes_get(&r, &ledger_len, 8) ||
        ledger_len > r.len - r.off)
        goto out;
    s->steps = nums[0];
    s->snapshots = nums[1];
    s->resumed = nums[2];
    s->counts.used = nums[3];
    s->counts.with_grad = nums[4];
    s->counts.rejected = nums[5];
    s->counts.reserved = nums[6];
    s->counts.checkpoints_served = nums[7];
    s->max_step_evals = nums[8];
    s->elapsed_s = elapsed;
    if (s->steps < 0 || s->snapshots < 0 || s->resumed < 0) goto out;
    if (ledger_len) {
        s->ledger = cJSON_ParseWithLength((const char *)r.p + r.off, (size_t)ledger_len);
        if (!s->ledger) goto out;
        r.off += (size_t)ledger_len;
    }
    if (!bb_bytes_get(&r, &n_curve, 8) || n_curve > (r.len - r.off) / (4 * sizeof(double))) goto out;
    if (n_curve) {
        s->curve = malloc((size_t)n_curve * 4 * sizeof(double));
        if (!s->curve || !bb_bytes_get(&r, s->curve, (size_t)n_curve * 4 * sizeof(double))) goto out;
        s->n_curve = s->cap_curve = (size_t)n_curve;
    }
    /* the curve must be what the driver keeps of curve_seen steps (driver.h) */
    s->curve_seen = nums[9] == 0 ? (int64_t)n_curve : nums[9];
    if (s->curve_seen < 0 || s->curve_seen > ((int64_t)1 << 52) ||
        (uint64_t)((s->curve_seen + bb_driver_curve_stride(s->curve_seen) - 1) /
                   bb_driver_curve_stride(s->curve_seen)) != n_curve)
        goto out;
    if (!bb_bytes_get(&r, &method_len, 8) || method_len != r.len - r.off) goto out;
    s->method_len = (size_t)method_len;
    s->method_bytes = malloc(s->method_len ? s->method_len : 1);
    if (!s->method_bytes) {
        rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    memcpy(s->method_bytes, r.p + r.off, s->method_len);
    memcpy(s->config_sha256, sha, 65);
    rc = BB_OK;
out:
    free(data);
    if (rc) bb_run_state_free(s);
    return rc;
}

int bb_run_state_load_method(const char *path, const bb_run_state *s, const bb_method *m, void *method_state,
                             bb_ctx *ctx) {
    if (!m->load) {
        if (s->method_len == 0) return BB_OK;
        return BB_ERR(ctx, BB_EFORMAT, "%s: method %s keeps no state but the file holds some", path, m->name);
    }
    FILE *fp = fmemopen(s->method_bytes, s->method_len ? s->method_len : 1, "rb");
    if (!fp) return BB_ERR(ctx, BB_ENOMEM, "%s: cannot open the method state", path);
    int rc = m->load(method_state, fp, ctx);
    long used = ftell(fp);
    fclose(fp);
    if (rc) {
        bb_ctx_prefix(ctx, "%s", path);
        return rc;
    }
    if (used < 0 || (size_t)used != s->method_len)
        return BB_ERR(ctx, BB_EFORMAT, "%s: method %s read %ld of %zu state bytes", path, m->name, used, s->method_len);
    return BB_OK;
}
