/* prmtop.c — AMBER prmtop/inpcrd reader (see prmtop.h).
 *
 * What it is: a two-step parser. Step 1 splits the text into lines and finds the sections:
 * for new-style files every "%FLAG NAME" line followed by optional "%COMMENT" lines and one
 * "%FORMAT(...)" line; for old-style files (no %FLAG) the AMBER 6 section order with its fixed
 * formats, where a section of n values spans ceil(n / per_line) lines (one blank line when
 * n = 0). Step 2 reads each needed section as fixed-width fields (a line holds at most
 * per_line fields; a shorter last line holds fewer) and checks the value count against the
 * count POINTERS implies. What it is not: a validator of chemistry — amber.c checks what it
 * needs (indices are range-checked here so nothing downstream can index out of bounds).
 */
#include "tasks/molecules/prmtop.h"

#include "harness/core/fileio.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct line_span {
    const char *p;
    size_t len; /* without '\n' or '\r' */
} line_span;

typedef struct section {
    char name[40];
    char type; /* 'a' string, 'i' integer, 'e' real */
    int per_line, width;
    size_t first;     /* index of first data line */
    size_t nlines;    /* data lines */
    size_t flag_line; /* 1-based line of the %FLAG (old style: first data line) */
} section;

typedef struct parser {
    const char *name;
    line_span *lines;
    size_t nlines;
    section *secs;
    size_t nsecs;
    bb_ctx *ctx;
} parser;

/* ---------------------------------------------------------------- lines and formats */

static int split_lines(parser *ps, const char *text, size_t len) {
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\n') n++;
    ps->lines = calloc(n, sizeof *ps->lines);
    if (!ps->lines) return BB_ERR(ps->ctx, BB_ENOMEM, "%s: out of memory", ps->name);
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || text[i] == '\n') {
            size_t l = i - start;
            while (l > 0 && text[start + l - 1] == '\r') l--;
            if (i == len && l == 0 && k > 0) break; /* trailing newline */
            ps->lines[k].p = text + start;
            ps->lines[k].len = l;
            k++;
            start = i + 1;
        }
    }
    ps->nlines = k;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\0') {
            size_t ln = 1;
            for (size_t j = 0; j < i; j++) ln += text[j] == '\n';
            return BB_ERR(ps->ctx, BB_EFORMAT, "%s: line %zu: NUL byte in a text file", ps->name, ln);
        }
    return BB_OK;
}

/* Length without trailing blanks: padded lines hold no extra fields. */
static size_t eff_len(const line_span *l) {
    size_t n = l->len;
    while (n > 0 && (l->p[n - 1] == ' ' || l->p[n - 1] == '\t')) n--;
    return n;
}

static int starts_with(const line_span *l, const char *s) {
    size_t n = strlen(s);
    return l->len >= n && memcmp(l->p, s, n) == 0;
}

/* Parse "(10I8)", "(5E16.8)", "(20a4)", "(1a80)", "(F12.7)". */
static int parse_format(const char *s, size_t len, char *type, int *per_line, int *width) {
    size_t i = 0;
    while (i < len && s[i] == ' ') i++;
    if (i >= len || s[i] != '(') return -1;
    i++;
    long count = 0;
    int have = 0;
    while (i < len && isdigit((unsigned char)s[i]) && count < 100000) {
        count = count * 10 + (s[i++] - '0');
        have = 1;
    }
    if (!have) count = 1;
    if (i >= len) return -1;
    char c = (char)tolower((unsigned char)s[i++]);
    if (c == 'a')
        *type = 'a';
    else if (c == 'i')
        *type = 'i';
    else if (c == 'e' || c == 'f' || c == 'd' || c == 'g')
        *type = 'e';
    else
        return -1;
    long w = 0;
    have = 0;
    while (i < len && isdigit((unsigned char)s[i]) && w < 100000) {
        w = w * 10 + (s[i++] - '0');
        have = 1;
    }
    if (!have || w <= 0 || w > 1024 || count <= 0 || count > 1024) return -1;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && isdigit((unsigned char)s[i])) i++;
    }
    if (i >= len || s[i] != ')') return -1;
    *per_line = (int)count;
    *width = (int)w;
    return 0;
}

static int add_section(parser *ps, const section *s, size_t *cap) {
    if (ps->nsecs == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        section *ns = realloc(ps->secs, nc * sizeof *ns);
        if (!ns) return BB_ERR(ps->ctx, BB_ENOMEM, "%s: out of memory", ps->name);
        ps->secs = ns;
        *cap = nc;
    }
    ps->secs[ps->nsecs++] = *s;
    return BB_OK;
}

static int scan_new_style(parser *ps) {
    size_t cap = 0;
    size_t i = 0;
    while (i < ps->nlines) {
        const line_span *l = &ps->lines[i];
        if (!starts_with(l, "%FLAG")) {
            if (starts_with(l, "%VERSION") || starts_with(l, "%COMMENT") || l->len == 0) {
                i++;
                continue;
            }
            return BB_ERR(ps->ctx, BB_EFORMAT, "%s: line %zu: data outside any %%FLAG section", ps->name, i + 1);
        }
        section s;
        memset(&s, 0, sizeof s);
        s.flag_line = i + 1;
        size_t a = 5;
        while (a < l->len && l->p[a] == ' ') a++;
        size_t b = a;
        while (b < l->len && l->p[b] != ' ') b++;
        if (b == a || b - a >= sizeof s.name)
            return BB_ERR(ps->ctx, BB_EFORMAT, "%s: line %zu: %%FLAG without a valid name", ps->name, i + 1);
        memcpy(s.name, l->p + a, b - a);
        i++;
        while (i < ps->nlines && starts_with(&ps->lines[i], "%COMMENT")) i++;
        if (i >= ps->nlines || !starts_with(&ps->lines[i], "%FORMAT"))
            return BB_ERR(ps->ctx, BB_EFORMAT, "%s: %%FLAG %s: line %zu: missing %%FORMAT line", ps->name, s.name,
                          i < ps->nlines ? i + 1 : ps->nlines);
        if (parse_format(ps->lines[i].p + 7, ps->lines[i].len - 7, &s.type, &s.per_line, &s.width))
            return BB_ERR(ps->ctx, BB_EFORMAT, "%s: %%FLAG %s: line %zu: unreadable %%FORMAT '%.*s'", ps->name, s.name,
                          i + 1, (int)(ps->lines[i].len > 60 ? 60 : ps->lines[i].len), ps->lines[i].p);
        i++;
        s.first = i;
        while (i < ps->nlines && !(ps->lines[i].len > 0 && ps->lines[i].p[0] == '%')) i++;
        s.nlines = i - s.first;
        for (size_t k = 0; k < ps->nsecs; k++)
            if (strcmp(ps->secs[k].name, s.name) == 0)
                return BB_ERR(ps->ctx, BB_EFORMAT, "%s: %%FLAG %s: line %zu: flag appears twice", ps->name, s.name,
                              s.flag_line);
        int rc = add_section(ps, &s, &cap);
        if (rc) return rc;
    }
    return BB_OK;
}

static const section *find_section(const parser *ps, const char *name) {
    for (size_t k = 0; k < ps->nsecs; k++)
        if (strcmp(ps->secs[k].name, name) == 0) return &ps->secs[k];
    return NULL;
}

/* ---------------------------------------------------------------- typed section reads */

/* "%FLAG NAME" for prmtop sections, the plain name for other files' sections ("coordinates"). */
static const char *label(const section *s, char buf[64]) {
    if (s->name[0] >= 'a' && s->name[0] <= 'z') return s->name;
    snprintf(buf, 64, "%%FLAG %s", s->name);
    return buf;
}

/* Read exactly `count` values of section `name` into out (int*, double* or char(*)[5]). */
static int read_values(parser *ps, const section *s, size_t count, char want, void *out) {
    char lb[64];
    if (s->type != want && !(want == 'e' && s->type == 'i'))
        return BB_ERR(ps->ctx, BB_EFORMAT, "%s: %s: line %zu: format type '%c' where '%c' is expected", ps->name,
                      label(s, lb), s->flag_line, s->type, want);
    size_t k = 0;
    char buf[1100];
    for (size_t li = 0; li < s->nlines; li++) {
        const line_span *l = &ps->lines[s->first + li];
        size_t ll = eff_len(l);
        size_t nf = (ll + (size_t)s->width - 1) / (size_t)s->width;
        if (nf > (size_t)s->per_line) nf = (size_t)s->per_line;
        for (size_t f = 0; f < nf; f++) {
            if (k >= count)
                return BB_ERR(ps->ctx, BB_EFORMAT, "%s: %s: line %zu: more values than the %zu expected", ps->name,
                              label(s, lb), s->first + li + 1, count);
            size_t off = f * (size_t)s->width;
            size_t w = ll - off < (size_t)s->width ? ll - off : (size_t)s->width;
            memcpy(buf, l->p + off, w);
            buf[w] = '\0';
            if (want == 'a') {
                char(*names)[5] = out;
                size_t n = w < 4 ? w : 4;
                memcpy(names[k], buf, n);
                names[k][n] = '\0';
                while (n > 0 && names[k][n - 1] == ' ') names[k][--n] = '\0';
                k++;
                continue;
            }
            char *p = buf;
            while (*p == ' ') p++;
            char *end = NULL;
            errno = 0;
            if (want == 'i') {
                long v = strtol(p, &end, 10);
                while (end && *end == ' ') end++;
                if (end == p || *end || errno || v < -2147483647L || v > 2147483647L)
                    return BB_ERR(ps->ctx, BB_EFORMAT, "%s: %s: line %zu: bad integer '%s'", ps->name, label(s, lb),
                                  s->first + li + 1, buf);
                ((int *)out)[k++] = (int)v;
            } else {
                for (char *q = p; *q; q++)
                    if (*q == 'D' || *q == 'd') *q = 'E';
                double v = strtod(p, &end);
                while (end && *end == ' ') end++;
                if (end == p || *end || !isfinite(v))
                    return BB_ERR(ps->ctx, BB_EFORMAT, "%s: %s: line %zu: bad number '%s'", ps->name, label(s, lb),
                                  s->first + li + 1, buf);
                ((double *)out)[k++] = v;
            }
        }
    }
    if (k != count)
        return BB_ERR(ps->ctx, BB_EFORMAT, "%s: %s: line %zu: %zu values where %zu are expected%s", ps->name,
                      label(s, lb), s->flag_line, k, count,
                      s->first + s->nlines >= ps->nlines ? " (file truncated?)" : "");
    return BB_OK;
}

/* Allocate and read a required (or optional, if `optional`) section. */
static int get_section(parser *ps, const char *name, size_t count, char want, int optional, void **out) {
    *out = NULL;
    const section *s = find_section(ps, name);
    if (!s) {
        if (optional) return BB_OK;
        return BB_ERR(ps->ctx, BB_EFORMAT, "%s: %%FLAG %s: missing", ps->name, name);
    }
    /* The section's lines can hold at most nlines·per_line values: refuse a larger declared count
     * before allocating for it (a hostile POINTERS block cannot make us allocate gigabytes). */
    if (count > s->nlines * (size_t)s->per_line)
        return BB_ERR(ps->ctx, BB_EFORMAT,
                      "%s: %%FLAG %s: line %zu: %zu values expected, the section holds at most %zu", ps->name, name,
                      s->flag_line, count, s->nlines * (size_t)s->per_line);
    size_t elem = want == 'a' ? 5 : want == 'i' ? sizeof(int) : sizeof(double);
    void *buf = calloc(count ? count : 1, elem);
    if (!buf) return BB_ERR(ps->ctx, BB_ENOMEM, "%s: %%FLAG %s: out of memory", ps->name, name);
    int rc = read_values(ps, s, count, want, buf);
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    return BB_OK;
}

/* ---------------------------------------------------------------- old-style layout */

/* AMBER 6 section order (after the title line and 30+ POINTERS in 12I6). `cnt` is an index
 * into the derived-count table filled by old_counts(). */
enum {
    C_NATOM,
    C_NTYPES2,
    C_NRES,
    C_NUMBND,
    C_NUMANG,
    C_NPTRA,
    C_NATYP,
    C_NLJ,
    C_BH,
    C_BA,
    C_TH,
    C_TA,
    C_PH,
    C_PA,
    C_NEXT,
    C_NPHB,
    C_COUNT
};
static const struct {
    const char *name;
    char type;
    int per_line, width, cnt;
} OLD_ORDER[] = {
    {"ATOM_NAME", 'a', 20, 4, C_NATOM},
    {"CHARGE", 'e', 5, 16, C_NATOM},
    {"MASS", 'e', 5, 16, C_NATOM},
    {"ATOM_TYPE_INDEX", 'i', 12, 6, C_NATOM},
    {"NUMBER_EXCLUDED_ATOMS", 'i', 12, 6, C_NATOM},
    {"NONBONDED_PARM_INDEX", 'i', 12, 6, C_NTYPES2},
    {"RESIDUE_LABEL", 'a', 20, 4, C_NRES},
    {"RESIDUE_POINTER", 'i', 12, 6, C_NRES},
    {"BOND_FORCE_CONSTANT", 'e', 5, 16, C_NUMBND},
    {"BOND_EQUIL_VALUE", 'e', 5, 16, C_NUMBND},
    {"ANGLE_FORCE_CONSTANT", 'e', 5, 16, C_NUMANG},
    {"ANGLE_EQUIL_VALUE", 'e', 5, 16, C_NUMANG},
    {"DIHEDRAL_FORCE_CONSTANT", 'e', 5, 16, C_NPTRA},
    {"DIHEDRAL_PERIODICITY", 'e', 5, 16, C_NPTRA},
    {"DIHEDRAL_PHASE", 'e', 5, 16, C_NPTRA},
    {"SOLTY", 'e', 5, 16, C_NATYP},
    {"LENNARD_JONES_ACOEF", 'e', 5, 16, C_NLJ},
    {"LENNARD_JONES_BCOEF", 'e', 5, 16, C_NLJ},
    {"BONDS_INC_HYDROGEN", 'i', 12, 6, C_BH},
    {"BONDS_WITHOUT_HYDROGEN", 'i', 12, 6, C_BA},
    {"ANGLES_INC_HYDROGEN", 'i', 12, 6, C_TH},
    {"ANGLES_WITHOUT_HYDROGEN", 'i', 12, 6, C_TA},
    {"DIHEDRALS_INC_HYDROGEN", 'i', 12, 6, C_PH},
    {"DIHEDRALS_WITHOUT_HYDROGEN", 'i', 12, 6, C_PA},
    {"EXCLUDED_ATOMS_LIST", 'i', 12, 6, C_NEXT},
    {"HBOND_ACOEF", 'e', 5, 16, C_NPHB},
    {"HBOND_BCOEF", 'e', 5, 16, C_NPHB},
};

static int scan_old_style(parser *ps, const int *ptr) {
    size_t cnt[C_COUNT];
    cnt[C_NATOM] = (size_t)ptr[0];
    cnt[C_NTYPES2] = (size_t)ptr[1] * (size_t)ptr[1];
    cnt[C_NRES] = (size_t)ptr[11];
    cnt[C_NUMBND] = (size_t)ptr[15];
    cnt[C_NUMANG] = (size_t)ptr[16];
    cnt[C_NPTRA] = (size_t)ptr[17];
    cnt[C_NATYP] = (size_t)ptr[18];
    cnt[C_NLJ] = (size_t)ptr[1] * ((size_t)ptr[1] + 1) / 2;
    cnt[C_BH] = 3 * (size_t)ptr[2];
    cnt[C_BA] = 3 * (size_t)ptr[3];
    cnt[C_TH] = 4 * (size_t)ptr[4];
    cnt[C_TA] = 4 * (size_t)ptr[5];
    cnt[C_PH] = 5 * (size_t)ptr[6];
    cnt[C_PA] = 5 * (size_t)ptr[7];
    cnt[C_NEXT] = (size_t)ptr[10];
    cnt[C_NPHB] = (size_t)ptr[19];
    size_t cap = ps->nsecs, line = 4; /* title + 3 POINTERS lines */
    for (size_t k = 0; k < sizeof OLD_ORDER / sizeof OLD_ORDER[0]; k++) {
        section s;
        memset(&s, 0, sizeof s);
        snprintf(s.name, sizeof s.name, "%s", OLD_ORDER[k].name);
        s.type = OLD_ORDER[k].type;
        s.per_line = OLD_ORDER[k].per_line;
        s.width = OLD_ORDER[k].width;
        size_t n = cnt[OLD_ORDER[k].cnt];
        s.nlines = n == 0 ? 1 : (n + (size_t)s.per_line - 1) / (size_t)s.per_line;
        s.first = line;
        s.flag_line = line + 1;
        if (line + s.nlines > ps->nlines)
            return BB_ERR(ps->ctx, BB_EFORMAT, "%s: %%FLAG %s: line %zu: file truncated (old-style layout)", ps->name,
                          s.name, ps->nlines);
        line += s.nlines;
        int rc = add_section(ps, &s, &cap);
        if (rc) return rc;
    }
    return BB_OK;
}

/* ---------------------------------------------------------------- checks */

static int check_range(parser *ps, const char *flag, const int *v, size_t n, long lo, long hi) {
    for (size_t i = 0; i < n; i++)
        if (v[i] < lo || v[i] > hi)
            return BB_ERR(ps->ctx, BB_EFORMAT, "%s: %%FLAG %s: value %d (entry %zu) outside [%ld, %ld]", ps->name, flag,
                          v[i], i + 1, lo, hi);
    return BB_OK;
}

/* Bond/angle/dihedral lists: `stride` ints per entry, the first stride-1 are atom pointers
 * (3·index, possibly negated for dihedral atoms 3 and 4), the last a 1-based type. */
static int check_list(parser *ps, const char *flag, const int *v, int n, int stride, int natom, int ntype) {
    for (int e = 0; e < n; e++) {
        for (int a = 0; a < stride - 1; a++) {
            int p = v[e * stride + a];
            int ap = p < 0 ? -p : p;
            if (p == -2147483647 - 1 || ap % 3 != 0 || ap / 3 >= natom || (p < 0 && (stride != 5 || a < 2)))
                return BB_ERR(ps->ctx, BB_EFORMAT, "%s: %%FLAG %s: entry %d: bad atom pointer %d", ps->name, flag,
                              e + 1, p);
        }
        int t = v[e * stride + stride - 1];
        if (t < 1 || t > ntype)
            return BB_ERR(ps->ctx, BB_EFORMAT, "%s: %%FLAG %s: entry %d: type %d outside [1, %d]", ps->name, flag,
                          e + 1, t, ntype);
    }
    return BB_OK;
}

void bb_prmtop_free(bb_prmtop *p) {
    if (!p) return;
    BB_FREE_ALL(p->atom_name, p->res_label, p->res_pointer, p->charge, p->mass, p->atom_type_index, p->nb_parm_index,
                p->lj_acoef, p->lj_bcoef, p->bond_k, p->bond_r0, p->angle_k, p->angle_t0, p->dih_k, p->dih_period,
                p->dih_phase, p->scee, p->scnb, p->bonds_h, p->bonds_a, p->angles_h, p->angles_a, p->dih_h, p->dih_a,
                p->num_excluded, p->excluded, p->radii, p->screen, p);
}

#define GET(flag, count, type, opt, dst)                                                                               \
    do {                                                                                                               \
        void *tmp_;                                                                                                    \
        rc = get_section(&ps, flag, (size_t)(count), type, opt, &tmp_);                                                \
        if (rc) goto out;                                                                                              \
        dst = tmp_;                                                                                                    \
    } while (0)

int bb_prmtop_parse(const char *text, size_t len, const char *name, bb_prmtop **out, bb_ctx *ctx) {
    *out = NULL;
    parser ps = {.name = name ? name : "(prmtop)", .ctx = ctx};
    bb_prmtop *p = NULL;
    int *ptr = NULL;
    double *hb_a = NULL, *hb_b = NULL;
    int rc = BB_OK;
    if (!text) return BB_ERR(ctx, BB_EINVAL, "%s: no text", ps.name);
    if (len > BB_PRMTOP_MAX_BYTES)
        return BB_ERR(ctx, BB_ENOMEM, "%s: larger than %zu bytes", ps.name, BB_PRMTOP_MAX_BYTES);
    rc = split_lines(&ps, text, len);
    if (rc) goto out;
    p = calloc(1, sizeof *p);
    if (!p) {
        rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", ps.name);
        goto out;
    }
    int new_style = 0;
    for (size_t i = 0; i < ps.nlines && i < 4; i++)
        if (starts_with(&ps.lines[i], "%VERSION") || starts_with(&ps.lines[i], "%FLAG")) new_style = 1;
    size_t nptr = 0;
    if (new_style) {
        rc = scan_new_style(&ps);
        if (rc) goto out;
        const section *s = find_section(&ps, "POINTERS");
        if (!s) {
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: %%FLAG POINTERS: missing", ps.name);
            goto out;
        }
        nptr = (size_t)s->per_line * s->nlines;
        if (nptr < 30 || nptr > 64) nptr = nptr < 30 ? 30 : 64;
        ptr = calloc(nptr, sizeof *ptr);
        if (!ptr) {
            rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", ps.name);
            goto out;
        }
        /* POINTERS holds 31 or 32 values depending on the AMBER version: read what is there. */
        size_t have = 0;
        for (size_t li = 0; li < s->nlines; li++) {
            size_t nf = (eff_len(&ps.lines[s->first + li]) + (size_t)s->width - 1) / (size_t)s->width;
            have += nf > (size_t)s->per_line ? (size_t)s->per_line : nf;
        }
        if (have < 30 || have > nptr) {
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: %%FLAG POINTERS: line %zu: %zu values, at least 30 expected", ps.name,
                        s->flag_line, have);
            goto out;
        }
        rc = read_values(&ps, s, have, 'i', ptr);
        if (rc) goto out;
        const section *t = find_section(&ps, "TITLE");
        if (t && t->nlines > 0) {
            size_t n = ps.lines[t->first].len < 80 ? ps.lines[t->first].len : 80;
            memcpy(p->title, ps.lines[t->first].p, n);
        }
    } else {
        p->old_style = 1;
        if (ps.nlines < 4) {
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: line %zu: file truncated before POINTERS", ps.name, ps.nlines);
            goto out;
        }
        size_t n = ps.lines[0].len < 80 ? ps.lines[0].len : 80;
        memcpy(p->title, ps.lines[0].p, n);
        section s = {
            .name = "POINTERS", .type = 'i', .per_line = 12, .width = 6, .first = 1, .nlines = 3, .flag_line = 2};
        size_t have = 0;
        for (size_t li = 1; li < 4; li++) {
            size_t nf = (eff_len(&ps.lines[li]) + 5) / 6;
            have += nf > 12 ? 12 : nf;
        }
        if (have < 30) {
            rc = BB_ERR(ctx, BB_EFORMAT,
                        "%s: %%FLAG POINTERS: line 2: %zu values, at least 30 expected (old-style layout)", ps.name,
                        have);
            goto out;
        }
        ptr = calloc(36, sizeof *ptr);
        if (!ptr) {
            rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", ps.name);
            goto out;
        }
        rc = read_values(&ps, &s, have, 'i', ptr);
        if (rc) goto out;
    }
    for (int k = 0; k < 30; k++)
        if (ptr[k] < 0 || ptr[k] > BB_PRMTOP_MAX_COUNT) {
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: %%FLAG POINTERS: value %d (entry %d) outside [0, %d]", ps.name, ptr[k],
                        k + 1, BB_PRMTOP_MAX_COUNT);
            goto out;
        }
    p->natom = ptr[0];
    p->ntypes = ptr[1];
    p->nbonh = ptr[2];
    p->mbona = ptr[3];
    p->ntheth = ptr[4];
    p->mtheta = ptr[5];
    p->nphih = ptr[6];
    p->mphia = ptr[7];
    p->next = ptr[10];
    p->nres = ptr[11];
    p->numbnd = ptr[15];
    p->numang = ptr[16];
    p->nptra = ptr[17];
    p->ifpert = ptr[20];
    p->ifbox = ptr[27];
    p->ifcap = ptr[29];
    if (p->natom < 1 || p->natom > BB_PRMTOP_MAX_ATOMS || p->ntypes < 1 || p->ntypes > BB_PRMTOP_MAX_TYPES ||
        p->nres < 1 || p->nres > p->natom) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: %%FLAG POINTERS: NATOM %d, NTYPES %d, NRES %d out of range", ps.name,
                    p->natom, p->ntypes, p->nres);
        goto out;
    }
    if (!new_style) {
        rc = scan_old_style(&ps, ptr);
        if (rc) goto out;
    }
    size_t N = (size_t)p->natom, T = (size_t)p->ntypes, nlj = T * (T + 1) / 2;
    GET("ATOM_NAME", N, 'a', 0, p->atom_name);
    GET("CHARGE", N, 'e', 0, p->charge);
    GET("MASS", N, 'e', 0, p->mass);
    GET("ATOM_TYPE_INDEX", N, 'i', 0, p->atom_type_index);
    GET("NUMBER_EXCLUDED_ATOMS", N, 'i', 0, p->num_excluded);
    GET("NONBONDED_PARM_INDEX", T * T, 'i', 0, p->nb_parm_index);
    GET("RESIDUE_LABEL", p->nres, 'a', 0, p->res_label);
    GET("RESIDUE_POINTER", p->nres, 'i', 0, p->res_pointer);
    GET("BOND_FORCE_CONSTANT", p->numbnd, 'e', 0, p->bond_k);
    GET("BOND_EQUIL_VALUE", p->numbnd, 'e', 0, p->bond_r0);
    GET("ANGLE_FORCE_CONSTANT", p->numang, 'e', 0, p->angle_k);
    GET("ANGLE_EQUIL_VALUE", p->numang, 'e', 0, p->angle_t0);
    GET("DIHEDRAL_FORCE_CONSTANT", p->nptra, 'e', 0, p->dih_k);
    GET("DIHEDRAL_PERIODICITY", p->nptra, 'e', 0, p->dih_period);
    GET("DIHEDRAL_PHASE", p->nptra, 'e', 0, p->dih_phase);
    GET("SCEE_SCALE_FACTOR", p->nptra, 'e', 1, p->scee);
    GET("SCNB_SCALE_FACTOR", p->nptra, 'e', 1, p->scnb);
    GET("LENNARD_JONES_ACOEF", nlj, 'e', 0, p->lj_acoef);
    GET("LENNARD_JONES_BCOEF", nlj, 'e', 0, p->lj_bcoef);
    GET("BONDS_INC_HYDROGEN", 3 * (size_t)p->nbonh, 'i', 0, p->bonds_h);
    GET("BONDS_WITHOUT_HYDROGEN", 3 * (size_t)p->mbona, 'i', 0, p->bonds_a);
    GET("ANGLES_INC_HYDROGEN", 4 * (size_t)p->ntheth, 'i', 0, p->angles_h);
    GET("ANGLES_WITHOUT_HYDROGEN", 4 * (size_t)p->mtheta, 'i', 0, p->angles_a);
    GET("DIHEDRALS_INC_HYDROGEN", 5 * (size_t)p->nphih, 'i', 0, p->dih_h);
    GET("DIHEDRALS_WITHOUT_HYDROGEN", 5 * (size_t)p->mphia, 'i', 0, p->dih_a);
    GET("EXCLUDED_ATOMS_LIST", p->next, 'i', 0, p->excluded);
    GET("HBOND_ACOEF", ptr[19], 'e', 1, hb_a);
    GET("HBOND_BCOEF", ptr[19], 'e', 1, hb_b);
    GET("RADII", N, 'e', 1, p->radii);
    GET("SCREEN", N, 'e', 1, p->screen);
    /* Sections not used here still must have their declared length: a file cut inside one of
     * them is truncated, not merely shorter. */
    {
        /* required: sections every AMBER 7+ writer (LEaP, ParmEd) emits, old-style files end at HBOND */
        int req = new_style;
        const struct {
            const char *flag;
            size_t count;
            char type;
            int required;
        } more[] = {
            {"SOLTY", (size_t)ptr[18], 'e', req},
            {"HBOND_ACOEF", (size_t)ptr[19], 'e', req},
            {"HBOND_BCOEF", (size_t)ptr[19], 'e', req},
            {"HBCUT", (size_t)ptr[19], 'e', req},
            {"AMBER_ATOM_TYPE", N, 'a', req},
            {"TREE_CHAIN_CLASSIFICATION", N, 'a', req},
            {"JOIN_ARRAY", N, 'i', req},
            {"IROTAT", N, 'i', req},
            {"ATOMIC_NUMBER", N, 'i', 0},
            {"RADIUS_SET", 1, 'a', 0},
        };
        for (size_t k = 0; k < sizeof more / sizeof more[0]; k++) {
            void *tmp = NULL;
            rc = get_section(&ps, more[k].flag, more[k].count, more[k].type, !more[k].required, &tmp);
            free(tmp);
            if (rc) goto out;
        }
    }
    if (find_section(&ps, "RADIUS_SET") && (!p->radii || !p->screen)) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: %%FLAG %s: missing after RADIUS_SET (file truncated?)", ps.name,
                    p->radii ? "SCREEN" : "RADII");
        goto out;
    }
    if ((p->radii == NULL) != (p->screen == NULL)) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: %%FLAG %s: missing while %s is present (file truncated?)", ps.name,
                    p->radii ? "SCREEN" : "RADII", p->radii ? "RADII" : "SCREEN");
        goto out;
    }
    for (int k = 0; k < ptr[19] && hb_a && hb_b; k++)
        if (hb_a[k] != 0.0 || hb_b[k] != 0.0) p->has_hbond_terms = 1;

    /* Cross-checks: every index points inside its table. */
    if ((rc = check_range(&ps, "ATOM_TYPE_INDEX", p->atom_type_index, N, 1, p->ntypes))) goto out;
    if ((rc = check_range(&ps, "NONBONDED_PARM_INDEX", p->nb_parm_index, T * T, -(long)nlj, (long)nlj))) goto out;
    if ((rc = check_range(&ps, "NUMBER_EXCLUDED_ATOMS", p->num_excluded, N, 0, p->natom))) goto out;
    if ((rc = check_range(&ps, "EXCLUDED_ATOMS_LIST", p->excluded, (size_t)p->next, 0, p->natom))) goto out;
    if ((rc = check_range(&ps, "RESIDUE_POINTER", p->res_pointer, (size_t)p->nres, 1, p->natom))) goto out;
    for (int r = 1; r < p->nres; r++)
        if (p->res_pointer[r] <= p->res_pointer[r - 1]) {
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: %%FLAG RESIDUE_POINTER: entry %d: not increasing", ps.name, r + 1);
            goto out;
        }
    long sum = 0;
    for (size_t i = 0; i < N; i++) sum += p->num_excluded[i];
    if (sum != p->next) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: %%FLAG NUMBER_EXCLUDED_ATOMS: sums to %ld, POINTERS NEXT is %d", ps.name, sum,
                    p->next);
        goto out;
    }
    if ((rc = check_list(&ps, "BONDS_INC_HYDROGEN", p->bonds_h, p->nbonh, 3, p->natom, p->numbnd))) goto out;
    if ((rc = check_list(&ps, "BONDS_WITHOUT_HYDROGEN", p->bonds_a, p->mbona, 3, p->natom, p->numbnd))) goto out;
    if ((rc = check_list(&ps, "ANGLES_INC_HYDROGEN", p->angles_h, p->ntheth, 4, p->natom, p->numang))) goto out;
    if ((rc = check_list(&ps, "ANGLES_WITHOUT_HYDROGEN", p->angles_a, p->mtheta, 4, p->natom, p->numang))) goto out;
    if ((rc = check_list(&ps, "DIHEDRALS_INC_HYDROGEN", p->dih_h, p->nphih, 5, p->natom, p->nptra))) goto out;
    if ((rc = check_list(&ps, "DIHEDRALS_WITHOUT_HYDROGEN", p->dih_a, p->mphia, 5, p->natom, p->nptra))) goto out;
    *out = p;
    p = NULL;
out:
    bb_prmtop_free(p);
    free(ptr);
    free(hb_a);
    free(hb_b);
    free(ps.lines);
    free(ps.secs);
    return rc;
}

int bb_prmtop_read(const char *path, bb_prmtop **out, bb_ctx *ctx) {
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = bb_read_file(path, BB_PRMTOP_MAX_BYTES, &text, &len, ctx);
    if (rc) return rc;
    rc = bb_prmtop_parse(text, len, path, out, ctx);
    free(text);
    return rc;
}

int bb_inpcrd_parse(const char *text, size_t len, const char *name, int natom, double *x_nm, bb_ctx *ctx) {
    parser ps = {.name = name ? name : "(inpcrd)", .ctx = ctx};
    if (!text) return BB_ERR(ctx, BB_EINVAL, "%s: no text", ps.name);
    int rc = split_lines(&ps, text, len);
    if (rc) goto out; /* split_lines may have allocated before finding a NUL byte */
    if (ps.nlines < 2) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: line %zu: file truncated before the atom count", ps.name, ps.nlines);
        goto out;
    }
    char buf[64];
    size_t n = ps.lines[1].len < 63 ? ps.lines[1].len : 63;
    memcpy(buf, ps.lines[1].p, n);
    buf[n] = '\0';
    char *end = NULL;
    errno = 0;
    long na = strtol(buf, &end, 10);
    if (end == buf || errno || (*end && *end != ' ')) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: line 2: bad atom count '%s'", ps.name, buf);
        goto out;
    }
    if (na != natom) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: line 2: %ld atoms, the topology has %d", ps.name, na, natom);
        goto out;
    }
    section s = {.name = "coordinates", .type = 'e', .per_line = 6, .width = 12, .first = 2, .flag_line = 3};
    size_t need = 3 * (size_t)natom;
    s.nlines = (need + 5) / 6;
    if (s.first + s.nlines > ps.nlines) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: line %zu: file truncated: %zu coordinate lines expected", ps.name, ps.nlines,
                    s.nlines);
        goto out;
    }
    rc = read_values(&ps, &s, need, 'e', x_nm);
    if (rc) goto out;
    for (size_t i = 0; i < need; i++) x_nm[i] *= 0.1; /* Å -> nm */
out:
    free(ps.lines);
    return rc;
}

int bb_inpcrd_read(const char *path, int natom, double *x_nm, bb_ctx *ctx) {
    char *text = NULL;
    size_t len = 0;
    int rc = bb_read_file(path, (size_t)16 << 20, &text, &len, ctx);
    if (rc) return rc;
    rc = bb_inpcrd_parse(text, len, path, natom, x_nm, ctx);
    free(text);
    return rc;
}
