/* fuzz_replay.c — plain main that feeds every file of the corpus directories given on
 * the command line to LLVMFuzzerTestOneInput (SQLite fuzzcheck / cJSON fuzzing style),
 * so the committed corpus runs under ctest without libFuzzer. Also feeds every prefix of
 * each file (truncation is the commonest corruption). Exit 1 if a directory is missing
 * or empty; crashes show up as the test failing. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
            for (size_t cut = 0; cut <= n; cut++) {
                /* each prefix in its own allocation so ASan sees reads past the end */
                unsigned char *q = malloc(cut ? cut : 1);
                memcpy(q, buf, cut);
                LLVMFuzzerTestOneInput(q, cut);
                free(q);
                inputs++;
            }
            free(buf);
            files++;
        }
        closedir(d);
    }
    printf("fuzz_replay: %zu files, %zu inputs (all prefixes), no crash\n", files, inputs);
    return files ? 0 : 1;
}
