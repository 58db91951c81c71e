/* suite_child.c — one run of a suite in a child process (bb_suite_run_child, suite_sched.h).
 *
 * Why a process per run: a run that crashes (a signal, an abort in a library, the OOM
 * killer) must become a failed run while the other runs of the sweep continue; in an MPI job
 * a rank that dies takes the whole job down. The child runs bb_run as bb_suite_run_all
 * would, writes its report to a scratch path and ends with _exit (no atexit handlers: the
 * parent's MPI library is not the child's to finalize); its error line, if any, comes back
 * through a pipe. Not a sandbox: the run shares the file system and the machine.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/core/fileio.h"
#include "harness/report/report.h"
#include "harness/run/run.h"
#include "harness/run/suite_sched.h"

/* The child: run, send the error line (if any) up the pipe, _exit 0 (report ok), 1 (a
 * failed report or none). */
static _Noreturn void child_main(const bb_suite *s, size_t i, const char *report_path, int time_limit_s, int fd) {
    if (time_limit_s > 0) {
        signal(SIGALRM, SIG_DFL);
        alarm((unsigned)time_limit_s);
    }
    bb_run_config c;
    bb_suite_run_config(s, i, &c);
    c.out_path = report_path;
    bb_ctx rctx = {0};
    int rc = bb_run(&c, NULL, &rctx);
    if (rc) {
        size_t n = strlen(rctx.msg), off = 0;
        while (off < n) {
            ssize_t w = write(fd, rctx.msg + off, n - off);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) break;
            off += (size_t)w;
        }
    }
    close(fd);
    _exit(rc ? 1 : 0);
}

int bb_suite_run_child(const bb_suite *s, size_t i, const char *report_path, int time_limit_s, char **report,
                       size_t *len, bb_ctx *ctx) {
    *report = NULL;
    *len = 0;
    unlink(report_path); /* a report found afterwards is this child's */
    int fds[2];
    if (pipe(fds)) return BB_ERR(ctx, BB_EIO, "pipe: %s", strerror(errno));
    fflush(NULL); /* buffered output must not be written twice */
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return BB_ERR(ctx, BB_EIO, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        child_main(s, i, report_path, time_limit_s, fds[1]);
    }
    close(fds[1]);
    char msg[sizeof ctx->msg] = "";
    size_t got = 0;
    for (;;) { /* until the child closes the pipe (it ends, or dies) */
        ssize_t r = read(fds[0], msg + got, got + 1 < sizeof msg ? sizeof msg - 1 - got : 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
        if (got + 1 >= sizeof msg) { /* drain the rest of an overlong line */
            char sink[256];
            while (read(fds[0], sink, sizeof sink) > 0) {}
            break;
        }
    }
    msg[got] = '\0';
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return BB_ERR(ctx, BB_EIO, "waitpid: %s", strerror(errno));
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        unlink(report_path);
        if (sig == SIGALRM && time_limit_s > 0)
            return BB_ERR(ctx, BB_ETIMEOUT, "exceeded the run time limit of %d s", time_limit_s);
        return BB_ERR(ctx, BB_EINTERNAL, "killed by signal %d (%s)", sig, strsignal(sig));
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if ((code == 0 || code == 1) && access(report_path, F_OK) == 0) {
        int rc = bb_read_file(report_path, BB_REPORT_MAX_BYTES, report, len, ctx);
        unlink(report_path);
        return rc;
    }
    return BB_ERR(ctx, BB_EINTERNAL, "exited with status %d without a report%s%s", code, *msg ? ": " : "", msg);
}
