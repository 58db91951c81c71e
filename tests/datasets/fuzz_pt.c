/* fuzz_pt.c — libFuzzer entry point for the torch.save reader (bb_pt_parse: zip + restricted
 * pickle + storage) with a 1 MiB limit; replayed over tests/datasets/corpus/pt by
 * tests/fuzz/fuzz_replay_main.c in the default suite. Parse errors are expected; crashes are not. */
#include <stddef.h>
#include <stdint.h>

#include "datasets/pt.h"
#include "fuzz_touch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    bb_array a;
    bb_ctx c = {0};
    if (bb_pt_parse(data, size, "fuzz.pt", (size_t)1 << 20, &a, &c) == BB_OK) {
        (void)fuzz_touch(&a);
        bb_array_free(&a);
    }
    return 0;
}
