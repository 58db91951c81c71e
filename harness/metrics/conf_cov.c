/* conf_cov.c — CREST reference reader, sample check and COV/AMR statistics (conf_cov.h).
 *
 * Reference file (text, gzip; datasets/conformers/prepare_crest.py), one record a line:
 *   boltzbench-crest-heavy 1 · molecule <hash> · smiles <s> · source <s> · atoms N ·
 *   heavy H i_1 … i_H · stereo S agreeing A signs_from_conformer C · S lines "centre c a b d s" or
 *   "double a b na nb s" · conformers K of T · K times: "conformer k <comment>" then H lines "x y z" · end
 * The file's sha256 is checked against the SHA256SUMS in its folder.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/fileio.h"
#include "harness/core/gz.h"
#include "harness/core/source_dir.h"
#include "harness/metrics/conf_cov.h"
#include "harness/metrics/confmin.h"

#define CREST_MAX_BYTES ((size_t)64 << 20)

int bb_crest_path(const char *hash, char *out, size_t len) {
    int w = snprintf(out, len, "%s/datasets/conformers/crest/%s.heavy.gz", bb_source_dir(), hash);
    return (w > 0 && (size_t)w < len) ? BB_OK : BB_EINVAL;
}

void bb_crest_free(bb_crest *c) {
    if (!c) return;
    free(c->heavy);
    free(c->x);
    free(c->stereo);
    memset(c, 0, sizeof *c);
}

/* The sha256 listed for `file` in the SHA256SUMS of the folder of `path`. */
static int listed_sha(const char *path, const char *file, char sha[65], bb_ctx *ctx) {
    char sums[4096];
    const char *slash = strrchr(path, '/');
    int w = snprintf(sums, sizeof sums, "%.*sSHA256SUMS", slash ? (int)(slash - path + 1) : 0, path);
    if (w < 0 || (size_t)w >= sizeof sums) return BB_ERR(ctx, BB_EINVAL, "%s: path too long", path);
    char *text = NULL;
    size_t len = 0;
    int rc = bb_read_file(sums, (size_t)1 << 20, &text, &len, ctx);
    if (rc) return rc;
    rc = BB_ERR(ctx, BB_EHASH, "%s: %s is not listed there", sums, file);
    for (char *ln = strtok(text, "\n"); ln; ln = strtok(NULL, "\n")) {
        char h[80], name[256];
        if (sscanf(ln, "%79s %255s", h, name) == 2 && strcmp(name, file) == 0 && strlen(h) == 64) {
            memcpy(sha, h, 65);
            rc = BB_OK;
            break;
        }
    }
    free(text);
    return rc;
}

typedef struct cur {
    char *p, *end;
    int lineno;
    const char *name;
    bb_ctx *ctx;
} cur;

/* Next line, NUL-terminated in place, or NULL at the end. */
static char *next_line(cur *c) {
    if (c->p >= c->end) return NULL;
    char *s = c->p, *nl = memchr(s, '\n', (size_t)(c->end - s));
    if (nl)
        *nl = 0, c->p = nl + 1;
    else
        c->p = c->end;
    c->lineno++;
    return s;
}

static int bad(cur *c, const char *field, const char *what) {
    return BB_ERR(c->ctx, BB_EFORMAT, "%s: line %d: %s: %s", c->name, c->lineno, field, what);
}

/* Line starting with `key` (and a space or its end); OUT *rest: what follows. */
static int expect(cur *c, const char *key, char **rest) {
    char *s = next_line(c);
    size_t k = strlen(key);
    if (!s) return bad(c, key, "missing (file truncated)");
    if (strncmp(s, key, k) != 0 || (s[k] != ' ' && s[k] != 0)) return bad(c, key, "expected here");
    *rest = s + k;
    return BB_OK;
}

static int parse_body(cur *c, const char *hash, int natom, bb_crest *o) {
    char *r, *e;
    int rc;
    if ((rc = expect(c, "boltzbench-crest-heavy", &r))) return rc;
    if (strtol(r, &e, 10) != 1) return bad(c, "version", "only version 1 is read");
    if ((rc = expect(c, "molecule", &r))) return rc;
    if (strcmp(r + 1, hash) != 0) return bad(c, "molecule", "another molecule's file");
    if ((rc = expect(c, "smiles", &r)) || (rc = expect(c, "source", &r))) return rc;
    if ((rc = expect(c, "atoms", &r))) return rc;
    long na = strtol(r, &e, 10);
    if (na != natom) return bad(c, "atoms", "the task has a different atom count");
    o->natom = natom;
    if ((rc = expect(c, "heavy", &r))) return rc;
    long nh = strtol(r, &e, 10);
    if (nh < 1 || nh > natom) return bad(c, "heavy", "count out of range");
    o->nheavy = (int)nh;
    if (!(o->heavy = malloc((size_t)nh * sizeof(int)))) return BB_ERR(c->ctx, BB_ENOMEM, "%s: out of memory", c->name);
    for (long h = 0; h < nh; h++) {
        long v = strtol(e, &e, 10);
        if (v < 0 || v >= natom || (h > 0 && v <= o->heavy[h - 1])) return bad(c, "heavy", "index out of range");
        o->heavy[h] = (int)v;
    }
    if ((rc = expect(c, "stereo", &r))) return rc;
    long ns = strtol(r, &e, 10);
    if (ns < 0 || ns > natom) return bad(c, "stereo", "count out of range");
    o->n_stereo = (int)ns;
    if (!(o->stereo = malloc((size_t)(ns ? ns : 1) * 6 * sizeof(int))))
        return BB_ERR(c->ctx, BB_ENOMEM, "%s: out of memory", c->name);
    for (long s = 0; s < ns; s++) {
        char *ln = next_line(c), kind[16];
        int *v = o->stereo + 6 * s;
        if (!ln || sscanf(ln, "%15s %d %d %d %d %d", kind, v + 1, v + 2, v + 3, v + 4, v + 5) != 6)
            return bad(c, "stereo", "expected 'centre|double i j k l sign'");
        v[0] = !strcmp(kind, "centre") ? BB_STEREO_CENTRE : !strcmp(kind, "double") ? BB_STEREO_DOUBLE : -1;
        if (v[0] < 0) return bad(c, "stereo", "kind must be centre or double");
        for (int k = 1; k < 5; k++)
            if (v[k] < 0 || v[k] >= natom) return bad(c, "stereo", "atom index out of range");
        if (v[5] != 1 && v[5] != -1) return bad(c, "stereo", "sign must be 1 or -1");
    }
    if ((rc = expect(c, "conformers", &r))) return rc;
    long k = strtol(r, &e, 10), tot = 0;
    if (sscanf(e, " of %ld", &tot) != 1 || k < 1 || k > BB_CONF_COV_MAX_REFS || tot < k)
        return bad(c, "conformers", "expected 'K of T', 1 <= K <= 512, K <= T");
    o->n = (size_t)k;
    o->n_total = (size_t)tot;
    if (!(o->x = calloc((size_t)k * 3 * natom, sizeof(double))))
        return BB_ERR(c->ctx, BB_ENOMEM, "%s: out of memory", c->name);
    for (long i = 0; i < k; i++) {
        if ((rc = expect(c, "conformer", &r))) return rc;
        if (strtol(r, &e, 10) != i) return bad(c, "conformer", "out of order");
        for (int h = 0; h < o->nheavy; h++) {
            char *ln = next_line(c);
            double *p = o->x + ((size_t)i * natom + o->heavy[h]) * 3;
            if (!ln || sscanf(ln, "%lf %lf %lf", p, p + 1, p + 2) != 3 || !isfinite(p[0] + p[1] + p[2]))
                return bad(c, "coordinates", "expected three finite numbers");
        }
    }
    if ((rc = expect(c, "end", &r))) return rc;
    return BB_OK;
}

int bb_crest_read(const char *path, const char *hash, int natom, bb_crest *out, bb_ctx *ctx) {
    memset(out, 0, sizeof *out);
    char want[65], got[65];
    const char *slash = strrchr(path, '/');
    int rc = listed_sha(path, slash ? slash + 1 : path, want, ctx);
    if (rc) return rc;
    if ((rc = bb_sha256_file(path, got, ctx))) return rc;
    if (strcmp(want, got) != 0)
        return BB_ERR(ctx, BB_EHASH, "%s: sha256 %s, SHA256SUMS lists %s (rerun prepare_crest.py?)", path, got, want);
    unsigned char *text = NULL;
    size_t len = 0;
    if ((rc = bb_gunzip_file(path, CREST_MAX_BYTES, &text, &len, ctx))) return rc;
    cur c = {(char *)text, (char *)text + len, 0, path, ctx};
    rc = parse_body(&c, hash, natom, out);
    free(text);
    if (rc) bb_crest_free(out);
    return rc;
}

/* RDKit 2022.09 GetRcovalent (Å); 0: not known (then no bond is perceived for that atom). */
static double rcov(const char *el) {
    static const struct {
        const char *el;
        double r;
    } t[] = {{"H", 0.23}, {"B", 0.83}, {"C", 0.68},  {"N", 0.68},  {"O", 0.68},  {"F", 0.64}, {"Si", 1.2},
             {"P", 0.75}, {"S", 1.02}, {"Cl", 0.99}, {"Se", 1.22}, {"Br", 1.21}, {"I", 1.4}};
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++)
        if (!strcmp(t[k].el, el)) return t[k].r;
    return 0.0;
}

/* The sign-carrying quantity of stereo element v ([kind, 4 atoms, sign]): a centre's signed volume, or
 * for a double bond a=b with substituents c on a and d on b, cos of the dihedral c-a-b-d. */
static double stereo_sign(const int *v, const double *x) {
    if (v[0] == BB_STEREO_CENTRE) return bb_conf_signed_volume(x, v + 1);
    const int q[4] = {v[3], v[1], v[2], v[4]};
    return bb_conf_dihedral_cos(x, q);
}

void bb_conf_check(const bb_mmff *ff, const bb_crest *c, const double *x, int *heavy_ok, int *all_ok) {
    int n = ff->natom, nb_heavy = 0, nb_all = 0, found_heavy = 0, found_all = 0;
    *heavy_ok = *all_ok = 0;
    for (int i = 0; i < 3 * n; i++)
        if (!isfinite(x[i])) return;
    /* every listed bond must be perceived, and no other pair: count perceived pairs of each kind */
    for (int b = 0; b < ff->nbond; b++) {
        int i = ff->bond_ij[2 * b], j = ff->bond_ij[2 * b + 1];
        double d2 = 0.0, r = rcov(ff->element[i]) + rcov(ff->element[j]) + 0.45;
        for (int k = 0; k < 3; k++) d2 += (x[3 * i + k] - x[3 * j + k]) * (x[3 * i + k] - x[3 * j + k]);
        int hh = ff->heavy[i] && ff->heavy[j], ok = d2 < r * r;
        found_all += ok;
        found_heavy += ok && hh;
        nb_heavy += hh;
    }
    nb_all = ff->nbond;
    int perceived_heavy = 0, perceived_all = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double d2 = 0.0, r = rcov(ff->element[i]) + rcov(ff->element[j]) + 0.45;
            for (int k = 0; k < 3; k++) d2 += (x[3 * i + k] - x[3 * j + k]) * (x[3 * i + k] - x[3 * j + k]);
            if (d2 < r * r) {
                perceived_all++;
                perceived_heavy += ff->heavy[i] && ff->heavy[j];
            }
        }
    *heavy_ok = found_heavy == nb_heavy && perceived_heavy == nb_heavy;
    int ok = found_all == nb_all && perceived_all == nb_all;
    for (int s = 0; ok && c && s < c->n_stereo; s++) {
        const int *v = c->stereo + 6 * s;
        double sg = stereo_sign(v, x);
        ok = v[5] > 0 ? sg > 0.0 : sg < 0.0;
    }
    *all_ok = ok;
}

int bb_conf_cov_stats(size_t nref, size_t ngen, const double *D, int nd, const double *deltas, double *cov_r,
                      double *amr_r, double *cov_p, double *amr_p) {
    for (int k = 0; k < nd; k++) cov_r[k] = cov_p[k] = NAN;
    *amr_r = *amr_p = NAN;
    size_t finite = 0;
    for (size_t i = 0; i < nref * ngen; i++) finite += !isnan(D[i]);
    if (finite == 0) return 0;
    for (int k = 0; k < nd; k++) cov_r[k] = cov_p[k] = 0.0;
    double sr = 0.0, sp = 0.0;
    size_t nr = 0, np_ = 0;
    for (size_t i = 0; i < nref; i++) { /* recall: per reference, the closest sample */
        double m = NAN;
        for (size_t j = 0; j < ngen; j++)
            if (!isnan(D[i * ngen + j]) && !(D[i * ngen + j] >= m)) m = D[i * ngen + j];
        if (isnan(m)) continue;
        sr += m, nr++;
        for (int k = 0; k < nd; k++) cov_r[k] += m < deltas[k];
    }
    for (size_t j = 0; j < ngen; j++) { /* precision: per sample, the closest reference */
        double m = NAN;
        for (size_t i = 0; i < nref; i++)
            if (!isnan(D[i * ngen + j]) && !(D[i * ngen + j] >= m)) m = D[i * ngen + j];
        if (isnan(m)) continue;
        sp += m, np_++;
        for (int k = 0; k < nd; k++) cov_p[k] += m < deltas[k];
    }
    for (int k = 0; k < nd; k++) cov_r[k] /= (double)nref, cov_p[k] /= (double)ngen;
    *amr_r = sr / (double)nr;
    *amr_p = sp / (double)np_;
    return 1;
}
