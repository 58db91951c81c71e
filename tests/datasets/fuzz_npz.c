/* fuzz_npz.c — libFuzzer entry point for the .npz (zip + deflate + npy) parser
 * (bb_npz_parse) with a 1 MiB limit; replayed over tests/datasets/corpus/npz by
 * tests/fuzz/fuzz_replay_main.c in the default suite. Parse errors are expected; crashes are not. */
#include <stddef.h>
#include <stdint.h>

#include "datasets/npz.h"
#include "fuzz_touch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    bb_npz z;
    bb_ctx c = {0};
    if (bb_npz_parse(data, size, "fuzz.npz", (size_t)1 << 20, &z, &c) == BB_OK) {
        for (size_t k = 0; k < z.n; k++) (void)fuzz_touch(&z.arrays[k]);
        bb_npz_free(&z);
    }
    return 0;
}
