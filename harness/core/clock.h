/* clock.h — the one clock of boltzbench: wall and CPU seconds for timings and deadlines.
 *
 * Every duration the harness, the methods and the benches measure comes from here, so they
 * all use the same clocks: wall time is CLOCK_MONOTONIC (never jumps with the system clock),
 * CPU time is the process's CPU time over all its threads (CLOCK_PROCESS_CPUTIME_ID).
 * Only differences of two readings mean anything.
 */
#ifndef BB_CLOCK_H
#define BB_CLOCK_H

/* Monotonic wall-clock seconds since an arbitrary fixed point. */
double bb_wall_s(void);
/* CPU seconds used by this process so far, all threads together. */
double bb_cpu_s(void);

#endif
