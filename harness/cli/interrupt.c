/* interrupt.c — SIGINT/SIGTERM for long commands (run, suite, reference): the first signal
 * asks the run to stop at the next step boundary (run/suite: its samples are scored, its
 * report and state are written; reference: its state is saved for --resume; the exit status
 * is 130); a second one kills the process the default way.
 * Signal dispositions are process-wide, so only the program's top (the CLI) sets them. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli/cli.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
    if (interrupted) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    interrupted = 1;
    static const char msg[] = "\nboltzbench: interrupted: finishing the current step, then saving what it has "
                              "(report, state) (again to kill)\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
}

const volatile sig_atomic_t *bb_cli_catch_interrupts(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return &interrupted;
}
