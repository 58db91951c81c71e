/* testmain.h — the lines every cmocka test program would otherwise write out again.
 * BB_TEST(name) { ... } defines the test function name (cmocka_unit_test(name) runs it)
 * with the group state it ignores marked unused. BB_TEST_MAIN(setup, teardown,
 * cmocka_unit_test(a), ...) is main(), running the group with the given group setup and
 * teardown (NULL for none); BB_TEST_MAIN_FIRST(statement, setup, teardown, ...) runs the
 * statement first (e.g. unsetenv("X")). Include after cmocka.h. */
#ifndef BB_TEST_MAIN_H
#define BB_TEST_MAIN_H

#define BB_TEST(name) static void name(void **state __attribute__((unused)))

#define BB_TEST_MAIN_FIRST(first, setup, teardown, ...)                                                                \
    int main(void) {                                                                                                   \
        first;                                                                                                         \
        const struct CMUnitTest tests[] = {__VA_ARGS__};                                                               \
        return cmocka_run_group_tests(tests, setup, teardown);                                                         \
    }

#define BB_TEST_MAIN(setup, teardown, ...) BB_TEST_MAIN_FIRST((void)0, setup, teardown, __VA_ARGS__)

/* The same for programs that run the nn core (include cblas.h): OpenBLAS is made
 * single-threaded first, as the nn core parallelises its products itself
 * (methods/nn/tensor.c). */
#define BB_TEST_MAIN_NN(setup, teardown, ...)                                                                          \
    BB_TEST_MAIN_FIRST(openblas_set_num_threads(1), setup, teardown, __VA_ARGS__)

#endif
