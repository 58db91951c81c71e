/* cli.h — subcommands of the boltzbench program and the shared option parser.
 *
 * Each subcommand lives in harness/cli/cmd_<name>.c as `int bb_cmd_<name>(int argc,
 * char **argv)` (argv[0] is the subcommand name) and is listed in the table in
 * main.c. Options are declared once in a bb_opt table; --help is generated from it
 * (curl tool_getparam style), so help cannot drift from the parser.
 *
 * Errors: print exactly one line "boltzbench: <file or field>: <what>" to stderr
 * (bb_cli_error) and return a non-zero exit code: 2 for usage errors, 1 otherwise.
 */
#ifndef BB_CLI_H
#define BB_CLI_H

#include <signal.h>
#include <stdio.h>

#include "harness/core/bb.h"

typedef struct cJSON cJSON;

/* What the parser does with an option's value (bb_cli_next). */
typedef enum bb_opt_kind {
    BB_OPT_CALLER = 0, /* nothing: bb_cli_next returns the option to the command */
    BB_OPT_SHOW_HELP,  /* print the command's help; the command returns 0 */
    BB_OPT_FLAG,       /* int *dest = 1 */
    BB_OPT_STRING,     /* const char **dest = the argument */
    BB_OPT_INT,        /* long long *dest = an integer >= min (bb_cli_parse_i64) */
    BB_OPT_REAL,       /* double *dest = a finite number >= min */
    BB_OPT_BUDGET,     /* long long *dest = an evaluation budget (bb_cli_parse_budget) */
} bb_opt_kind;

typedef struct bb_opt {
    const char *name;     /* long name without dashes; NULL terminates */
    char short_name;      /* 0 if none */
    const char *arg_name; /* NULL: flag without argument */
    const char *doc;      /* one line */
    bb_opt_kind kind;     /* for bb_cli_next; bb_opt_next ignores it and the rest */
    void *dest;           /* where the value goes (see bb_opt_kind) */
    double min;           /* BB_OPT_INT, BB_OPT_REAL: the smallest value accepted */
} bb_opt;

/* Rows that several commands share. */
#define BB_OPT_ROW_HELP                                                                                                \
    { "help", 'h', NULL, "show this help", BB_OPT_SHOW_HELP, NULL, 0 }
#define BB_OPT_ROW_END                                                                                                 \
    { NULL, 0, NULL, NULL, BB_OPT_CALLER, NULL, 0 }
#define BB_OPT_ROW_QUIET(dest)                                                                                         \
    { "quiet", 'q', NULL, "no progress display", BB_OPT_FLAG, dest, 0 }
#define BB_OPT_ROW_THREADS(dest)                                                                                       \
    { "threads", 'j', "N", "OpenMP threads", BB_OPT_INT, dest, 1 }
#define BB_OPT_ROW_CACHE(dest)                                                                                         \
    {                                                                                                                  \
        "cache", 0, "DIR",                                                                                             \
            "cache directory (default $BOLTZBENCH_CACHE, $XDG_CACHE_HOME/boltzbench, ~/.cache/boltzbench)",            \
            BB_OPT_STRING, dest, 0                                                                                     \
    }
#define BB_OPT_ROW_MANIFEST(dest)                                                                                      \
    {                                                                                                                  \
        "manifest", 0, "FILE", "manifest to use (default datasets/manifest.json or $BOLTZBENCH_MANIFEST)",             \
            BB_OPT_STRING, dest, 0                                                                                     \
    }
#define BB_OPT_ROW_TASK_PARAM                                                                                          \
    { "task-param", 0, "KEY=VALUE", "task parameter, e.g. temperature=300 (repeatable)", BB_OPT_CALLER, NULL, 0 }

typedef struct bb_opt_iter {
    int argc;
    char **argv;
    int i;                  /* next argv index */
    const char *arg;        /* argument of the last option (NULL for flags) */
    const char *positional; /* set when the item is a positional argument (id = BB_OPT_POSITIONAL) */
} bb_opt_iter;

#define BB_OPT_END        (-1)
#define BB_OPT_POSITIONAL (-2)
#define BB_OPT_ERROR      (-3)
#define BB_OPT_EXIT       (-4)

void bb_opt_init(bb_opt_iter *it, int argc, char **argv); /* starts after argv[0] */
/* Next option: its index in `table`, BB_OPT_POSITIONAL, BB_OPT_END, or BB_OPT_ERROR
 * (unknown option / missing argument; ctx says which). "--" ends option parsing.
 * Accepts --name value, --name=value, -x value. */
int bb_opt_next(bb_opt_iter *it, const bb_opt *table, bb_ctx *ctx);
/* "Usage: boltzbench <usage>\n\n<summary>\n\nOptions:\n  -x, --name ARG  doc\n" */
void bb_opt_help(FILE *fp, const char *usage, const char *summary, const bb_opt *table);

/* A command's option loop: bb_opt_next plus what every command does the same way. */
typedef struct bb_cli {
    bb_opt_iter it;
    const bb_opt *opts;
    const char *usage, *summary; /* of the help */
    int exit;                    /* after BB_OPT_EXIT: 0 (help printed) or 2 (usage error printed) */
    int prev, cur;               /* the option parsed before the current item, and the current (-1: none) */
} bb_cli;

void bb_cli_init(bb_cli *c, int argc, char **argv, const bb_opt *opts, const char *usage, const char *summary);
/* Next item the command handles itself: the index of a BB_OPT_CALLER option (its argument
 * in c->it.arg), BB_OPT_POSITIONAL (c->it.positional), BB_OPT_END, or BB_OPT_EXIT: --help
 * was printed or a one-line usage error reported; the command returns c->exit. Options of
 * the other kinds are stored in their dest on the way. */
int bb_cli_next(bb_cli *c);
/* The whole loop of a command that takes no arguments and only options with a dest:
 * -1 to go on, else the exit status to return ("<command>: unexpected argument 'A'" for one). */
int bb_cli_no_args(bb_cli *c);
/* The same for a command with at most one argument (*positional, NULL if none); a second
 * one is a usage error with the message `too_many`, none is one with the message `missing`
 * unless that is NULL. */
int bb_cli_one_arg(bb_cli *c, const char **positional, const char *too_many, const char *missing);
/* The same for a command with n arguments (pos[0..n), NULL where not given): more is a
 * usage error with `too_many`, fewer one with `missing` unless that is NULL. */
int bb_cli_args(bb_cli *c, const char **pos, int n, const char *too_many, const char *missing);

/* Parse the options of a subcommand whose only option is --help and which takes at most
 * one positional argument (`tasks [TASK]`, `methods [METHOD]`). Returns -1 to go on (with
 * *positional set or NULL), else the exit code to return (0 after --help, 2 on a usage error). */
int bb_opt_help_and_one(int argc, char **argv, const char *usage, const char *summary, const char *what,
                        const char **positional);

/* Print "boltzbench: <msg>" (one line) to stderr. */
void bb_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One bb_cli_error line per metric the report records as not computable ("metric_errors"):
 * "<where>: metric NAME not computed: REASON". The run itself succeeded; exit status 0. */
void bb_cli_metric_warnings(const char *where, const cJSON *report);
/* The exit status of a command whose work returned rc: 0, or 1 after printing ctx's message. */
int bb_cli_status(int rc, const bb_ctx *ctx);
/* Parse a positive/non-negative integer option value; error names the option. */
int bb_cli_parse_i64(const char *opt, const char *s, long long min, long long *out);
/* Parse an energy-evaluation budget: an integer or 2e5-style notation in 1 … 2^53, with a
 * one-line error saying which rule failed (not a number, not whole, below 1, above 2^53). */
int bb_cli_parse_budget(const char *opt, const char *s, long long *out);
/* Add a --task-param key=value to obj: a number when the value parses as one, else a
 * string. Returns 0, or 2 after a one-line error. */
int bb_cli_task_param(cJSON *obj, const char *kv);

/* Catch SIGINT/SIGTERM (interrupt.c): the returned flag turns 1 at the first signal; a
 * second signal kills the process. For bb_run_config.interrupt. */
const volatile sig_atomic_t *bb_cli_catch_interrupts(void);
/* Exit status of a command whose run was interrupted (128 + SIGINT, as shells report it). */
#define BB_EXIT_INTERRUPTED 130

/* Subcommands (one file each). */
int bb_cmd_tasks(int argc, char **argv);
int bb_cmd_methods(int argc, char **argv);
int bb_cmd_run(int argc, char **argv);
int bb_cmd_suite(int argc, char **argv);
int bb_cmd_reproduce(int argc, char **argv); /* cmd_reproduce.c: paper protocols vs published rows */
int bb_cmd_version(int argc, char **argv);
int bb_cmd_reference(int argc, char **argv);
int bb_cmd_table(int argc, char **argv);    /* cmd_table.c: leaderboard tables + plots */
int bb_cmd_compare(int argc, char **argv);  /* cmd_compare.c: CI regression gate */
int bb_cmd_report(int argc, char **argv);   /* cmd_report.c: pretty-print one report */
int bb_cmd_fetch(int argc, char **argv);    /* cmd_fetch.c: download manifest datasets into the cache */
int bb_cmd_datasets(int argc, char **argv); /* cmd_datasets.c: list datasets and their cache state */
int bb_cmd_cache(int argc, char **argv);    /* cmd_cache.c: print or clean the cache directory */
int bb_cmd_eval(int argc, char **argv);     /* cmd_eval.c: score external samples with the metric suite */
int bb_cmd_minima(int argc, char **argv);   /* cmd_minima.c: build a task's minima catalogue (basin hopping) */
int bb_cmd_energy(int argc, char **argv);   /* cmd_energy.c: per-configuration energies (and forces) of samples */

#endif
