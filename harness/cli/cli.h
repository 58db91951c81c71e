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

typedef struct bb_opt {
    const char *name;     /* long name without dashes; NULL terminates */
    char short_name;      /* 0 if none */
    const char *arg_name; /* NULL: flag without argument */
    const char *doc;      /* one line */
} bb_opt;

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

void bb_opt_init(bb_opt_iter *it, int argc, char **argv); /* starts after argv[0] */
/* Next option: its index in `table`, BB_OPT_POSITIONAL, BB_OPT_END, or BB_OPT_ERROR
 * (unknown option / missing argument; ctx says which). "--" ends option parsing.
 * Accepts --name value, --name=value, -x value. */
int bb_opt_next(bb_opt_iter *it, const bb_opt *table, bb_ctx *ctx);
/* "Usage: boltzbench <usage>\n\n<summary>\n\nOptions:\n  -x, --name ARG  doc\n" */
void bb_opt_help(FILE *fp, const char *usage, const char *summary, const bb_opt *table);

/* Parse the options of a subcommand whose only option is --help and which takes at most
 * one positional argument (`tasks [TASK]`, `methods [METHOD]`). Returns -1 to go on (with
 * *positional set or NULL), else the exit code to return (0 after --help, 2 on a usage error). */
int bb_opt_help_and_one(int argc, char **argv, const char *usage, const char *summary, const char *what,
                        const char **positional);

/* Print "boltzbench: <msg>" (one line) to stderr. */
void bb_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Parse a positive/non-negative integer option value; error names the option. */
int bb_cli_parse_i64(const char *opt, const char *s, long long min, long long *out);
/* Parse an energy-evaluation budget: an integer or 2e5-style notation in 1 … 2^53, with a
 * one-line error saying which rule failed (not a number, not whole, below 1, above 2^53). */
int bb_cli_parse_budget(const char *opt, const char *s, long long *out);
/* Add a --task-param key=value to obj: a number when the value parses as one, else a
 * string. Returns 0, or 2 after a one-line error. */
typedef struct cJSON cJSON;
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
