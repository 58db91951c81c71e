/* pt.h — strict reader of torch.save files that hold one dense float32/float64 tensor.
 *
 * FAB (Midgley et al., ICLR 2023; github.com/lollcat/fab-torch) ships its alanine-dipeptide
 * data as `torch.save(tensor)` files. Such a file (torch >= 1.6, zip serialization) is a zip
 * archive (datasets/zip.h) with members <prefix>/data.pkl (a protocol-2 pickle),
 * <prefix>/data/<key> (the raw little-endian storage bytes), <prefix>/version and, in newer
 * torch, <prefix>/byteorder and <prefix>/.data/… bookkeeping. The pickle is run by a restricted
 * interpreter that knows only what torch writes for a tensor:
 *   opcodes  PROTO 2 GLOBAL BINPUT LONG_BINPUT BINGET LONG_BINGET MARK BINUNICODE BININT
 *            BININT1 BININT2 LONG1 NONE NEWTRUE NEWFALSE EMPTY_TUPLE TUPLE TUPLE1..3 BINPERSID
 *            REDUCE STOP (torch.save always pickles with protocol 2)
 *   globals  torch._utils._rebuild_tensor_v2, torch.FloatStorage, torch.DoubleStorage,
 *            collections.OrderedDict (called with no arguments: the empty backward hooks)
 * and the result must be _rebuild_tensor_v2((storage, key, location, numel), offset, size,
 * stride, requires_grad, OrderedDict()) with contiguous C-order strides. Any other opcode or
 * global (os.system, a dict of tensors, an int64 tensor, a transposed view), the legacy
 * non-zip format of torch < 1.6, big-endian storage, a storage too short for the view, or a
 * result over the caller's byte limit is a one-line error naming the file: BB_EUNSUPPORTED
 * for well-formed content outside this subset, BB_EFORMAT for damage, BB_ENOMEM for the limit.
 * Nothing in the pickle is ever executed: globals are matched by name, never resolved.
 *
 * Values become a float64 row-major bb_array (datasets/npy.h) with dtype "<f4" or "<f8".
 *
 * Worked example:
 *   bb_array a; bb_ctx c = {0};
 *   if (bb_pt_read("val.pt", (size_t)1 << 30, &a, &c)) fprintf(stderr, "%s\n", c.msg);
 *   else { use(a.shape[0], a.shape[1], a.data); bb_array_free(&a); }
 */
#ifndef BB_PT_H
#define BB_PT_H
#include <stddef.h>

#include "datasets/npy.h"
#include "harness/core/bb.h"

/* Parse an in-memory torch.save image; `what` names it in errors. max_bytes bounds the
 * float64 result and every extracted zip member. On failure *out is zeroed. */
int bb_pt_parse(const void *buf, size_t len, const char *what, size_t max_bytes, bb_array *out, bb_ctx *ctx);
/* Read `path` (at most max_bytes + 16 MiB of file) and parse it as above. */
int bb_pt_read(const char *path, size_t max_bytes, bb_array *out, bb_ctx *ctx);

#endif
