/* pt.c — torch.save reader for one dense float32/float64 tensor; see pt.h for what is accepted.
 *
 * The pickle machine keeps every value in a fixed pool (no allocation, so no leaks on the
 * error paths and a bounded amount of work for any input): ints, strings (pointers into the
 * pickle), booleans, None, tuples (item lists in a second pool), marks, the four allowed
 * globals, storages (from BINPERSID), the empty OrderedDict and tensors (from REDUCE of
 * _rebuild_tensor_v2). The zip side is datasets/zip.h; the storage bytes are little-endian
 * IEEE floats, read byte by byte so the host's endianness does not matter.
 */
#include "datasets/pt.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/zip.h"
#include "harness/core/fileio.h"

#define PT_MAX_VALUES 512
#define PT_MAX_ITEMS  1024
#define PT_MAX_STACK  64
#define PT_MAX_MEMO   256
#define PT_MAX_PICKLE ((size_t)1 << 20) /* a tensor's pickle is ~150 bytes */

enum { V_INT, V_STR, V_BOOL, V_NONE, V_TUPLE, V_MARK, V_GLOBAL, V_STORAGE, V_ODICT, V_TENSOR };
enum { G_REBUILD, G_FLOAT, G_DOUBLE, G_ODICT };

typedef struct pv {
    int kind;
    int g;         /* V_GLOBAL: which; V_STORAGE: G_FLOAT or G_DOUBLE */
    int64_t i;     /* V_INT, V_BOOL; V_STORAGE: numel */
    const char *s; /* V_STR; V_STORAGE: key */
    size_t slen;
    int first, n; /* V_TUPLE: items[first..first+n); V_TENSOR: the args tuple in first */
} pv;

typedef struct vm {
    const char *what;
    pv v[PT_MAX_VALUES];
    int nv;
    int items[PT_MAX_ITEMS];
    int ni;
    int stack[PT_MAX_STACK];
    int sp;
    int memo[PT_MAX_MEMO];
} vm;

static int new_value(vm *m, int kind, bb_ctx *ctx) {
    if (m->nv >= PT_MAX_VALUES)
        return -BB_ERR(ctx, BB_EUNSUPPORTED, "%s: pickle builds more than %d values (not one tensor)", m->what,
                       PT_MAX_VALUES);
    memset(&m->v[m->nv], 0, sizeof m->v[0]);
    m->v[m->nv].kind = kind;
    return m->nv++;
}

static int push(vm *m, int idx, bb_ctx *ctx) {
    if (idx < 0) return -idx;
    if (m->sp >= PT_MAX_STACK)
        return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: pickle stack deeper than %d", m->what, PT_MAX_STACK);
    m->stack[m->sp++] = idx;
    return BB_OK;
}

static int pop(vm *m, int *idx, size_t at, bb_ctx *ctx) {
    if (m->sp == 0 || m->v[m->stack[m->sp - 1]].kind == V_MARK)
        return BB_ERR(ctx, BB_EFORMAT, "%s: pickle stack underflow at byte %zu", m->what, at);
    *idx = m->stack[--m->sp];
    return BB_OK;
}

/* Pop the top k values (k < 0: everything down to the topmost mark, which is removed too)
 * into a new tuple and push it. */
static int make_tuple(vm *m, int k, size_t at, bb_ctx *ctx) {
    int base, mark = k < 0;
    if (mark) {
        base = m->sp;
        while (base > 0 && m->v[m->stack[base - 1]].kind != V_MARK) base--;
        if (base == 0) return BB_ERR(ctx, BB_EFORMAT, "%s: TUPLE without MARK at byte %zu", m->what, at);
        k = m->sp - base;
    } else {
        if (m->sp < k) return BB_ERR(ctx, BB_EFORMAT, "%s: pickle stack underflow at byte %zu", m->what, at);
        base = m->sp - k;
        for (int j = base; j < m->sp; j++)
            if (m->v[m->stack[j]].kind == V_MARK)
                return BB_ERR(ctx, BB_EFORMAT, "%s: pickle stack underflow at byte %zu", m->what, at);
    }
    if (m->ni + k > PT_MAX_ITEMS)
        return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: pickle tuples hold more than %d items", m->what, PT_MAX_ITEMS);
    int t = new_value(m, V_TUPLE, ctx);
    if (t < 0) return -t;
    m->v[t].first = m->ni;
    m->v[t].n = k;
    for (int j = 0; j < k; j++) m->items[m->ni++] = m->stack[base + j];
    m->sp = mark ? base - 1 : base; /* TUPLE also removes its mark */
    return push(m, t, ctx);
}

static uint32_t le(const unsigned char *p, int n) {
    uint32_t v = 0;
    for (int k = n - 1; k >= 0; k--) v = v << 8 | p[k];
    return v;
}

static int str_is(const pv *x, const char *s) {
    return x->kind == V_STR && x->slen == strlen(s) && memcmp(x->s, s, x->slen) == 0;
}

/* GLOBAL "module\nname\n": only the four names torch writes for a float tensor. */
static int do_global(vm *m, const unsigned char *p, size_t avail, size_t *used, size_t at, bb_ctx *ctx) {
    const unsigned char *nl1 = memchr(p, '\n', avail);
    const unsigned char *nl2 = nl1 ? memchr(nl1 + 1, '\n', avail - (size_t)(nl1 + 1 - p)) : NULL;
    if (!nl2) return BB_ERR(ctx, BB_EFORMAT, "%s: truncated GLOBAL at byte %zu", m->what, at);
    int ml = (int)(nl1 - p), nlen = (int)(nl2 - nl1 - 1);
    const char *mod = (const char *)p, *name = (const char *)nl1 + 1;
    static const struct {
        const char *mod, *name;
        int g;
    } ok[] = {{"torch._utils", "_rebuild_tensor_v2", G_REBUILD},
              {"torch", "FloatStorage", G_FLOAT},
              {"torch", "DoubleStorage", G_DOUBLE},
              {"collections", "OrderedDict", G_ODICT}};
    *used = (size_t)(nl2 - p) + 1;
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++)
        if ((size_t)ml == strlen(ok[k].mod) && !memcmp(mod, ok[k].mod, (size_t)ml) &&
            (size_t)nlen == strlen(ok[k].name) && !memcmp(name, ok[k].name, (size_t)nlen)) {
            int v = new_value(m, V_GLOBAL, ctx);
            if (v >= 0) m->v[v].g = ok[k].g;
            return push(m, v, ctx);
        }
    ml = ml > 60 ? 60 : ml;
    nlen = nlen > 60 ? 60 : nlen;
    if (ml == 5 && !memcmp(mod, "torch", 5) && nlen > 7 && !memcmp(name + nlen - 7, "Storage", 7))
        return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: torch.%.*s: only float32/float64 tensors are read", m->what, nlen,
                      name);
    for (int k = 0; k < ml; k++)
        if (mod[k] < 0x20 || mod[k] > 0x7e) ml = k;
    for (int k = 0; k < nlen; k++)
        if (name[k] < 0x20 || name[k] > 0x7e) nlen = k;
    return BB_ERR(ctx, BB_EUNSUPPORTED,
                  "%s: pickle global '%.*s.%.*s' is not allowed (only what torch.save writes for one float tensor)",
                  m->what, ml, mod, nlen, name);
}

/* BINPERSID: ('storage', torch.FloatStorage|DoubleStorage, key, location, numel) -> storage. */
static int do_persid(vm *m, size_t at, bb_ctx *ctx) {
    int t = 0, rc = pop(m, &t, at, ctx);
    if (rc) return rc;
    const pv *x = &m->v[t];
    const pv *it[5];
    if (x->kind == V_TUPLE && x->n == 5)
        for (int k = 0; k < 5; k++) it[k] = &m->v[m->items[x->first + k]];
    if (x->kind != V_TUPLE || x->n != 5 || !str_is(it[0], "storage") || it[1]->kind != V_GLOBAL ||
        (it[1]->g != G_FLOAT && it[1]->g != G_DOUBLE) || it[2]->kind != V_STR || it[3]->kind != V_STR ||
        it[4]->kind != V_INT || it[4]->i < 0)
        return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: persistent id at byte %zu is not a float storage reference", m->what,
                      at);
    int s = new_value(m, V_STORAGE, ctx);
    if (s < 0) return -s;
    m->v[s].g = it[1]->g;
    m->v[s].s = it[2]->s;
    m->v[s].slen = it[2]->slen;
    m->v[s].i = it[4]->i;
    return push(m, s, ctx);
}

/* REDUCE: OrderedDict() or _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks). */
static int do_reduce(vm *m, size_t at, bb_ctx *ctx) {
    int a = 0, f = 0, rc = pop(m, &a, at, ctx);
    if (rc == BB_OK) rc = pop(m, &f, at, ctx);
    if (rc) return rc;
    const pv *args = &m->v[a], *fn = &m->v[f];
    if (fn->kind != V_GLOBAL || args->kind != V_TUPLE || fn->g == G_FLOAT || fn->g == G_DOUBLE)
        return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: REDUCE at byte %zu calls something other than what torch writes",
                      m->what, at);
    if (fn->g == G_ODICT) {
        if (args->n != 0)
            return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: a non-empty OrderedDict (byte %zu) is not a tensor's hooks",
                          m->what, at);
        int v = new_value(m, V_ODICT, ctx);
        return push(m, v, ctx);
    }
    const int *it = &m->items[args->first];
    if (args->n != 6 || m->v[it[0]].kind != V_STORAGE || m->v[it[1]].kind != V_INT || m->v[it[2]].kind != V_TUPLE ||
        m->v[it[3]].kind != V_TUPLE || m->v[it[4]].kind != V_BOOL || m->v[it[5]].kind != V_ODICT)
        return BB_ERR(ctx, BB_EUNSUPPORTED,
                      "%s: _rebuild_tensor_v2 at byte %zu has arguments other than (storage, offset, size, stride, "
                      "requires_grad, hooks)",
                      m->what, at);
    int v = new_value(m, V_TENSOR, ctx);
    if (v >= 0) m->v[v].first = a;
    return push(m, v, ctx);
}

/* Run the pickle; on success *tensor is the index of the resulting tensor value. */
static int run_pickle(vm *m, const unsigned char *p, size_t len, int *tensor, bb_ctx *ctx) {
    for (int k = 0; k < PT_MAX_MEMO; k++) m->memo[k] = -1;
    size_t i = 0;
    int rc = BB_OK;
    while (rc == BB_OK) {
        if (i >= len) return BB_ERR(ctx, BB_EFORMAT, "%s: pickle ends without STOP", m->what);
        size_t at = i, avail = len - i - 1;
        const unsigned char *q = p + i + 1;
        unsigned op = p[i++];
        int v;
        switch (op) {
            case 0x80: /* PROTO */
                if (avail < 1) return BB_ERR(ctx, BB_EFORMAT, "%s: truncated pickle", m->what);
                if (q[0] != 2)
                    return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: pickle protocol %u (torch.save writes 2)", m->what,
                                  (unsigned)q[0]);
                i++;
                break;
            case 'c': {
                size_t used = 0;
                rc = do_global(m, q, avail, &used, at, ctx);
                i += used;
                break;
            }
            case 'q': /* BINPUT */
            case 'r': /* LONG_BINPUT */
            case 'h': /* BINGET */
            case 'j': /* LONG_BINGET */ {
                int wide = op == 'r' || op == 'j';
                if (avail < (size_t)(wide ? 4 : 1)) return BB_ERR(ctx, BB_EFORMAT, "%s: truncated pickle", m->what);
                uint32_t idx = wide ? le(q, 4) : q[0];
                i += wide ? 4 : 1;
                if (idx >= PT_MAX_MEMO)
                    return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: pickle memo index %u beyond %d", m->what, (unsigned)idx,
                                  PT_MAX_MEMO);
                if (op == 'q' || op == 'r') {
                    if (m->sp == 0 || m->v[m->stack[m->sp - 1]].kind == V_MARK)
                        return BB_ERR(ctx, BB_EFORMAT, "%s: pickle stack underflow at byte %zu", m->what, at);
                    m->memo[idx] = m->stack[m->sp - 1];
                } else {
                    if (m->memo[idx] < 0)
                        return BB_ERR(ctx, BB_EFORMAT, "%s: pickle memo %u read before written", m->what,
                                      (unsigned)idx);
                    rc = push(m, m->memo[idx], ctx);
                }
                break;
            }
            case '(': rc = push(m, new_value(m, V_MARK, ctx), ctx); break;
            case 'X': /* BINUNICODE */ {
                if (avail < 4) return BB_ERR(ctx, BB_EFORMAT, "%s: truncated pickle", m->what);
                uint32_t n = le(q, 4);
                if (avail - 4 < n) return BB_ERR(ctx, BB_EFORMAT, "%s: truncated pickle string", m->what);
                v = new_value(m, V_STR, ctx);
                if (v >= 0) {
                    m->v[v].s = (const char *)q + 4;
                    m->v[v].slen = n;
                }
                i += 4 + (size_t)n;
                rc = push(m, v, ctx);
                break;
            }
            case 'J': /* BININT */
            case 'K': /* BININT1 */
            case 'M': /* BININT2 */
            case 0x8a: /* LONG1 */ {
                size_t n = op == 'J' ? 4 : op == 'K' ? 1 : op == 'M' ? 2 : 0;
                int64_t val = 0;
                if (op == 0x8a) {
                    if (avail < 1) return BB_ERR(ctx, BB_EFORMAT, "%s: truncated pickle", m->what);
                    n = q[0];
                    if (n > 8)
                        return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: integer of %zu bytes at byte %zu", m->what, n, at);
                    if (avail - 1 < n) return BB_ERR(ctx, BB_EFORMAT, "%s: truncated pickle", m->what);
                    uint64_t u = 0;
                    for (size_t k = n; k-- > 0;) u = u << 8 | q[1 + k];
                    if (n > 0 && n < 8 && (q[n] & 0x80)) u |= ~(uint64_t)0 << (8 * n); /* sign-extend */
                    memcpy(&val, &u, sizeof val);
                    i += 1 + n;
                } else {
                    if (avail < n) return BB_ERR(ctx, BB_EFORMAT, "%s: truncated pickle", m->what);
                    uint32_t u = le(q, (int)n);
                    val = op == 'J' ? (int64_t)(int32_t)u : (int64_t)u;
                    i += n;
                }
                v = new_value(m, V_INT, ctx);
                if (v >= 0) m->v[v].i = val;
                rc = push(m, v, ctx);
                break;
            }
            case 'N': rc = push(m, new_value(m, V_NONE, ctx), ctx); break;
            case 0x88: /* NEWTRUE */
            case 0x89: /* NEWFALSE */
                v = new_value(m, V_BOOL, ctx);
                if (v >= 0) m->v[v].i = op == 0x88;
                rc = push(m, v, ctx);
                break;
            case ')': rc = make_tuple(m, 0, at, ctx); break;
            case 't': rc = make_tuple(m, -1, at, ctx); break;
            case 0x85: rc = make_tuple(m, 1, at, ctx); break;
            case 0x86: rc = make_tuple(m, 2, at, ctx); break;
            case 0x87: rc = make_tuple(m, 3, at, ctx); break;
            case 'Q': rc = do_persid(m, at, ctx); break;
            case 'R': rc = do_reduce(m, at, ctx); break;
            case '.': /* STOP */
                if (m->sp != 1 || m->v[m->stack[0]].kind != V_TENSOR)
                    return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: the pickle's result is not one tensor", m->what);
                if (i != len) return BB_ERR(ctx, BB_EFORMAT, "%s: %zu bytes after the pickle's STOP", m->what, len - i);
                *tensor = m->stack[0];
                return BB_OK;
            case '}':
            case ']':
                return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: the pickle holds a %s, not one tensor", m->what,
                              op == '}' ? "dict" : "list");
            default:
                return BB_ERR(ctx, BB_EUNSUPPORTED,
                              "%s: pickle opcode 0x%02x at byte %zu is outside what torch.save writes for one tensor",
                              m->what, op, at);
        }
    }
    return rc;
}

/* Copy the tensor out of its storage bytes into a float64 row-major array. */
static int build_array(const vm *m, int tensor, const unsigned char *st, size_t st_len, size_t max_bytes, bb_array *out,
                       bb_ctx *ctx) {
    const pv *args = &m->v[m->v[tensor].first];
    const int *it = &m->items[args->first];
    const pv *storage = &m->v[it[0]], *size = &m->v[it[2]], *stride = &m->v[it[3]];
    int64_t offset = m->v[it[1]].i;
    size_t el = storage->g == G_FLOAT ? 4 : 8;
    if (size->n > BB_NPY_MAX_DIM || stride->n != size->n)
        return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: tensor of %d dimensions with %d strides", m->what, size->n, stride->n);
    uint64_t numel = 1;
    int64_t want = 1;
    for (int k = size->n - 1; k >= 0; k--) {
        const pv *sk = &m->v[m->items[size->first + k]], *tk = &m->v[m->items[stride->first + k]];
        if (sk->kind != V_INT || tk->kind != V_INT || sk->i < 0 || tk->i < 0)
            return BB_ERR(ctx, BB_EFORMAT, "%s: tensor size/stride is not a tuple of non-negative ints", m->what);
        out->shape[k] = (size_t)sk->i;
        if (sk->i != 1 && tk->i != want)
            return BB_ERR(ctx, BB_EUNSUPPORTED,
                          "%s: tensor is not contiguous (stride %lld of dimension %d, expected %lld); save "
                          "x.contiguous()",
                          m->what, (long long)tk->i, k, (long long)want);
        if (sk->i && (uint64_t)want > (uint64_t)INT64_MAX / (uint64_t)sk->i)
            return BB_ERR(ctx, BB_EFORMAT, "%s: tensor size overflows", m->what);
        want *= sk->i;
        if (sk->i && numel > UINT64_MAX / (uint64_t)sk->i)
            return BB_ERR(ctx, BB_EFORMAT, "%s: tensor size overflows", m->what);
        numel *= (uint64_t)sk->i;
    }
    if (numel > max_bytes / 8)
        return BB_ERR(ctx, BB_ENOMEM, "%s: tensor of %llu elements exceeds the %zu-byte limit", m->what,
                      (unsigned long long)numel, max_bytes);
    if (offset < 0 || (uint64_t)storage->i < (uint64_t)offset || (uint64_t)storage->i - (uint64_t)offset < numel)
        return BB_ERR(ctx, BB_EFORMAT, "%s: tensor (offset %lld, %llu elements) outside its storage of %lld", m->what,
                      (long long)offset, (unsigned long long)numel, (long long)storage->i);
    if ((uint64_t)st_len / el != (uint64_t)storage->i || st_len % el)
        return BB_ERR(ctx, BB_EFORMAT, "%s: storage member of %zu bytes, expected %lld × %zu", m->what, st_len,
                      (long long)storage->i, el);
    out->ndim = size->n;
    out->n = (size_t)numel;
    out->data = malloc(numel ? (size_t)numel * sizeof(double) : sizeof(double));
    if (!out->data)
        return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory for %llu values", m->what, (unsigned long long)numel);
    const unsigned char *src = st + (size_t)offset * el;
    for (size_t k = 0; k < (size_t)numel; k++, src += el) {
        if (el == 4) {
            uint32_t u = le(src, 4);
            float f;
            memcpy(&f, &u, sizeof f);
            out->data[k] = (double)f;
        } else {
            uint64_t u = (uint64_t)le(src, 4) | (uint64_t)le(src + 4, 4) << 32;
            memcpy(&out->data[k], &u, sizeof u);
        }
    }
    snprintf(out->dtype, sizeof out->dtype, "%s", el == 4 ? "<f4" : "<f8");
    return BB_OK;
}

/* The one member called <prefix>/<rest>, or *found = 0. */
static int find_member(const void *buf, size_t len, const char *what, const char *prefix, size_t plen, const char *rest,
                       size_t rlen, bb_zip *z, bb_zip_entry *e, int *found, bb_ctx *ctx) {
    *found = 0;
    int rc = bb_zip_open(z, buf, len, what, ctx), done = 0;
    while (rc == BB_OK && !(rc = bb_zip_next(z, e, &done, ctx)) && !done) {
        size_t nl = strlen(e->name);
        if (nl == plen + 1 + rlen && !memcmp(e->name, prefix, plen) && e->name[plen] == '/' &&
            !memcmp(e->name + plen + 1, rest, rlen)) {
            *found = 1;
            return BB_OK;
        }
    }
    return rc;
}

int bb_pt_parse(const void *buf, size_t len, const char *what, size_t max_bytes, bb_array *out, bb_ctx *ctx) {
    memset(out, 0, sizeof *out);
    const unsigned char *b = buf;
    if (len >= 2 && b[0] == 0x80 && b[1] == 0x02)
        return BB_ERR(ctx, BB_EUNSUPPORTED,
                      "%s: legacy torch.save format (torch < 1.6 or _use_new_zipfile_serialization=False); re-save "
                      "it with torch >= 1.6",
                      what);
    /* data.pkl: exactly one member <prefix>/data.pkl with a prefix without '/'. */
    bb_zip z;
    bb_zip_entry e, pk;
    memset(&pk, 0, sizeof pk);
    int done = 0, n_pkl = 0;
    int rc = bb_zip_open(&z, buf, len, what, ctx);
    while (rc == BB_OK && !(rc = bb_zip_next(&z, &e, &done, ctx)) && !done) {
        size_t nl = strlen(e.name);
        const char *slash = strchr(e.name, '/');
        if (nl > 9 && !strcmp(e.name + nl - 9, "/data.pkl") && slash == e.name + nl - 9) {
            pk = e;
            n_pkl++;
        }
    }
    if (rc) return rc;
    if (n_pkl != 1)
        return BB_ERR(ctx, BB_EFORMAT, "%s: %s", what,
                      n_pkl ? "more than one data.pkl member" : "no <archive>/data.pkl member (not a torch.save file)");
    size_t plen = strlen(pk.name) - 9;
    char prefix[256];
    memcpy(prefix, pk.name, plen);
    prefix[plen] = '\0';
    vm *m = malloc(sizeof *m);
    if (!m) return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", what);
    memset(m, 0, sizeof *m);
    m->what = what;
    const unsigned char *pkl;
    unsigned char *pkl_own = NULL;
    int tensor = -1, found = 0;
    if ((rc = bb_zip_extract(&z, &pk, PT_MAX_PICKLE, &pkl, &pkl_own, ctx)) == BB_OK)
        rc = run_pickle(m, pkl, (size_t)pk.usize, &tensor, ctx);
    free(pkl_own);
    if (rc == BB_OK) rc = find_member(buf, len, what, prefix, plen, "byteorder", 9, &z, &e, &found, ctx);
    if (rc == BB_OK && found) {
        const unsigned char *bo;
        unsigned char *own;
        if ((rc = bb_zip_extract(&z, &e, 64, &bo, &own, ctx)) == BB_OK) {
            if (e.usize != 6 || memcmp(bo, "little", 6))
                rc = BB_ERR(ctx, BB_EUNSUPPORTED, "%s: storage byte order is not little-endian", what);
            free(own);
        }
    }
    if (rc == BB_OK) {
        const pv *storage = &m->v[m->items[m->v[m->v[tensor].first].first]];
        char rest[300];
        int rl = snprintf(rest, sizeof rest, "data/%.*s", (int)(storage->slen > 200 ? 200 : storage->slen), storage->s);
        rc = find_member(buf, len, what, prefix, plen, rest, (size_t)rl, &z, &e, &found, ctx);
        if (rc == BB_OK && !found)
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: storage member %s/%s is missing", what, prefix, rest);
        const unsigned char *st;
        unsigned char *st_own = NULL;
        if (rc == BB_OK && (rc = bb_zip_extract(&z, &e, max_bytes, &st, &st_own, ctx)) == BB_OK)
            rc = build_array(m, tensor, st, (size_t)e.usize, max_bytes, out, ctx);
        free(st_own);
    }
    free(m);
    if (rc) bb_array_free(out);
    return rc;
}

int bb_pt_read(const char *path, size_t max_bytes, bb_array *out, bb_ctx *ctx) {
    memset(out, 0, sizeof *out);
    char *buf;
    size_t len;
    int rc = bb_zip_read_archive(path, max_bytes, &buf, &len, ctx);
    if (rc) return rc;
    rc = bb_pt_parse(buf, len, path, max_bytes, out, ctx);
    free(buf);
    return rc;
}
