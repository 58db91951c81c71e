/* nn_paper.h — the paper-reproduction cases of bench_nn (bench/nn_paper.c), each timed
 * side by side with bench/bench_nn_torch.py ("paper" mode) on 1 and 2 threads, with a
 * check that both sides compute the same thing on the same weights and inputs.
 *
 *   e  DEM EGNN 5 x 128 (attention, tanh coordinate head with range 15, sum aggregation,
 *      input-distance edge attribute: Adjoint Sampling's network), DW-4, batch 512, one
 *      training step (forward + backward + Adam), float32
 *   f  the same network on LJ-55, batch 128
 *   g  forward-only SDE sampling: 512 trajectories x n Euler-Maruyama steps of that network
 *      (no tape, as Adjoint Sampling's buffer refill), DW-4
 *   h  the same on LJ-13
 *   i  iDEM regression target: per point K = 1000 noisy copies, energy + gradient of each,
 *      softmax-weighted sum of the gradients; DW-4
 *   j  the same on LJ-13
 *   k  PITA energy network: EGNN 3 x 32 with a scalar head on LJ-13, batch 512, loss on
 *      grad_x U (double backward) back to the parameters
 */
#ifndef BB_BENCH_NN_PAPER_H
#define BB_BENCH_NN_PAPER_H

#include <cjson/cJSON.h>

typedef struct nn_paper_opts {
    int steps;       /* timed training steps / iDEM batches (0: the case's default) */
    int sde_steps;   /* Euler-Maruyama steps of g/h (0: 200) */
    int torch;       /* run the PyTorch side */
    int torch_extra; /* also PyTorch at its default OpenBLAS threading (2 threads) */
    const char *python, *script;
} nn_paper_opts;

/* 1 if c is one of the cases above. */
int nn_paper_is_case(char c);
/* Run case c; adds its JSON object to arr. Returns 0, or -1 after printing why. */
int nn_paper_run(char c, const nn_paper_opts *o, cJSON *arr);
/* GFLOP/s of a 2048^2 cblas_sgemm on `threads` OpenBLAS threads (the machine's ceiling);
 * *per_cpu_s: GFLOP per CPU second. */
double nn_paper_sgemm_gflops(int threads, double *per_cpu_s);

#endif
