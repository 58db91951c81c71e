/* generated.h — storage of locally generated reference sets in the dataset cache.
 *
 * A long sampler run (`boltzbench reference --task T --n N`, parallel tempering) produces
 * a reference set that no server hosts. It is stored as
 *   <cache>/<id>.npy    float64 [N][dof], written atomically
 *   <cache>/<id>.json   {"schema": "boltzbench.generated/1", "id", "n", "dof",
 *                        "sha256" (of the .npy bytes), "provenance": {...}}
 * The .json is written after the .npy and is what marks the set complete; the loader
 * (bb_reference_load, bb_generated_load) checks the .npy against its sha256.
 * provenance is free-form but should hold: sampler, params, seed, evaluations, and the
 * energy autocorrelation time / ESS (datasets/iat.h).
 * Not here: running the sampler (pipeline code), fetched sets (fetch.h).
 */
#ifndef BB_GENERATED_H
#define BB_GENERATED_H

#include <cjson/cJSON.h>

#include "harness/core/bb.h"
#include "harness/core/samples.h"

/* Store unweighted samples s under `id` ([A-Za-z0-9._@-]+) in the cache (bb_cache_dir).
 * provenance (may be NULL) is copied, not taken. Errors name the id or the file. */
int bb_dataset_store_generated(const char *id, const bb_samples *s, const cJSON *provenance, bb_ctx *ctx);

/* Load a stored set: BB_ENOTFOUND if absent (no .json); BB_EIO if the sidecar is there but
 * the .npy is not; BB_EHASH if the .npy does not match the sidecar's sha256 (a corrupt or
 * truncated file: nothing can fetch it again, so it stays an error until regenerated);
 * BB_EFORMAT if its shape differs from the sidecar's n and dof. sha256_out (may be NULL)
 * receives the verified hash. */
int bb_generated_load(const char *cache, const char *id, size_t max_bytes, bb_samples *out, char sha256_out[65],
                      bb_ctx *ctx);

#endif
