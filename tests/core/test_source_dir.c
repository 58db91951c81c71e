/* test_source_dir.c — bb_source_dir: $BOLTZBENCH_SOURCE_DIR when set and not empty,
 * else the source tree compiled into bb_core (the same tree this test is built from). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/source_dir.h"
#include "tests/testmain.h"

BB_TEST(environment_wins_when_set_and_not_empty) {
    setenv("BOLTZBENCH_SOURCE_DIR", "/some/checkout", 1);
    assert_string_equal(bb_source_dir(), "/some/checkout");
}

BB_TEST(compiled_in_tree_when_unset_or_empty) {
    unsetenv("BOLTZBENCH_SOURCE_DIR");
    assert_string_equal(bb_source_dir(), BB_SOURCE_DIR);
    setenv("BOLTZBENCH_SOURCE_DIR", "", 1);
    assert_string_equal(bb_source_dir(), BB_SOURCE_DIR);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(environment_wins_when_set_and_not_empty),
             cmocka_unit_test(compiled_in_tree_when_unset_or_empty))
