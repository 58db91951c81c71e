/* peptide_tasks.c — the peptide task types aldp-fab@1, aldp-pita@1 and al3-pita@1.
 *
 * What it is: Boltzmann densities exp(−E(x)/RT) of capped alanine dipeptide (ALDP, 22 atoms)
 * and zwitterionic trialanine (AL3, 33 atoms) in GB-OBC1 implicit solvent, in the two published
 * setups (see docs/molecules.md): FAB/boltzgen's ff96 prmtop with no cutoff at 300 K, and PITA's
 * ff14SB with CutoffNonPeriodic 2 nm at a temperature parameter (default 300 K). Positions are
 * nm, row-major [N][P·3] in the prmtop's atom order; u = E/(R·T), E in kJ/mol,
 * R = 0.00831446261815324 kJ/mol/K (OpenMM 7.7). The topologies are compiled in (embedded.h).
 * initial() = the task's polished minimum structure + isotropic Gaussian noise of standard
 * deviation σ = √((3P − 6)·RT / tr H), tr H the Hessian trace at the minimum (finite
 * differences of the gradient at init): in the harmonic approximation the mean energy above
 * the minimum is then (3P − 6)·RT/2, equipartition for the internal degrees of freedom.
 * What it is not: an MD engine, or a task with constraints (all atoms move freely).
 */
#include "tasks/task.h"

#include "harness/core/jsonutil.h"
#include "tasks/molecules/amber.h"
#include "tasks/molecules/embedded.h"
#include "tasks/molecules/molecule.h"
#include "tasks/molecules/relax.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define R_KJ BB_R_KJ_PER_MOL_K /* kJ/mol/K, OpenMM 7.7 */

/* ALDP_FF96_MIN: global minimum of ../shared/reference/molecules/derived/minima-aldp-ff96-obc1-nocutoff.json (E = -173.1705 kJ/mol, phi -145.64, psi 160.90) */
static const double ALDP_FF96_MIN[66] = {
    0.187168,  0.122873,  0.064685,  0.195421,  0.219162,  0.014515,  0.126603,  0.289912,  0.060497,  0.171301,
    0.207139,  -0.090982, 0.336716,  0.271042,  0.027825,  0.421152,  0.205439,  0.088849,  0.361871,  0.388651,
    -0.029239, 0.284656,  0.434571,  -0.075334, 0.490695,  0.458633,  -0.027881, 0.546604,  0.428659,  0.060924,
    0.570232,  0.415942,  -0.152042, 0.516842,  0.445408,  -0.242475, 0.668339,  0.463515,  -0.151427, 0.583814,
    0.307744,  -0.151973, 0.473675,  0.612063,  -0.022254, 0.367250,  0.665940,  -0.055142, 0.579641,  0.683094,
    0.018493,  0.662660,  0.630530,  0.042477,  0.584085,  0.828837,  0.029914,  0.508078,  0.863249,  0.100304,
    0.682197,  0.860623,  0.065602,  0.565405,  0.874618,  -0.067405,
};
/* ALDP_FF14SB_MIN: global minimum of ../shared/reference/molecules/derived/minima-aldp-ff14sb-obc1-cut2nm.json (E = -163.5907 kJ/mol, phi -67.85, psi 154.10) */
static const double ALDP_FF14SB_MIN[66] = {
    0.226821,  0.146519,  -0.005211, 0.192592,  0.244316,  0.028252,  0.135502,  0.233554,  0.120345,  0.129845,
    0.289086,  -0.048652, 0.312264,  0.333250,  0.052753,  0.332156,  0.380891,  0.164538,  0.392082,  0.355119,
    -0.051563, 0.367583,  0.312199,  -0.139492, 0.510406,  0.441436,  -0.048291, 0.572185,  0.411461,  0.036546,
    0.591411,  0.417415,  -0.176254, 0.532844,  0.446565,  -0.263540, 0.683005,  0.476529,  -0.173526, 0.617927,
    0.311919,  -0.184106, 0.475843,  0.591083,  -0.030445, 0.367783,  0.637298,  -0.069240, 0.569935,  0.668095,
    0.025742,  0.656269,  0.623376,  0.053569,  0.556974,  0.811817,  0.049567,  0.471819,  0.831416,  0.114992,
    0.647457,  0.850224,  0.096976,  0.541699,  0.864231,  -0.044960,
};
/* AL3_FF14SB_MIN: tasks/molecules/data/al3-ff14sb-mbondi2.inpcrd relaxed with bb_amber_relax to max|F| < 5e-4 kJ/mol/nm
 * under the PITA setup (E = -515.0536 kJ/mol), printed to 1e-10 nm */
static const double AL3_FF14SB_MIN[99] = {
    -0.0008121605, 0.0046224462,  0.0233346346,  -0.0090752462, -0.0022385360, -0.0769214964, -0.0410207715,
    -0.0778946714, 0.0649108635,  -0.0530070517, 0.0851013550,  0.0543685118,  0.1417808056,  0.0172952257,
    0.0621878944,  0.1463614266,  0.0259401275,  0.1708259863,  0.2214627365,  -0.1079907501, 0.0216978917,
    0.2210736923,  -0.1196077728, -0.0868084745, 0.3246164622,  -0.0991602586, 0.0560713441,  0.1772062243,
    -0.1965933696, 0.0674236995,  0.2050095584,  0.1445715857,  0.0038274212,  0.1554350110,  0.2002167934,
    -0.0946678216, 0.3152886506,  0.1910568672,  0.0637025548,  0.3522183895,  0.1397972912,  0.1427568112,
    0.3906422343,  0.3102029531,  0.0224048664,  0.3818802564,  0.3224781962,  -0.0857262144, 0.3285168186,
    0.4332986439,  0.0899315087,  0.3808505882,  0.5234822371,  0.0580003613,  0.3361928594,  0.4241664724,
    0.1983552500,  0.2235108015,  0.4421855554,  0.0619293427,  0.5411215535,  0.2981100706,  0.0551628342,
    0.5812135344,  0.2178076056,  0.1403891226,  0.6237722473,  0.3794420653,  -0.0118072458, 0.5824669179,
    0.4436155336,  -0.0780797941, 0.7699332008,  0.3857395029,  0.0031316912,  0.7961950944,  0.3602759104,
    0.1058739779,  0.8339353281,  0.2816067533,  -0.0899195527, 0.9423256081,  0.2838141988,  -0.0781258037,
    0.8091871128,  0.3038911424,  -0.1937891496, 0.7979246004,  0.1817467625,  -0.0649363103, 0.8247143719,
    0.5275233104,  -0.0230131475, 0.7819265376,  0.5923260063,  -0.1214915939, 0.9103526074,  0.5736707463,
    0.0559000365,
};

typedef struct peptide_setup {
    const bb_embedded_file *prmtop, *crd;
    double cutoff_nm;      /* 0 = NoCutoff */
    const double *start;   /* structure to polish into the minimum; NULL = the crd file */
    int temperature_param; /* 1 if {"temperature": K} is accepted */
} peptide_setup;

typedef struct peptide_state {
    bb_amber *ff;
    bb_molecule_store mol;
    double temperature; /* K */
    double *xmin;       /* [P·3] polished minimum, nm */
    double emin;        /* kJ/mol */
    double sigma;       /* nm, initial() noise */
} peptide_state;

static const peptide_setup SETUP_ALDP_FAB = {&bb_embedded_aldp_ff96_mbondi2_prmtop, &bb_embedded_aldp_ff96_mbondi2_crd,
                                             0.0, ALDP_FF96_MIN, 0};
static const peptide_setup SETUP_ALDP_PITA = {&bb_embedded_aldp_ff14sb_mbondi2_prmtop,
                                              &bb_embedded_aldp_ff14sb_mbondi2_inpcrd, 2.0, ALDP_FF14SB_MIN, 1};
static const peptide_setup SETUP_AL3_PITA = {&bb_embedded_al3_ff14sb_mbondi2_prmtop,
                                             &bb_embedded_al3_ff14sb_mbondi2_inpcrd, 2.0, AL3_FF14SB_MIN, 1};

extern const bb_task_type bb_task_aldp_fab;
extern const bb_task_type bb_task_aldp_pita;
extern const bb_task_type bb_task_al3_pita;

static const peptide_setup *setup_of(const bb_task_type *tt) {
    if (tt == &bb_task_aldp_fab) return &SETUP_ALDP_FAB;
    if (tt == &bb_task_aldp_pita) return &SETUP_ALDP_PITA;
    if (tt == &bb_task_al3_pita) return &SETUP_AL3_PITA;
    return NULL;
}

const bb_molecule *bb_task_molecule(const bb_task *t) {
    if (!t || !setup_of(t->type) || !t->state) return NULL;
    const peptide_state *s = t->state;
    return s->ff ? &s->mol.mol : NULL;
}

double bb_task_temperature(const bb_task *t) {
    const bb_molecule *m = bb_task_molecule(t);
    return m ? ((const peptide_state *)t->state)->temperature : 0.0;
}

/* PITA's ladders (taraak/pita configs; ../shared/reference/tasks.md), ascending. */
static const double LADDER_ALDP[] = {300.0, 555.52, 755.95, 1200.0};
static const double LADDER_AL3[] = {300.0, 408.24, 555.52, 755.95, 1200.0};

const double *bb_task_temperature_ladder(const bb_task *t, size_t *n) {
    *n = 0;
    if (!bb_task_molecule(t)) return NULL;
    if (t->type == &bb_task_aldp_pita) {
        *n = sizeof LADDER_ALDP / sizeof *LADDER_ALDP;
        return LADDER_ALDP;
    }
    if (t->type == &bb_task_al3_pita) {
        *n = sizeof LADDER_AL3 / sizeof *LADDER_AL3;
        return LADDER_AL3;
    }
    return NULL;
}

static void peptide_cleanup(bb_task *t) {
    peptide_state *s = t->state;
    if (!s) return;
    bb_amber_free(s->ff);
    bb_molecule_store_free(&s->mol);
    free(s->xmin);
    memset(s, 0, sizeof *s);
}

static int parse_params(bb_task *t, const peptide_setup *su, const cJSON *params, double *T, bb_ctx *ctx) {
    *T = 300.0;
    if (!params) return BB_OK;
    if (!cJSON_IsObject(params)) return BB_ERR(ctx, BB_EINVAL, "task %s: params: must be a JSON object", t->id);
    const cJSON *it;
    cJSON_ArrayForEach(it, params) {
        if (su->temperature_param && strcmp(it->string, "temperature") == 0) {
            if (!cJSON_IsNumber(it) || !(it->valuedouble > 0.0) || !isfinite(it->valuedouble) || it->valuedouble > 1e5)
                return BB_ERR(ctx, BB_EINVAL, "task %s: params.temperature: must be a number in (0, 1e5] K", t->id);
            *T = it->valuedouble;
        } else {
            return BB_ERR(ctx, BB_EINVAL, "task %s: params.%s: unknown parameter%s", t->id, it->string,
                          su->temperature_param ? " (known: temperature)" : " (this task takes none)");
        }
    }
    return BB_OK;
}

/* The AMBER gradient for bb_equipartition_sigma (arg: the state; work allocated per call). */
static void amber_grad(void *arg, const double *x, double *g) {
    const peptide_state *s = arg;
    double *work = malloc((bb_amber_work_size(s->ff) + 1) * sizeof *work);
    if (!work) {
        for (size_t k = 0; k < 3 * (size_t)s->ff->natom; k++) g[k] = NAN; /* tr H NaN: reported */
        return;
    }
    bb_amber_energy(s->ff, x, g, NULL, work);
    free(work);
}

/* σ of initial(): √((3P − 6)·kT / tr H) (molecule.h). */
static int noise_scale(peptide_state *s, double kT, bb_ctx *ctx) {
    return bb_equipartition_sigma(3 * (size_t)s->ff->natom, s->xmin, kT, amber_grad, s, "peptide task", &s->sigma, ctx);
}

static int peptide_init(bb_task *t, const cJSON *params, bb_ctx *ctx) {
    const peptide_setup *su = setup_of(t->type);
    peptide_state *s = t->state;
    if (!su || !s) return BB_ERR(ctx, BB_EINTERNAL, "task %s: not a peptide task", t->id);
    double T;
    int rc = parse_params(t, su, params, &T, ctx);
    if (rc) return rc;
    char *text = NULL;
    size_t len = 0;
    bb_prmtop *top = NULL;
    rc = bb_embedded_text(su->prmtop, &text, &len, ctx);
    if (!rc) rc = bb_prmtop_parse(text, len, su->prmtop->name, &top, ctx);
    free(text);
    text = NULL;
    if (rc) goto out;
    bb_amber_options opt = {.obc1 = 1, .cutoff_nm = su->cutoff_nm};
    if ((rc = bb_amber_create(top, su->prmtop->name, &opt, &s->ff, ctx))) goto out;
    if ((rc = bb_molecule_store_init(&s->mol, top, su->prmtop->name, ctx))) goto out;
    size_t D = 3 * (size_t)top->natom;
    s->xmin = malloc(D * sizeof *s->xmin);
    if (!s->xmin) {
        rc = BB_ERR(ctx, BB_ENOMEM, "task %s: out of memory", t->id);
        goto out;
    }
    if (su->start) {
        memcpy(s->xmin, su->start, D * sizeof *s->xmin);
    } else {
        if ((rc = bb_embedded_text(su->crd, &text, &len, ctx))) goto out;
        rc = bb_inpcrd_parse(text, len, su->crd->name, top->natom, s->xmin, ctx);
        if (rc) goto out;
    }
    double gmax;
    if ((rc = bb_amber_relax(s->ff, s->xmin, 1e-3, 100000, &s->emin, &gmax, ctx))) goto out;
    if (gmax >= 1e-2) {
        rc =
            BB_ERR(ctx, BB_EINTERNAL, "task %s: minimum structure did not converge (max|F| %g kJ/mol/nm)", t->id, gmax);
        goto out;
    }
    s->temperature = T;
    t->kT = R_KJ * T;
    t->n_particles = top->natom;
    t->dim = 3;
    rc = noise_scale(s, t->kT, ctx);
out:
    free(text);
    bb_prmtop_free(top);
    if (rc) peptide_cleanup(t);
    return rc;
}

static int peptide_energy(const bb_task *t, size_t n, const double *x, double *u, double *grad, bb_ctx *ctx) {
    const peptide_state *s = t->state;
    int rc = bb_amber_energy_batch(s->ff, n, x, u, grad, ctx);
    if (rc) {
        bb_ctx_prefix(ctx, "task %s", t->id);
        return rc;
    }
    bb_molecule_reduce(n, (size_t)t->dof, t->kT, u, grad);
    return BB_OK;
}

static int peptide_initial(const bb_task *t, size_t n, bb_rng *rng, double *x, bb_ctx *ctx) {
    (void)ctx;
    const peptide_state *s = t->state;
    size_t D = (size_t)t->dof;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < D; k++) x[i * D + k] = s->xmin[k] + s->sigma * bb_rng_normal(rng);
    return BB_OK;
}

/* Minima catalogues (datasets/minima/<id>.json, matched by backbone dihedrals and energy in kJ/mol, so
 * valid at any temperature; harness/metrics/peptide.h): the two ALDP set-ups' committed ones, and for AL3
 * the all-L catalogue built by `boltzbench minima` (the committed AL3 minima are of the L-D-D
 * diastereomer, tests/molecules/data/README.md; see datasets/minima/README.md). */
#define PEPTIDE_COMMON                                                                                                 \
    .dim = 3, .kT = R_KJ * 300.0, .kT_unit = "kJ/mol", .length_unit = "nm",                                            \
    .flags = BB_TASK_TRANSLATION_INV | BB_TASK_ROTATION_INV, .init_scale = 0.0, .state_size = sizeof(peptide_state),   \
    .init = peptide_init, .cleanup = peptide_cleanup, .energy = peptide_energy, .sample_exact = NULL,                  \
    .initial = peptide_initial,                                                                                        \
    .pair_cost = 14.0 /* GB-OBC + bonded terms: ~14 LJ pair terms per atom pair (bench_energy, ALDP) */

/* One peptide task type: what differs between them, the rest PEPTIDE_COMMON. */
#define PEPTIDE_TASK(name_, n_particles_, dataset_, minima_, tica_, description_)                                      \
    {                                                                                                                  \
        .name = name_, .version = 1, .description = description_, .n_particles = n_particles_,                         \
        .reference_dataset = dataset_, .minima_catalogue = minima_, .tica = tica_, PEPTIDE_COMMON,                     \
    }

/* TICA features exactly as PITA computes them (taraak/pita e987a7f, pita/src/energies/components/
 * tica.py `tica_features`): the atoms MDTraj selects with "symbol == C or symbol == N or symbol ==
 * S" (every carbon and nitrogen, side-chain CB included), all their pairwise distances (i < j in
 * atom order), and sin/cos of MDTraj's phi, psi and omega on that selection. MDTraj finds those by
 * literal atom name (phi -C N CA C, psi N CA C +N, omega CA C +N +CA), so the caps' methyl
 * carbons (CH3, C), which are not named CA, give ALDP no omega. Lags 100 (ALDP) and 10 (AL3)
 * frames (`tica_metric`, base_datamodule.py:523); the first two components are compared.
 * tests/metrics/test_tica.c derives both specs from the topologies by those rules. */
static const int aldp_tica_pairs[] = {
    /* C and N atoms 1 CH3, 4 C, 6 N, 8 CA, 10 CB, 14 C, 16 N, 18 C (NME methyl): all 28 pairs */
    1, 4,  1, 6,  1, 8,  1, 10, 1, 14, 1, 16, 1, 18, 4, 6,  4,  8,  4,  10, 4,  14, 4,  16, 4,  18, 6,  8,
    6, 10, 6, 14, 6, 16, 6, 18, 8, 10, 8, 14, 8, 16, 8, 18, 10, 14, 10, 16, 10, 18, 14, 16, 14, 18, 16, 18};
static const int aldp_dihedrals[] = {4, 6, 8, 14, 6, 8, 14, 16}; /* phi2, psi2 */
static const bb_task_tica aldp_tica = {28, aldp_tica_pairs, 2, aldp_dihedrals, 100, 2};

static const int al3_tica_pairs[] = {
    /* C and N atoms 0 N, 4 CA, 6 CB, 10 C, 12 N, 14 CA, 16 CB, 20 C, 22 N, 24 CA, 26 CB, 30 C: all 66 pairs */
    0,  4,  0,  6,  0,  10, 0,  12, 0,  14, 0,  16, 0,  20, 0,  22, 0,  24, 0,  26, 0,  30, 4,  6,  4,  10, 4,
    12, 4,  14, 4,  16, 4,  20, 4,  22, 4,  24, 4,  26, 4,  30, 6,  10, 6,  12, 6,  14, 6,  16, 6,  20, 6,  22,
    6,  24, 6,  26, 6,  30, 10, 12, 10, 14, 10, 16, 10, 20, 10, 22, 10, 24, 10, 26, 10, 30, 12, 14, 12, 16, 12,
    20, 12, 22, 12, 24, 12, 26, 12, 30, 14, 16, 14, 20, 14, 22, 14, 24, 14, 26, 14, 30, 16, 20, 16, 22, 16, 24,
    16, 26, 16, 30, 20, 22, 20, 24, 20, 26, 20, 30, 22, 24, 22, 26, 22, 30, 24, 26, 24, 30, 26, 30};
static const int al3_dihedrals[] = {0,  4,  10, 12, 4,  10, 12, 14, 10, 12, 14, 20,
                                    12, 14, 20, 22, 14, 20, 22, 24, 20, 22, 24, 30};
static const bb_task_tica al3_tica = {66, al3_tica_pairs, 6, al3_dihedrals, 10, 2};

const bb_task_type bb_task_aldp_fab = PEPTIDE_TASK(
    "aldp-fab", 22, "fab-aldp-zenodo", "minima-aldp-ff96-obc1-nocutoff", &aldp_tica,
    "Alanine dipeptide (ACE-ALA-NME, 22 atoms) as in FAB/boltzgen (Midgley et al. 2023): AMBER ff96 prmtop of "
    "openmmtools AlanineDipeptideImplicit (mbondi2 radii), GB-OBC1 implicit solvent with the ACE surface term, "
    "no cutoff, no constraints, T = 300 K (fixed; no parameters). u = E/(R T), E in kJ/mol, x in nm in prmtop "
    "atom order: 0 HH31, 1 CH3, 2 HH32, 3 HH33, 4 C, 5 O (ACE); 6 N, 7 H, 8 CA, 9 HA, 10 CB, 11-13 HB1-3, "
    "14 C, 15 O (ALA); 16 N, 17 H, 18 CH3, 19-21 HH31-33 (NME). Dihedrals (0-based): phi2 = (4,6,8,14), "
    "psi2 = (6,8,14,16), omega1 = (1,4,6,8), omega2 = (8,14,16,18). Global minimum beta/C5 (phi, psi = "
    "-145.6, 160.9 deg), -173.1705 kJ/mol. Matches OpenMM 7.7 (Reference) to 1e-5 kJ/mol. initial(): "
    "that minimum + isotropic Gaussian noise (equipartition-scaled, see docs/molecules.md).");

const bb_task_type bb_task_aldp_pita = PEPTIDE_TASK(
    "aldp-pita", 22, "pita-mendeley", "minima-aldp-ff14sb-obc1-cut2nm", &aldp_tica,
    "Alanine dipeptide (ACE-ALA-NME, 22 atoms) as in PITA (Akhound-Sadegh et al. 2025): ff14SB (OpenMM "
    "amber14-all.xml, exported to prmtop, mbondi2) + GB-OBC1 with ACE surface term, CutoffNonPeriodic 2 nm "
    "(reaction field, dielectric 1), no constraints. Parameter {\"temperature\": K}, default 300; PITA's ladder "
    "is [1200, 755.95, 555.52, 300] K. u = E/(R T), R = 0.00831446261815324 kJ/mol/K, x in nm, same atom "
    "order as aldp-fab (0 H1, 1 CH3, 2 H2, 3 H3, 4 C, 5 O | 6 N, 7 H, 8 CA, 9 HA, 10 CB, 11-13 HB1-3, 14 C, "
    "15 O | 16 N, 17 H, 18 C, 19-21 H1-3). Dihedrals: phi2 = (4,6,8,14), psi2 = (6,8,14,16), omega1 = "
    "(1,4,6,8), omega2 = (8,14,16,18). Global minimum PII (phi, psi = -67.9, 154.1 deg), -163.5907 kJ/mol; "
    "C7eq is not a minimum here. TICA lag 100. initial(): that minimum + equipartition-scaled noise.");

const bb_task_type bb_task_al3_pita = PEPTIDE_TASK(
    "al3-pita", 33, "pita-mendeley", "minima-al3-ff14sb-obc1-cut2nm-all-L", &al3_tica,
    "Trialanine (zwitterionic NALA-ALA-CALA, 33 atoms) as in PITA: ff14SB + GB-OBC1 with ACE surface term, "
    "CutoffNonPeriodic 2 nm, no constraints. Parameter {\"temperature\": K}, default 300; PITA's ladder is "
    "[1200, 755.95, 555.52, 408.24, 300] K. u = E/(R T), x in nm, tleap atom order: 0 N, 1 H, 2 H2, 3 H3, 4 CA, "
    "5 HA, 6 CB, 7-9 HB1-3, 10 C, 11 O | 12 N, 13 H, 14 CA, 15 HA, 16 CB, 17-19 HB1-3, 20 C, 21 O | 22 N, 23 H, "
    "24 CA, 25 HA, 26 CB, 27-29 HB1-3, 30 C, 31 O, 32 OXT. Dihedrals (0-based): psi1 = (0,4,10,12), omega1 = "
    "(4,10,12,14), phi2 = (10,12,14,20), psi2 = (12,14,20,22), omega2 = (14,20,22,24), phi3 = (20,22,24,30). "
    "TICA lag 10. initial(): the shipped minimised structure (beta region: psi1, phi2, psi2, phi3 = 158.8, "
    "-149.7, 160.6, -148.9 deg, -515.0536 kJ/mol; not the global minimum) + equipartition-scaled noise.");
