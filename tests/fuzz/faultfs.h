/* faultfs.h — write-fault injection for the atomic-write tests (test_write_faults.c).
 *
 * One source, two uses: linked into a test program it interposes fsync, fdatasync and
 * rename on that program (link-time interposition: no LD_PRELOAD, so it also works in the
 * ASan build); built as libbb_faultfs.so it is LD_PRELOAD'ed into the boltzbench program,
 * configured by the environment variable BB_FAULT. A spec is a comma-separated list of
 *   fsize:N        the kernel's file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored): a write(2)
 *                  that would take any file past N bytes writes what fits, then fails with
 *                  EFBIG. This is the "disk fills partway" fault; it reaches every layer (stdio,
 *                  libcurl, plain write), which an interposed write() cannot: glibc's stdio
 *                  calls its internal __write, never the interposable symbol.
 *   fsync[:GLOB]   fsync/fdatasync of a regular file whose path matches GLOB (fnmatch, default
 *                  "*") fails with ENOSPC without syncing (what delayed allocation reports).
 *   rename[:GLOB]  rename whose destination matches GLOB fails with ENOSPC, renaming nothing.
 * A real full disk (ENOSPC from write(2)) is a tmpfs of a few pages, which
 * test_write_faults.c mounts in a private mount namespace when it may. */
#ifndef BB_TEST_FAULTFS_H
#define BB_TEST_FAULTFS_H

/* Replace the active faults by spec (NULL or "" clears them, restoring the file-size
 * limit). Returns 0, or -1 for a malformed spec (nothing changed). */
int bb_fault_set(const char *spec);
/* Number of fsync/rename calls failed on purpose since the program started. */
unsigned long bb_fault_injected(void);

#endif
