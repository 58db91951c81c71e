/* omp_policy.h — the OpenMP wait policy of a program, decided once at the start of main.
 *
 * libgomp reads OMP_WAIT_POLICY once, when it is loaded (before main runs); by default idle
 * OpenMP threads spin for a while before they sleep, and on a shared 2-core machine that
 * spinning made a 2-thread run collapse beside one busy process. So a program that wants the
 * passive policy must set the variable and execute itself again — setenv() in main is too
 * late. boltzbench (harness/cli/main.c) and the benches call this first thing; a library
 * never does.
 */
#ifndef BB_OMP_POLICY_H
#define BB_OMP_POLICY_H

/* Marker in the environment of the re-executed image: at most one exec, never a loop. */
#define BB_OMP_REEXEC_MARKER "BOLTZBENCH_REEXEC"

/* Unless the user chose a policy (OMP_WAIT_POLICY set and not empty) or this image is the
 * re-executed one (BB_OMP_REEXEC_MARKER set), set OMP_WAIT_POLICY=PASSIVE and re-execute
 * /proc/self/exe with the same argv (and environment); that call does not return. Otherwise,
 * and when the exec fails (OMP_WAIT_POLICY is then removed again, so the environment shows
 * the policy really in effect), it returns: 0, or -1 if an exec was tried and failed. The
 * marker is removed before returning, so child processes decide afresh. */
int bb_omp_wait_policy_init(char **argv);

#endif
