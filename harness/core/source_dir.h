/* source_dir.h — where boltzbench's source tree is (committed data files, suites,
 * tolerances, reference sets).
 *
 * One rule for every lookup: $BOLTZBENCH_SOURCE_DIR when it is set and not empty (CI and
 * tests point it at a checkout or a scratch tree), else the source tree this binary was
 * built from (BB_SOURCE_DIR, compiled into bb_core) — never the current directory.
 */
#ifndef BB_SOURCE_DIR_H
#define BB_SOURCE_DIR_H

/* The source directory, without a trailing slash added. The string belongs to the
 * environment or the program: valid until BOLTZBENCH_SOURCE_DIR is changed. */
const char *bb_source_dir(void);

#endif
