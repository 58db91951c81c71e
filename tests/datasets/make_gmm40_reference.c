/* make_gmm40_reference.c — one-off tool that wrote datasets/reference/gmm40-exact.npy.gz:
 *   make_gmm40_reference OUT.npy && gzip -9 -n OUT.npy
 * It draws the manifest's recipe for gmm40-exact (n, seed, stream) with the task's
 * sample_exact via bb_reference_exact. test_reference checks that the committed file
 * equals a fresh draw, so this tool is documentation as much as a generator.
 * Built on demand only (EXCLUDE_FROM_ALL target make_gmm40_reference). */
#include <stdio.h>

#include "datasets/manifest.h"
#include "datasets/npy.h"
#include "datasets/reference.h"

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: make_gmm40_reference OUT.npy\n");
        return 2;
    }
    bb_ctx c = {0};
    bb_manifest m;
    bb_task *t = NULL;
    bb_samples s = {0};
    int rc = bb_manifest_load(BB_SOURCE_DIR "/datasets/manifest.json", &m, &c);
    const bb_dataset *d = rc ? NULL : bb_manifest_find(&m, "gmm40-exact");
    if (!rc && !d) rc = BB_ERR(&c, BB_ENOTFOUND, "manifest: gmm40-exact missing");
    if (!rc) rc = bb_task_create("gmm40", NULL, &t, &c);
    if (!rc) rc = bb_reference_exact(t, d->gen_n, d->gen_seed, d->gen_stream, &s, &c);
    size_t shape[2] = {s.n, s.dof};
    if (!rc) rc = bb_npy_write(argv[1], s.x, 2, shape, &c);
    if (rc) fprintf(stderr, "make_gmm40_reference: %s\n", c.msg);
    bb_samples_free(&s);
    bb_task_free(t);
    bb_manifest_free(&m);
    return rc ? 1 : 0;
}
