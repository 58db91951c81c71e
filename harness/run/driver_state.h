/* driver_state.h — the run driver's state file (internal to harness/run/).
 *
 * Layout (native endianness; not a portable format, a resume file for the same build):
 *   "BBRUNST1" | u32 version | char config_sha256[64] | u64 len + method name | u32 method version
 *   | i64 steps, snapshots, resumed, used, with_grad, rejected, reserved, checkpoints_served,
 *     max_step_evals, curve_seen (0 in states written before the curve was thinned: then n)
 *   | f64 elapsed seconds | u64 len + ledger JSON | u64 n + curve [n][step, evals, loss, wall]
 *   | u64 len + method bytes (method->save) | u32 crc32 of everything before it
 * Written atomically; read checks the crc, the version, the method and the configuration.
 */
#ifndef BB_DRIVER_STATE_H
#define BB_DRIVER_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "harness/oracle/oracle.h"
#include "methods/method.h"

typedef struct cJSON cJSON;

typedef struct bb_run_state {
    char config_sha256[65];
    int64_t steps, snapshots, resumed, max_step_evals;
    bb_oracle_counts counts;
    double elapsed_s;
    cJSON *ledger; /* owned */
    double *curve; /* [n_curve][4]: step, evaluations, loss, wall seconds; owned */
    size_t n_curve, cap_curve;
    int64_t curve_seen;          /* loss-reporting steps so far (n_curve of them kept: driver.h BB_DRIVER_CURVE_MAX) */
    unsigned char *method_bytes; /* read only; owned */
    size_t method_len;
} bb_run_state;

void bb_run_state_free(bb_run_state *s);
/* Write s (its method_bytes are ignored: method->save(method_state) provides them). */
int bb_run_state_write(const char *path, const bb_run_state *s, const bb_method *m, const void *method_state,
                       bb_ctx *ctx);
/* Read and check a state file for this configuration and method. */
int bb_run_state_read(const char *path, const char *config_sha256, const bb_method *m, bb_run_state *s, bb_ctx *ctx);
/* Hand the method bytes of s to method->load; they must be consumed exactly. */
int bb_run_state_load_method(const char *path, const bb_run_state *s, const bb_method *m, void *method_state,
                             bb_ctx *ctx);

#endif
