/* capture.h — what a call writes to stderr, captured for a test to check:
 *   bb_test_capture cap;
 *   bb_test_capture_begin(&cap);
 *   rc = call();
 *   bb_test_capture_end(&cap, err, sizeof err);
 * Include after cmocka.h. */
#ifndef BB_TEST_CAPTURE_H
#define BB_TEST_CAPTURE_H

#include <stdio.h>
#include <unistd.h>

typedef struct bb_test_capture {
    FILE *tmp;
    int saved;
} bb_test_capture;

/* From here on, file descriptor 2 writes into a temporary file. */
static inline void bb_test_capture_begin(bb_test_capture *c) {
    fflush(stderr);
    c->tmp = tmpfile();
    assert_non_null(c->tmp);
    c->saved = dup(2);
    assert_true(c->saved >= 0);
    assert_true(dup2(fileno(c->tmp), 2) >= 0);
}

/* Restores stderr and copies what was written into out (at most cap - 1 bytes,
 * NUL-terminated). */
static inline void bb_test_capture_end(bb_test_capture *c, char *out, size_t cap) {
    fflush(stderr);
    dup2(c->saved, 2);
    close(c->saved);
    rewind(c->tmp);
    size_t n = fread(out, 1, cap - 1, c->tmp);
    out[n] = '\0';
    fclose(c->tmp);
}

#endif
