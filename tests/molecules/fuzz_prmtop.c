/* fuzz_prmtop.c — fuzz target for the AMBER prmtop/inpcrd reader and the force-field builder.
 *
 * LLVMFuzzerTestOneInput parses the input as a prmtop (and, when that succeeds with at most 200
 * atoms, builds the force field with and without GB and evaluates one configuration), and as an
 * inpcrd of 22 atoms. Built two ways: with BB_LIBFUZZER by clang -fsanitize=fuzzer (ctest label
 * `fuzz`), and as a plain program whose main() replays every file of a corpus folder (default
 * suite; tests/molecules/fuzz_corpus, seeds described in its README). Success = no crash, no
 * sanitizer report, and every rejection carries a message naming the input.
 */
#include "tasks/molecules/amber.h"
#include "tasks/molecules/prmtop.h"

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_msg(int rc, const bb_ctx *c, const char *name) {
    if (rc == BB_OK) return 0;
    if (!strstr(c->msg, name)) {
        fprintf(stderr, "error message without the input name: %s\n", c->msg);
        abort();
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    bb_ctx c = {0};
    bb_prmtop *p = NULL;
    int rc = bb_prmtop_parse((const char *)data, size, "fuzz.prmtop", &p, &c);
    if (!check_msg(rc, &c, "fuzz.prmtop") && p->natom <= 200) {
        for (int gb = 0; gb < 2; gb++) {
            bb_amber_options opt = {.obc1 = gb, .cutoff_nm = gb ? 1.0 : 0.0};
            bb_amber *ff = NULL;
            bb_ctx c2 = {0};
            if (bb_amber_create(p, "fuzz.prmtop", &opt, &ff, &c2) != BB_OK) {
                check_msg(1, &c2, "fuzz.prmtop");
                continue;
            }
            size_t D = 3 * (size_t)ff->natom;
            double *x = malloc((2 * D + bb_amber_work_size(ff) + 1) * sizeof *x);
            if (x) {
                for (size_t i = 0; i < D; i++) x[i] = 0.15 * (double)(i % 7) + 0.031 * (double)(i / 3);
                double e = bb_amber_energy(ff, x, x + D, NULL, x + 2 * D);
                if (isnan(e)) abort(); /* finite or +INF, never NaN */
                free(x);
            }
            bb_amber_free(ff);
        }
    }
    bb_prmtop_free(p);
    double xyz[66];
    bb_ctx c3 = {0};
    check_msg(bb_inpcrd_parse((const char *)data, size, "fuzz.crd", 22, xyz, &c3), &c3, "fuzz.crd");
    return 0;
}

#ifndef BB_LIBFUZZER
int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (!d) {
        fprintf(stderr, "%s: cannot open\n", argv[1]);
        return 1;
    }
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "README.md") == 0) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        uint8_t *buf = malloc((size_t)1 << 20);
        size_t len = buf ? fread(buf, 1, (size_t)1 << 20, f) : 0;
        fclose(f);
        if (!buf) return 1;
        LLVMFuzzerTestOneInput(buf, len);
        /* every prefix of small seeds too: truncation anywhere is handled */
        if (len <= 4096)
            for (size_t k = 0; k < len; k += 13) LLVMFuzzerTestOneInput(buf, k);
        free(buf);
        n++;
    }
    closedir(d);
    printf("replayed %d corpus files\n", n);
    return n > 0 ? 0 : 1;
}
#endif
