/* pita_state.h — PITA's state between driver steps (pita.c) and its save/load (state.c). */
#ifndef BB_PITA_STATE_H
#define BB_PITA_STATE_H

#include "methods/pita/pita.h"

typedef enum pita_phase { PITA_STAGE0, PITA_TRAIN, PITA_ANNEAL, PITA_DONE } pita_phase;

typedef struct pita_state {
    pita_model m;
    bb_oracle *o;
    uint64_t seed;
    size_t n_samples, dof;
    int64_t anytime_n;
    int phase;           /* pita_phase */
    int level;           /* highest level with data */
    int starved;         /* the budget could not pay for stage 0 (set in init) */
    int64_t level_steps; /* Adam steps at the current level */
    int64_t total_steps;
    void *mcmc;                                        /* stage 0's engine (PITA_STAGE0) */
    pita_anneal an;                                    /* the annealing under way (PITA_ANNEAL) */
    double *bx[PITA_MAX_LEVELS], *bu[PITA_MAX_LEVELS]; /* level data: samples, task energies u */
    double *bg[PITA_MAX_LEVELS];                       /* ∇u at bx (x units) when cfg.w_target > 0, else NULL */
    size_t bn[PITA_MAX_LEVELS];
    int64_t dropped[PITA_MAX_LEVELS];      /* rows outside energy_mask, dropped */
    int64_t kept_outside[PITA_MAX_LEVELS]; /* rows kept although outside it (none was inside) */
    int64_t infinite[PITA_MAX_LEVELS];     /* rows the task rejected (u = +inf), dropped */
    int no_data_level;                     /* the level that had no usable data (the run stopped), or −1 */
    double ess[PITA_MAX_LEVELS], logz[PITA_MAX_LEVELS], ess_final;
    int64_t resamplings[PITA_MAX_LEVELS];
    int64_t mcmc_moves[PITA_MAX_LEVELS];                        /* post-annealing MALA into level k */
    double mcmc_acc[PITA_MAX_LEVELS], mcmc_dt[PITA_MAX_LEVELS]; /* its mean acceptance, final dt */
    int64_t evals_stage0, evals_anneal, evals_final;
    double *xb, *eb, *gb; /* training batch scratch (gb: with w_target > 0) */
} pita_state;

int pita_save(const void *state, FILE *fp, bb_ctx *ctx);
int pita_load(void *state, FILE *fp, bb_ctx *ctx);

#endif
