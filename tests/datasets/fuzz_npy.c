/* fuzz_npy.c — libFuzzer entry point for the .npy parser (bb_npy_parse) with a 1 MiB
 * result limit. Built with clang -fsanitize=fuzzer,address for the `fuzz` label, and with
 * tests/fuzz/fuzz_replay_main.c as a plain program that replays tests/datasets/corpus/npy in the default
 * suite. Any crash, leak or sanitizer report is a failure; parse errors are expected. */
#include <stddef.h>
#include <stdint.h>

#include "datasets/npy.h"
#include "fuzz_touch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    bb_array a;
    bb_ctx c = {0};
    if (bb_npy_parse(data, size, "fuzz.npy", (size_t)1 << 20, &a, &c) == BB_OK) {
        (void)fuzz_touch(&a);
        bb_array_free(&a);
    }
    return 0;
}
