/* manifest.h — the dataset manifest (datasets/manifest.json) and the dataset cache layout.
 *
 * A manifest lists datasets, one file each: id, version, file name, mirror URLs, the
 * expected sha256 and size (null when unknown — the fetcher then refuses the file unless
 * told to trust it), format, shape, dtype, units, task, energy convention, licence and
 * citation; optionally a committed compressed copy inside the repository and the recipe
 * of a generated set. Field meanings are documented in datasets/README.md.
 *
 * Cache layout (directory from bb_cache_dir):
 *   <cache>/<id>@<version>/<file>         a fetched, verified file
 *   <cache>/<id>@<version>/<file>.part    a download in progress (resumable)
 *   <cache>/<id>@<version>/.lock          flock() target serialising fetches of the id
 *   <cache>/<id>.npy, <cache>/<id>.json   a generated reference set and its provenance
 *
 * Not here: the transfer itself (datasets/fetch.h), reading arrays (npy.h, npz.h).
 */
#ifndef BB_MANIFEST_H
#define BB_MANIFEST_H

#include <stddef.h>

#include "harness/core/bb.h"

#define BB_MANIFEST_MAX_URLS    8
#define BB_SHAPE_ANY            ((size_t)-1) /* a shape entry the manifest gives as null (unknown) */
#define BB_MANIFEST_MAX_ALIASES 4

typedef struct bb_dataset {
    char id[64];    /* "dw4-idem-test" */
    int version;    /* 1 */
    char file[128]; /* file name in the cache ("test_split_DW4.npy") */
    int n_urls;
    char urls[BB_MANIFEST_MAX_URLS][512]; /* mirrors, tried in order */
    int n_aliases;
    char aliases[BB_MANIFEST_MAX_ALIASES][64]; /* other names accepted by lookups */
    int has_sha256;                            /* 0 when the manifest says "sha256": null */
    char sha256[65];                           /* lowercase hex of the file bytes */
    long long bytes;                           /* file size, -1 if unknown */
    char format[16];                           /* "npy", "npz", "pt" (torch.save, datasets/pt.h), "files" */
    int ndim;                                  /* 0 if the shape is unknown */
    size_t shape[4];                           /* BB_SHAPE_ANY where the manifest says null */
    char dtype[16];                            /* "<f4", "" if unknown */
    char units[64];
    char coordinates[32]; /* "cartesian" (the default) or e.g. "fab-internal": never a task's reference */
    char task[32];        /* task name the set belongs to ("dw4") */
    char energy_convention[512];
    char license[64]; /* "" if unknown */
    char citation[512];
    int com_removed_on_load;   /* 1: loaders remove the centre of mass */
    char committed_path[256];  /* repository-relative compressed copy, "" if none */
    char committed_format[16]; /* "npy.gz" */
    int generated;             /* 1: produced locally (recipe below), no download */
    unsigned long long gen_seed;
    unsigned long long gen_stream;
    size_t gen_n;
    double temperature_K;    /* the temperature the set samples (molecular tasks), 0 if not stated */
    int has_energy_check;    /* 1: "energy_check": {"mean_reduced", "tolerance"} is given */
    double energy_mean;      /* mean reduced energy u of all configurations under the task */
    double energy_tolerance; /* largest accepted |mean − energy_mean| at load, reduced units */
} bb_dataset;

typedef struct bb_manifest {
    size_t n;
    bb_dataset *d; /* [n], owned */
} bb_manifest;

/* Path of the default manifest into out[len]: $BOLTZBENCH_MANIFEST when set and not empty,
 * else datasets/manifest.json under bb_source_dir() (harness/core/source_dir.h). BB_EINVAL
 * when it does not fit. */
int bb_manifest_default_path(char *out, size_t len);

/* Load and validate a manifest (NULL path = default). Errors name the file and the
 * dataset/field ("manifest.json: datasets[3].sha256: not 64 hex digits"). */
int bb_manifest_load(const char *path, bb_manifest *out, bb_ctx *ctx);
void bb_manifest_free(bb_manifest *m); /* NULL-safe */

/* Find "id", "id@version" or an alias; NULL if absent. */
const bb_dataset *bb_manifest_find(const bb_manifest *m, const char *id);

/* Resolve the cache directory: $BOLTZBENCH_CACHE, else $XDG_CACHE_HOME/boltzbench, else
 * $HOME/.cache/boltzbench. Not created here. */
int bb_cache_dir(char *out, size_t cap, bb_ctx *ctx);
/* `given` (a --cache option) when not NULL, else bb_cache_dir. */
int bb_cache_dir_or(const char *given, char *out, size_t cap, bb_ctx *ctx);

/* <cache>/<id>@<version> and <cache>/<id>@<version>/<file>. */
int bb_dataset_dir(const char *cache, const bb_dataset *d, char *out, size_t cap, bb_ctx *ctx);
int bb_dataset_path(const char *cache, const bb_dataset *d, char *out, size_t cap, bb_ctx *ctx);

/* Remove everything under the cache directory (the directory itself stays). Refuses
 * "/" and $HOME. Errors name the first path that could not be removed. */
int bb_cache_clean(const char *cache, bb_ctx *ctx);

#endif
