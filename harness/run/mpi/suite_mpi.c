/* suite_mpi.c — rank 0 dispatches a suite's runs to worker ranks (suite_mpi.h).
 *
 * Messages (MPI_COMM_WORLD, bytes):
 *   worker -> 0, TAG_RESULT: [int64 run index or -1 (ready, no result)][double wall s]
 *                            [uint8 kind: 0 none, 1 report bytes, 2 error line][payload]
 *   0 -> worker, TAG_ASSIGN: int64 run index, or -1: no more work, end.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "harness/run/mpi/suite_mpi.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <mpi.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness/core/clock.h"
#include "harness/core/fileio.h"
#include "harness/run/suite_sched.h"

enum { TAG_RESULT = 1, TAG_ASSIGN = 2 };
enum { KIND_NONE = 0, KIND_REPORT = 1, KIND_ERROR = 2 };
#define HEAD_BYTES (sizeof(int64_t) + sizeof(double) + 1)

int bb_suite_mpi_init(bb_suite_mpi *m, bb_ctx *ctx) {
    memset(m, 0, sizeof *m);
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited && MPI_Init(NULL, NULL) != MPI_SUCCESS) return BB_ERR(ctx, BB_EINTERNAL, "--mpi: MPI_Init failed");
    MPI_Comm_rank(MPI_COMM_WORLD, &m->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &m->size);
    cpu_set_t mine;
    CPU_ZERO(&mine);
    if (sched_getaffinity(0, sizeof mine, &mine) == 0)
        m->cpus = CPU_COUNT(&mine);
    else
        m->cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (m->cpus < 1) m->cpus = 1;
    /* the ranks on this node, and which of them are workers with the same CPU set as mine */
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local);
    int n_local = 0;
    MPI_Comm_size(local, &n_local);
    cpu_set_t *sets = malloc((size_t)n_local * sizeof *sets);
    int *ranks = malloc((size_t)n_local * sizeof *ranks);
    if (!sets || !ranks) {
        free(sets);
        free(ranks);
        MPI_Comm_free(&local);
        return BB_ERR(ctx, BB_ENOMEM, "--mpi: out of memory");
    }
    MPI_Allgather(&mine, (int)sizeof mine, MPI_BYTE, sets, (int)sizeof mine, MPI_BYTE, local);
    MPI_Allgather(&m->rank, 1, MPI_INT, ranks, 1, MPI_INT, local);
    int sharing = 0;
    for (int k = 0; k < n_local; k++) {
        if (ranks[k] == 0) continue;
        m->local_workers++;
        sharing += CPU_EQUAL(&sets[k], &mine);
    }
    free(sets);
    free(ranks);
    MPI_Comm_free(&local);
    /* one rank alone (rank 0 runs the suite itself) or a worker: divide my CPUs among the
     * workers that run on the same ones */
    m->threads = sharing > 1 ? m->cpus / sharing : m->cpus;
    if (m->threads < 1) m->threads = 1;
    return BB_OK;
}

int bb_suite_mpi_agree(const bb_suite_mpi *m, int load_rc, size_t n_runs, bb_ctx *ctx) {
    /* per rank: failed?, n_runs; rank 0 compares */
    long long mine[2] = {load_rc != 0, (long long)n_runs};
    long long *all = NULL;
    if (m->rank == 0) all = malloc((size_t)m->size * sizeof mine);
    MPI_Gather(mine, 2, MPI_LONG_LONG, all, 2, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    int bad = -1; /* the first rank that failed or disagrees with rank 0 */
    if (m->rank == 0) {
        if (!all) bad = 0;
        for (int r = 0; all && r < m->size && bad < 0; r++)
            if (all[2 * r] || all[2 * r + 1] != all[1]) bad = r;
    }
    long long verdict[2] = {bad, bad >= 0 && all ? all[2 * bad] : 0};
    free(all);
    MPI_Bcast(verdict, 2, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    if (verdict[0] < 0) return BB_OK;
    if (verdict[1]) return BB_ERR(ctx, BB_EINVAL, "--mpi: rank %lld could not load the suite", verdict[0]);
    return BB_ERR(ctx, BB_EINVAL, "--mpi: rank %lld loaded a different number of runs than rank 0 (not the same file?)",
                  verdict[0]);
}

/* ---- worker ------------------------------------------------------------------------- */

static int send_result(int64_t index, double wall, int kind, const char *payload, size_t n) {
    unsigned char head[HEAD_BYTES], *buf = malloc(HEAD_BYTES + n);
    if (!buf) { /* rank 0 records the run as failed with an empty error (see record) */
        buf = head;
        kind = KIND_ERROR;
        n = 0;
    }
    memcpy(buf, &index, sizeof index);
    memcpy(buf + sizeof index, &wall, sizeof wall);
    buf[sizeof index + sizeof wall] = (unsigned char)kind;
    if (n) memcpy(buf + HEAD_BYTES, payload, n);
    int rc = MPI_Send(buf, (int)(HEAD_BYTES + n), MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
    if (buf != head) free(buf);
    return rc == MPI_SUCCESS ? BB_OK : BB_EIO;
}

static int worker(const bb_suite *s, int time_limit_s, bb_ctx *ctx) {
    const char *tmp = getenv("TMPDIR");
    char scratch[4096], report_path[4200];
    snprintf(scratch, sizeof scratch, "%s/boltzbench-mpi-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(scratch)) return BB_ERR(ctx, BB_EIO, "%s: cannot create a scratch directory", scratch);
    snprintf(report_path, sizeof report_path, "%s/report.json", scratch);
    int rc = send_result(-1, 0, KIND_NONE, NULL, 0);
    while (!rc) {
        int64_t index = -1;
        MPI_Recv(&index, 1, MPI_INT64_T, 0, TAG_ASSIGN, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (index < 0 || (size_t)index >= s->n_runs) break;
        double t0 = bb_wall_s();
        char *report = NULL;
        size_t len = 0;
        bb_ctx rctx = {0};
        if (bb_suite_run_child(s, (size_t)index, report_path, time_limit_s, &report, &len, &rctx) == BB_OK)
            rc = send_result(index, bb_wall_s() - t0, KIND_REPORT, report, len);
        else
            rc = send_result(index, bb_wall_s() - t0, KIND_ERROR, rctx.msg, strlen(rctx.msg));
        free(report);
    }
    rmdir(scratch);
    if (rc) return BB_ERR(ctx, BB_EIO, "--mpi: rank could not send a result to rank 0");
    return BB_OK;
}

/* ---- rank 0 ------------------------------------------------------------------------- */

static void describe(const bb_suite_run *r, char *out, size_t cap) {
    snprintf(out, cap, "%s %s budget %lld seed %llu", r->task, r->method, (long long)r->budget,
             (unsigned long long)r->seed);
}

/* Record a worker's result for run i: its report's bytes, or a failed report with the
 * worker's error line. Returns 1 if the run failed. */
static int record(const bb_suite *s, size_t i, int source, const unsigned char *msg, size_t n, FILE *log) {
    double wall;
    memcpy(&wall, msg + sizeof(int64_t), sizeof wall);
    const int kind = msg[sizeof(int64_t) + sizeof wall];
    const char *payload = (const char *)msg + HEAD_BYTES;
    const size_t plen = n - HEAD_BYTES;
    char what[512], err[1024] = "";
    describe(&s->runs[i], what, sizeof what);
    bb_ctx ctx = {0};
    int failed = 1;
    if (kind == KIND_REPORT) {
        if (!bb_suite_mkdir(s, i, &ctx) && !bb_write_file_atomic(s->runs[i].out_path, payload, plen, &ctx)) {
            cJSON *rep = cJSON_ParseWithLength(payload, plen); /* the run's own verdict */
            const cJSON *status = cJSON_GetObjectItemCaseSensitive(rep, "status");
            failed = !cJSON_IsString(status) || strcmp(status->valuestring, "ok") != 0;
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(rep, "error");
            if (failed && cJSON_IsString(e)) snprintf(err, sizeof err, "%s", e->valuestring);
            cJSON_Delete(rep);
        } else {
            snprintf(err, sizeof err, "%s", ctx.msg);
        }
    } else {
        if (plen)
            snprintf(err, sizeof err, "run %.*s", (int)(plen < 900 ? plen : 900), payload);
        else
            snprintf(err, sizeof err, "the worker ran out of memory sending the run's report");
        if (bb_suite_write_failed(s, i, err, &ctx))
            snprintf(err + strlen(err), sizeof err - strlen(err), "; %.200s", ctx.msg);
    }
    if (log) {
        fprintf(log, "  rank %d: %s: %s in %.1f s%s%s\n", source, what, failed ? "failed" : "ok", wall,
                *err ? ": " : "", err);
        fflush(log);
    }
    return failed;
}

static int dispatcher(const bb_suite *s, const bb_suite_mpi *m, const char *cost_dir, FILE *log, size_t *n_failed,
                      bb_ctx *ctx) {
    size_t *order = malloc((s->n_runs ? s->n_runs : 1) * sizeof *order);
    if (!order) return BB_ERR(ctx, BB_ENOMEM, "suite %s: out of memory", s->name);
    int rc = bb_suite_order(s, cost_dir, order, NULL, ctx);
    size_t todo = 0; /* compact order[] to the runs still to do */
    for (size_t k = 0; !rc && k < s->n_runs; k++) {
        size_t i = order[k];
        char what[512];
        describe(&s->runs[i], what, sizeof what);
        if (bb_suite_skip(s, i)) {
            if (log) fprintf(log, "[%zu/%zu] %s: done before, skipped\n", i + 1, s->n_runs, what);
        } else {
            order[todo++] = i;
        }
    }
    size_t next = 0, dispatched = 0;
    int active = m->size - 1;
    const struct timespec nap = {0, 5 * 1000 * 1000}; /* 5 ms */
    while (active > 0) {
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &flag, &st);
        if (!flag) {
            nanosleep(&nap, NULL);
            continue;
        }
        int n = 0;
        MPI_Get_count(&st, MPI_BYTE, &n);
        unsigned char *msg = malloc(n > 0 ? (size_t)n : 1);
        if (!msg) { /* cannot receive it: end every worker, then fail */
            rc = BB_ERR(ctx, BB_ENOMEM, "suite %s: out of memory receiving a report", s->name);
            msg = NULL;
        }
        MPI_Recv(msg ? msg : (unsigned char *)&flag, msg ? n : 0, MPI_BYTE, st.MPI_SOURCE, TAG_RESULT, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        int64_t index = -1;
        if (msg && (size_t)n >= HEAD_BYTES) memcpy(&index, msg, sizeof index);
        if (msg && index >= 0 && (size_t)index < s->n_runs)
            *n_failed += (size_t)record(s, (size_t)index, st.MPI_SOURCE, msg, (size_t)n, log);
        free(msg);
        int64_t assign = -1;
        if (!rc && next < todo) {
            assign = (int64_t)order[next++];
            char what[512];
            describe(&s->runs[assign], what, sizeof what);
            if (log) {
                fprintf(log, "[%zu/%zu] %s -> rank %d\n", ++dispatched, todo, what, st.MPI_SOURCE);
                fflush(log);
            }
        } else {
            active--;
        }
        MPI_Send(&assign, 1, MPI_INT64_T, st.MPI_SOURCE, TAG_ASSIGN, MPI_COMM_WORLD);
    }
    free(order);
    return rc;
}

int bb_suite_mpi_run(const bb_suite *s, const bb_suite_mpi *m, const char *cost_dir, int time_limit_s, FILE *log,
                     FILE *table, size_t *n_failed, bb_ctx *ctx) {
    *n_failed = 0;
    if (m->size == 1) return bb_suite_run_all(s, log, table, NULL, n_failed, ctx);
    int rc = m->rank == 0 ? dispatcher(s, m, cost_dir, log, n_failed, ctx) : worker(s, time_limit_s, ctx);
    if (m->rank == 0 && table) {
        bb_suite_table_header(table);
        for (size_t i = 0; i < s->n_runs; i++) bb_suite_table_row(s, i, table);
    }
    return rc;
}

void bb_suite_mpi_finalize(void) {
    int inited = 0, finalized = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&finalized);
    if (!inited || finalized) return;
    /* MPI_Finalize synchronises the ranks, and Open MPI spins while it waits: a worker done
     * early would take a core from the runs still going. Wait at a barrier that sleeps. */
    MPI_Request req;
    MPI_Ibarrier(MPI_COMM_WORLD, &req);
    const struct timespec nap = {0, 20 * 1000 * 1000}; /* 20 ms */
    for (int done = 0;;) {
        MPI_Test(&req, &done, MPI_STATUS_IGNORE);
        if (done) break;
        nanosleep(&nap, NULL);
    }
    MPI_Finalize();
}
