/* faultfs.c — see faultfs.h. */
#define _GNU_SOURCE
#include "tests/fuzz/faultfs.h"

#include <dlfcn.h>
#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static struct {
    int fsync_on, rename_on, fsize_on;
    char fsync_glob[512], rename_glob[512];
    struct rlimit saved; /* the limit before fsize: */
} F;
static unsigned long injected;

unsigned long bb_fault_injected(void) { return injected; }

/* The next definition of the function `name` (the C library's) into *fn, a function pointer
 * of fn_size bytes (copied, as ISO C has no cast from void * to a function pointer). */
static void next_symbol(void *fn, size_t fn_size, const char *name) {
    void *p = dlsym(RTLD_NEXT, name);
    if (!p) {
        fprintf(stderr, "faultfs: %s: not found by dlsym\n", name);
        abort();
    }
    memcpy(fn, &p, fn_size);
}

static int glob_arg(const char *arg, char *out, size_t cap) {
    if (!arg) arg = "*";
    if (!*arg || strlen(arg) >= cap) return -1;
    snprintf(out, cap, "%s", arg);
    return 0;
}

int bb_fault_set(const char *spec) {
    int fsync_on = 0, rename_on = 0, fsize_on = 0;
    char fg[512] = "*", rg[512] = "*";
    long long fsize = 0;
    if (spec && *spec) {
        char buf[2048];
        if (strlen(spec) >= sizeof buf) return -1;
        snprintf(buf, sizeof buf, "%s", spec);
        for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            char *arg = strchr(t, ':');
            if (arg) *arg++ = '\0';
            if (strcmp(t, "fsync") == 0) {
                if (glob_arg(arg, fg, sizeof fg)) return -1;
                fsync_on = 1;
            } else if (strcmp(t, "rename") == 0) {
                if (glob_arg(arg, rg, sizeof rg)) return -1;
                rename_on = 1;
            } else if (strcmp(t, "fsize") == 0) {
                char *end = NULL;
                if (!arg || !*arg) return -1;
                fsize = strtoll(arg, &end, 10);
                if (*end || fsize < 0) return -1;
                fsize_on = 1;
            } else {
                return -1;
            }
        }
    }
    if (F.fsize_on) setrlimit(RLIMIT_FSIZE, &F.saved);
    F.fsize_on = 0;
    if (fsize_on) {
        if (getrlimit(RLIMIT_FSIZE, &F.saved) != 0) return -1;
        signal(SIGXFSZ, SIG_IGN); /* the write fails with EFBIG instead of killing us */
        struct rlimit lim = {(rlim_t)fsize, F.saved.rlim_max};
        if (F.saved.rlim_max != RLIM_INFINITY && lim.rlim_cur > F.saved.rlim_max) lim.rlim_cur = F.saved.rlim_max;
        if (setrlimit(RLIMIT_FSIZE, &lim) != 0) return -1;
        F.fsize_on = 1;
    }
    F.fsync_on = fsync_on;
    F.rename_on = rename_on;
    snprintf(F.fsync_glob, sizeof F.fsync_glob, "%s", fg);
    snprintf(F.rename_glob, sizeof F.rename_glob, "%s", rg);
    return 0;
}

__attribute__((constructor)) static void faultfs_init(void) {
    const char *s = getenv("BB_FAULT");
    if (s && *s && bb_fault_set(s) != 0) {
        fprintf(stderr, "faultfs: BB_FAULT='%s': not a fault spec (fsize:N, fsync[:GLOB], rename[:GLOB])\n", s);
        _exit(99);
    }
}

/* 1 if fd is a regular file whose path matches glob. */
static int fd_matches(int fd, const char *glob) {
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 0) return strcmp(glob, "*") == 0;
    path[n] = '\0';
    return fnmatch(glob, path, 0) == 0;
}

static int sync_fault(int fd) {
    if (!F.fsync_on || !fd_matches(fd, F.fsync_glob)) return 0;
    injected++;
    errno = ENOSPC;
    return 1;
}

int fsync(int fd) {
    static int (*real)(int);
    if (sync_fault(fd)) return -1;
    if (!real) next_symbol(&real, sizeof real, "fsync");
    return real(fd);
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (sync_fault(fd)) return -1;
    if (!real) next_symbol(&real, sizeof real, "fdatasync");
    return real(fd);
}

int rename(const char *from, const char *to) {
    static int (*real)(const char *, const char *);
    if (F.rename_on && to && fnmatch(F.rename_glob, to, 0) == 0) {
        injected++;
        errno = ENOSPC;
        return -1;
    }
    if (!real) next_symbol(&real, sizeof real, "rename");
    return real(from, to);
}
