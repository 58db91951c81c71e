/* embedded.h — the peptide topologies compiled into the library.
 *
 * What it is: each data file of tasks/molecules/data/ as an array of its lines (generated
 * embedded_<molecule>.c files, made by tasks/molecules/data/embed.py), so tasks work from an
 * installed or moved binary with no data path. bb_embedded_text() rebuilds the exact bytes and
 * verifies their sha256. What it is not: a general resource system or a file cache.
 */
#ifndef BB_EMBEDDED_H
#define BB_EMBEDDED_H

#include <stddef.h>

#include "harness/core/bb.h"

typedef struct bb_embedded_file {
    const char *name;         /* file name in tasks/molecules/data/ */
    const char *sha256;       /* of the original bytes */
    const char *const *lines; /* lines without their '\n' */
    size_t nlines;
    size_t nbytes;     /* size of the original file */
    int final_newline; /* 1 if the file ends with '\n' */
} bb_embedded_file;

extern const bb_embedded_file bb_embedded_aldp_ff96_mbondi2_prmtop;
extern const bb_embedded_file bb_embedded_aldp_ff96_mbondi2_crd;
extern const bb_embedded_file bb_embedded_aldp_ff14sb_mbondi2_prmtop;
extern const bb_embedded_file bb_embedded_aldp_ff14sb_mbondi2_inpcrd;
extern const bb_embedded_file bb_embedded_al3_ff14sb_mbondi2_prmtop;
extern const bb_embedded_file bb_embedded_al3_ff14sb_mbondi2_inpcrd;

/* Rebuild the file's bytes into a malloc'ed, NUL-terminated buffer (caller frees *text) and
 * check size and sha256 (BB_EHASH naming the file on mismatch; *text is then NULL). */
int bb_embedded_text(const bb_embedded_file *f, char **text, size_t *len, bb_ctx *ctx);

#endif
