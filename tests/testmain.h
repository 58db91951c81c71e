/* testmain.h — main() of a cmocka test program, so that no test file writes out the same
 * array-and-run lines: BB_TEST_MAIN(setup, teardown, cmocka_unit_test(a), ...) runs the
 * group with the given group setup and teardown (NULL for none). Include after cmocka.h. */
#ifndef BB_TEST_MAIN_H
#define BB_TEST_MAIN_H

#define BB_TEST_MAIN(setup, teardown, ...)                                                                             \
    int main(void) {                                                                                                   \
        const struct CMUnitTest tests[] = {__VA_ARGS__};                                                               \
        return cmocka_run_group_tests(tests, setup, teardown);                                                         \
    }

/* The same for programs that run the nn core (include cblas.h): OpenBLAS is made
 * single-threaded first, as the nn core parallelises its products itself
 * (methods/nn/tensor.c). */
#define BB_TEST_MAIN_NN(setup, teardown, ...)                                                                          \
    int main(void) {                                                                                                   \
        openblas_set_num_threads(1);                                                                                   \
        const struct CMUnitTest tests[] = {__VA_ARGS__};                                                               \
        return cmocka_run_group_tests(tests, setup, teardown);                                                         \
    }

#endif
