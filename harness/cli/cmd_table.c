/* cmd_table.c — `boltzbench table DIR`: aggregate the reports under DIR into
 * task × method tables (md, csv, latex, html) and optionally standalone SVG plots. */
#include <stdio.h>
#include <stdlib.h>

#include "harness/cli/cli.h"
#include "harness/core/fileio.h"
#include "harness/report/plot.h"
#include "harness/report/table.h"

int bb_cmd_table(int argc, char **argv) {
    bb_ctx ctx = {0};
    const char *dir = NULL, *out = NULL, *svg_dir = NULL, *format = "md";
    bb_table_select sel = {0};
    int overview = 0;
    const bb_opt opts[] = {
        BB_OPT_ROW_HELP,
        {"format", 'f', "FMT", "md (default), csv, latex or html (one self-contained page with plots)", BB_OPT_STRING,
         &format, 0},
        {"out", 'o', "FILE", "write the table to FILE (atomically) instead of standard output", BB_OPT_STRING, &out, 0},
        {"svg-dir", 0, "DIR", "also write every plot as a standalone SVG file into DIR", BB_OPT_STRING, &svg_dir, 0},
        {"tasks", 0, "LIST", "only these tasks (comma-separated, dw4 or dw4@1)", BB_OPT_STRING, &sel.tasks, 0},
        {"methods", 0, "LIST", "only these methods (comma-separated, mala or mala@1)", BB_OPT_STRING, &sel.methods, 0},
        {"budgets", 0, "LIST", "only these budgets (comma-separated, 100000 or 1e5)", BB_OPT_STRING, &sel.budgets, 0},
        {"metrics", 0, "LIST", "only these metrics (comma-separated names)", BB_OPT_STRING, &sel.metrics, 0},
        {"cost", 0, NULL, "add evaluations_used, method_wall_s and wall_s (budget.used, timing.*) as columns",
         BB_OPT_FLAG, &sel.cost, 0},
        {"by-group", 0, NULL,
         "one table per task group (the conformer tasks: rotatable-bond count) instead of per task; a cell is the "
         "mean over the group's tasks and seeds",
         BB_OPT_FLAG, &sel.by_group, 0},
        {"overview", 0, NULL, "md: only each task's methods x metrics table at its largest budget", BB_OPT_FLAG,
         &overview, 0},
        BB_OPT_ROW_END,
    };
    bb_cli cl;
    bb_cli_init(&cl, argc, argv, opts,
                "table DIR [--format md|csv|latex|html] [--out FILE] [--svg-dir DIR] [--tasks LIST] [--methods LIST] "
                "[--budgets LIST] [--metrics LIST] [--cost] [--by-group] [--overview]",
                "Aggregate every report (*.json, recursively) under DIR into one table per task and\n"
                "metric: rows are methods, columns are energy-evaluation budgets, cells are the mean over\n"
                "seeds +- the half-width of the t-based 95% CI (one seed: the value and n=1); the best\n"
                "cell of each column is marked. Reports of different harness versions are refused.\n"
                "The html format adds anytime curves and energy histograms (inline SVG). The selection\n"
                "options narrow the reports and metrics first (a name that matches nothing is an error);\n"
                "e.g. a method README's side-by-side table:\n"
                "  boltzbench table results/standard --budgets 1e5 --methods pis,mala \\\n"
                "    --metrics energy_w2,eq_x_w2,dist_w2 --cost --overview");
    int rc = bb_cli_one_arg(&cl, &dir, "table: one DIR only", NULL);
    if (rc >= 0) return rc;
    bb_table_format fmt = BB_TABLE_MD;
    if (bb_table_format_parse(format, &fmt, &ctx)) {
        bb_cli_error("%s", ctx.msg);
        return 2;
    }
    if (!dir) { /* after --format: a wrong format is the error to show */
        bb_cli_error("table: DIR required (e.g. results/quick)");
        return 2;
    }
    if (overview && fmt != BB_TABLE_MD) {
        bb_cli_error("--overview: only with --format md");
        return 2;
    }
    bb_rset rs;
    bb_agg agg = {0};
    bb_plot_set ps = {0};
    char *mem = NULL;
    size_t len = 0;
    FILE *fp = NULL;
    rc = bb_rset_load_dir(dir, &rs, &ctx);
    if (!rc && (sel.tasks || sel.methods || sel.budgets || sel.metrics || sel.cost || sel.by_group))
        rc = bb_rset_select(&rs, &sel, &ctx);
    if (!rc) rc = bb_agg_build(&rs, &agg, &ctx);
    if (!rc && svg_dir) rc = bb_plots_build(&rs, &agg, &ps, &ctx);
    if (!rc && svg_dir) rc = bb_plots_write_dir(&ps, svg_dir, &ctx);
    if (!rc && !(fp = open_memstream(&mem, &len))) rc = BB_ERR(&ctx, BB_ENOMEM, "table: out of memory");
    if (!rc) rc = overview ? bb_table_write_overview(fp, &rs, &agg, &ctx) : bb_table_write(fp, &rs, &agg, fmt, &ctx);
    if (fp && fclose(fp) != 0 && !rc) rc = BB_ERR(&ctx, BB_EIO, "table: write error");
    if (!rc) {
        if (out)
            rc = bb_write_file_atomic(out, mem, len, &ctx);
        else if (fwrite(mem, 1, len, stdout) != len || fflush(stdout) != 0)
            rc = BB_ERR(&ctx, BB_EIO, "standard output: write error");
    }
    free(mem);
    bb_plots_free(&ps);
    bb_agg_free(&agg);
    bb_rset_free(&rs);
    return bb_cli_status(rc, &ctx);
}
