/* fuzz_replay_main.c — the plain main of every fuzz target's replay test (npy, npz and the
 * JSON readers): feeds every file of the corpus directories given on the command line to
 * LLVMFuzzerTestOneInput, plus its prefixes (truncation is the commonest corruption: every
 * one up to 2048 bytes, which covers the binary corpora whole, then every 61st, since
 * reports are tens of kB and each input is parsed whole) and 64 copies with one byte
 * flipped at seeded positions, so the committed corpora and simple corruptions run under
 * ctest without libFuzzer. Exit 1 if a directory is missing or empty. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void feed(const unsigned char *buf, size_t n) {
    unsigned char *q = malloc(n ? n : 1); /* own allocation: ASan sees reads past the end */
    memcpy(q, buf, n);
    LLVMFuzzerTestOneInput(q, n);
    free(q);
}

int main(int argc, char **argv) {
    size_t files = 0, inputs = 0;
    for (int a = 1; a < argc; a++) {
        DIR *d = opendir(argv[a]);
        if (!d) {
            fprintf(stderr, "fuzz_replay: %s: cannot open corpus directory\n", argv[a]);
            return 1;
        }
        for (struct dirent *e; (e = readdir(d));) {
            if (e->d_name[0] == '.') continue;
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", argv[a], e->d_name);
            FILE *f = fopen(p, "rb");
            if (!f) continue;
            unsigned char *buf = malloc(1 << 20);
            size_t n = buf ? fread(buf, 1, 1 << 20, f) : 0;
            fclose(f);
            if (!buf) return 1;
            for (size_t cut = 0; cut <= n; cut += cut < 2048 ? 1 : 61, inputs++) feed(buf, cut);
            feed(buf, n);
            uint64_t x = 0x9e3779b97f4a7c15ull ^ n;
            for (int k = 0; k < 64 && n; k++, inputs++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                size_t at = (size_t)(x % n);
                unsigned char keep = buf[at];
                buf[at] ^= (unsigned char)(1u << (x >> 61));
                feed(buf, n);
                buf[at] = keep;
            }
            free(buf);
            files++;
        }
        closedir(d);
    }
    printf("fuzz_replay: %zu files, %zu inputs, no crash\n", files, inputs);
    return files ? 0 : 1;
}
