/* test_table_svg.c — the SVG writer (scales, ticks, paths, legend escaping, heat
 * maps), the leaderboard plots built from synthetic reports, and the report
 * printer. Pixel positions are checked against values worked out by hand from the
 * fixed layout in svg.c (plot area x 78..470, y 328..34). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/report/plot.h"
#include "harness/report/report.h"
#include "harness/report/svg.h"
#include "harness/report/table.h"
#include "leaderboard_testutil.h"
#include "test_table_fixtures.h"
#include "tests/testmain.h"

BB_TEST(scales_map_linear_log_and_reversed_axes) {
    bb_svg_scale lg = {10, 1000, 1, 0, 200};
    assert_true(fabs(bb_svg_map(&lg, 100) - 100) < 1e-12);
    assert_true(fabs(bb_svg_map(&lg, 10)) < 1e-12);
    assert_true(fabs(bb_svg_map(&lg, 1000) - 200) < 1e-12);
    assert_true(fabs(bb_svg_map(&lg, 31.622776601683793) - 50) < 1e-9);
    assert_true(isnan(bb_svg_map(&lg, -1)) && isnan(bb_svg_map(&lg, 0)) && isnan(bb_svg_map(&lg, NAN)));
    assert_string_equal(bb_svg_color(-1), "#000000");
    assert_string_equal(bb_svg_color(0), "#0072b2");
    assert_string_equal(bb_svg_color(8), bb_svg_color(0)); /* palette of 8 wraps */
    bb_svg_scale up = {0, 4, 0, 300, 100};
    assert_true(fabs(bb_svg_map(&up, 1) - 250) < 1e-12);
}

BB_TEST(axes_snap_to_decades_and_nice_linear_steps) {
    bb_ctx ctx = {0};
    double lo, hi, t[16];
    size_t n;
    assert_int_equal(bb_svg_axis(3, 4000, 1, &lo, &hi, t, 16, &n, &ctx), BB_OK);
    assert_true(lo == 1 && hi == 1e4);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) assert_true(fabs(t[i] - pow(10, (double)i)) < 1e-9 * t[i]);
    assert_int_equal(bb_svg_axis(100, 100, 1, &lo, &hi, t, 16, &n, &ctx), BB_OK);
    assert_true(lo == 100 && hi == 1000 && n == 2);
    assert_int_equal(bb_svg_axis(0, 1, 0, &lo, &hi, t, 16, &n, &ctx), BB_OK);
    assert_true(fabs(lo + 0.05) < 1e-15 && fabs(hi - 1.05) < 1e-15);
    assert_int_equal(n, 6);
    for (size_t i = 0; i < n; i++) assert_true(fabs(t[i] - 0.2 * (double)i) < 1e-12);
    assert_int_equal(bb_svg_axis(2.5, 2.5, 0, &lo, &hi, t, 16, &n, &ctx), BB_OK);
    assert_true(lo < 2.5 && hi > 2.5 && n >= 2);
    assert_int_equal(bb_svg_axis(0, 10, 1, &lo, &hi, t, 16, &n, &ctx), BB_EINVAL);
    assert_int_equal(bb_svg_axis(NAN, 1, 0, &lo, &hi, t, 16, &n, &ctx), BB_EINVAL);
}

static char *lines_svg(const bb_svg_plot *p, const bb_svg_series *s, size_t ns, int want) {
    fx_mem m;
    bb_ctx ctx = {0};
    assert_int_equal(bb_svg_lines(fx_mem_open(&m), p, s, ns, &ctx), want);
    return fx_mem_close(&m);
}

BB_TEST(line_plot_puts_points_at_the_computed_pixels_and_breaks_at_nan) {
    const double x[3] = {10, 100, 1000}, y[3] = {1, 2, 3};
    bb_svg_series s = {"a<b&c", x, y, 3, 0, 0, 0};
    bb_svg_plot p = {"t", "evals", "w2", 1, 0};
    char *svg = lines_svg(&p, &s, 1, BB_OK);
    /* x: log axis [10, 1000] on 78..470; y: [0.9, 3.1] on 328..34 */
    FX_CONTAINS(svg, "d=\"M78.00 314.64 L274.00 181.00 L470.00 47.36\"", ">a&lt;b&amp;c</text>", ">1e2</text>");
    char *again = lines_svg(&p, &s, 1, BB_OK);
    assert_string_equal(svg, again);
    free(svg), free(again);
    const double x2[4] = {10, 100, 1000, 10000}, y2[4] = {1, NAN, 3, 2};
    bb_svg_series g = {"gap", x2, y2, 4, 1, 1, 0};
    svg = lines_svg(&p, &g, 1, BB_OK);
    assert_int_equal(fx_count(svg, " M"), 1); /* second sub-path after the NaN */
    assert_non_null(strstr(svg, "stroke-dasharray"));
    free(svg);
    bb_svg_series mk = {NULL, x, y, 3, 2, 0, 1};
    svg = lines_svg(&p, &mk, 1, BB_OK);
    assert_int_equal(fx_count(svg, "<circle"), 3); /* no legend entry for an unlabelled series */
    free(svg);
    const double ny[3] = {NAN, NAN, NAN};
    bb_svg_series none = {"none", x, ny, 3, 0, 0, 0};
    svg = lines_svg(&p, &none, 1, BB_EINVAL);
    free(svg);
}

BB_TEST(heat_maps_share_one_colour_scale_and_refuse_bad_grids) {
    const double xe[4] = {0, 1, 2, 3}, ye[3] = {-1, 0, 1};
    const double a[6] = {0.1, 0.2, 0.3, 0.0, 0.25, 0.15}, b[6] = {0.2, 0.1, 0.2, 0.1, 0.2, 0.2};
    const double *d[2] = {a, b};
    const char *labels[2] = {"reference", "mala"};
    fx_mem m;
    bb_ctx ctx = {0};
    assert_int_equal(bb_svg_heatmaps(fx_mem_open(&m), "t", "x", "y", 3, 2, xe, ye, d, labels, 2, &ctx), BB_OK);
    char *mem = fx_mem_close(&m);
    assert_int_equal(fx_count(mem, "<rect"), 5 + 6 + 2);          /* non-zero cells + 2 frames */
    assert_int_equal(fx_count(mem, "fill=\"rgb(8,48,107)\""), 1); /* only the maximum (0.3) */
    /* cell (i=2, j=0) = 0.3 spans x 60+2*220/3.. and y 156..266 (y bin 0 is the lower half) */
    assert_non_null(
        strstr(mem, "<rect x=\"206.67\" y=\"156.00\" width=\"73.33\" height=\"110.00\" fill=\"rgb(8,48,107)\"/>"));
    free(mem);
    const double bad[4] = {0, 2, 1, 3};
    assert_int_equal(bb_svg_heatmaps(fx_mem_open(&m), "t", "x", "y", 3, 2, bad, ye, d, labels, 2, &ctx), BB_EINVAL);
    free(fx_mem_close(&m));
}

/* F = −ln(p / p_max): F = 0 darkest, F = 1 at level (1 − 1/8)·0.9 + 0.1, F = 9 > 8 and empty
 * cells not drawn. */
BB_TEST(free_energy_heat_maps_colour_by_minus_log_density) {
    const double xe[5] = {0, 1, 2, 3, 4}, ye[2] = {0, 1};
    const double a[4] = {0.3, 0.3 * exp(-1.0), 0.3 * exp(-9.0), 0.0};
    const double *d[1] = {a};
    const char *labels[1] = {"reference"};
    fx_mem m;
    bb_ctx ctx = {0};
    assert_int_equal(bb_svg_heatmaps_free_energy(fx_mem_open(&m), "t", "x", "y", 4, 1, xe, ye, d, labels, 1, &ctx),
                     BB_OK);
    char *mem = fx_mem_close(&m);
    assert_int_equal(fx_count(mem, "<rect"), 2 + 1);
    assert_int_equal(fx_count(mem, "fill=\"rgb(8,48,107)\""), 1);
    assert_int_equal(fx_count(mem, "fill=\"rgb(36,71,124)\""), 1);
    assert_non_null(strstr(mem, "free energy F = -ln(p / p_max) in kT"));
    free(mem);
}

static char *make_plot_set(void) {
    char *dir = fx_tempdir();
    const int64_t budgets[2] = {1000, 10000};
    double w2[2][2][2];
    for (int k = 0; k < 2; k++)
        for (int b = 0; b < 2; b++)
            for (int s = 0; s < 2; s++) w2[k][b][s] = 0.5 + 0.25 * k - 0.125 * b + 0.0625 * s;
    fx_write_grid(dir, budgets, 2, &w2[0][0][0], 0);
    return dir;
}

BB_TEST(plots_are_built_from_anytime_histogram_and_2d_entries) {
    fx_board b;
    fx_board_load(&b, make_plot_set());
    assert_int_equal(fx_board_plots(&b), BB_OK);
    assert_int_equal(b.ps.n, 3);
    assert_string_equal(b.ps.p[0].name, "anytime-dw4-1-energy_w2.svg");
    assert_string_equal(b.ps.p[1].name, "energy-dw4-1.svg");
    assert_string_equal(b.ps.p[2].name, "density2d-dw4-1-tica_density.svg");
    /* anytime: one line per method (mean of 2 seeds at 3 checkpoints) + final circles at 2 budgets */
    assert_int_equal(fx_count(b.ps.p[0].svg, "<path"), 2);
    assert_int_equal(fx_count(b.ps.p[0].svg, "<circle"), 4 + 1); /* + the legend key */
    assert_non_null(strstr(b.ps.p[0].svg, ">final, per budget</text>"));
    /* energy: reference (dashed) + 2 methods, 4 bins = 8 step points each */
    assert_int_equal(fx_count(b.ps.p[1].svg, "<path"), 3);
    assert_int_equal(fx_count(b.ps.p[1].svg, " L"), 3 * 7);
    assert_non_null(strstr(b.ps.p[1].svg, ">reference</text>"));
    assert_non_null(strstr(b.ps.p[2].svg, ">TIC 1</text>"));
    assert_int_equal(fx_count(b.ps.p[2].svg, ">mala@1</text>") + fx_count(b.ps.p[2].svg, ">pt@1</text>"), 2);
    bb_plots_free(NULL);
    fx_board_free(&b);
}

BB_TEST(tica_layout_with_ranges_and_nested_rows_is_plotted_transposed) {
    char *dir = fx_tempdir();
    /* the tica_histogram layout: 2 x 2 bins on [0,2] x [10,14], rows = x bins */
    static const char fmt[] =
        "{\"schema\":\"boltzbench.report/1\",\"status\":\"ok\",\"config_sha256\":\"cd\","
        "\"harness\":{\"version\":\"0.1.0\",\"git_commit\":\"x\"},\"task\":{\"id\":\"aldp@1\",\"version\":1},"
        "\"method\":{\"name\":\"mala\",\"version\":1},\"seed\":0,\"budget\":{\"limit\":100,\"used\":100},"
        "\"metrics\":{\"tica_w2\":{\"value\":0.5},\"tica_histogram\":{\"value\":null,\"kind\":\"histogram2d\","
        "\"range_ic1\":[0,2],\"range_ic2\":[10,14],\"n_bins\":2,"
        "\"density_samples\":%s,\"density_reference\":[[0.25,0.25],[0.25,0.25]]}}}";
    char rep[2048];
    snprintf(rep, sizeof rep, fmt, "[[0,0.5],[0,0]]");
    assert_int_equal(fx_write_text(dir, "r.json", rep), 0);
    fx_board b;
    fx_board_load(&b, dir);
    assert_int_equal(fx_board_plots(&b), BB_OK);
    assert_int_equal(b.ps.n, 1);
    assert_string_equal(b.ps.p[0].name, "density2d-aldp-1-tica_histogram.svg");
    const char *svg = b.ps.p[0].svg;
    assert_non_null(strstr(svg, ">TIC 1</text>"));
    assert_non_null(strstr(svg, ">14</text>"));
    /* samples: only [x bin 0][y bin 1] (x 0..1, y 12..14) = the upper-left quarter of the
     * second panel (x from 60+260 = 320, y from the top 46), at the maximum colour; a
     * transposition would put it lower right (430, 156) */
    assert_non_null(
        strstr(svg, "<rect x=\"320.00\" y=\"46.00\" width=\"110.00\" height=\"110.00\" fill=\"rgb(8,48,107)\"/>"));
    assert_int_equal(fx_count(svg, "<rect"), 4 + 1 + 2);
    /* a row of the wrong length is an error naming the file and the row */
    snprintf(rep, sizeof rep, fmt, "[[0.5,0],[0]]");
    assert_int_equal(fx_write_text(dir, "r.json", rep), 0);
    fx_board_reload(&b);
    assert_int_equal(fx_board_plots(&b), BB_EFORMAT);
    printf("nested: %s\n", b.ctx.msg);
    assert_non_null(strstr(b.ctx.msg, "r.json: metrics.tica_histogram.density_samples[1]"));
    fx_board_free(&b);
}

/* A peptide report's Ramachandran entry (edges layout, "scale": "free_energy") gives the
 * side-by-side free-energy plot, reference first. */
BB_TEST(ramachandran_entries_are_plotted_as_free_energies) {
    char *dir = fx_tempdir();
    static const char rep[] =
        "{\"schema\":\"boltzbench.report/1\",\"status\":\"ok\",\"config_sha256\":\"cd\","
        "\"harness\":{\"version\":\"0.1.0\",\"git_commit\":\"x\"},\"task\":{\"id\":\"aldp-fab@1\",\"version\":1},"
        "\"method\":{\"name\":\"pt\",\"version\":1},\"seed\":0,\"budget\":{\"limit\":100,\"used\":100},"
        "\"metrics\":{\"rama_js\":{\"value\":0.1},\"rama_histogram_phi2_psi2\":{\"value\":null,"
        "\"kind\":\"histogram2d\",\"scale\":\"free_energy\",\"x_label\":\"phi2 (deg)\",\"y_label\":\"psi2 (deg)\","
        "\"x_edges\":[-180,0,180],\"y_edges\":[-180,0,180],\"density_samples\":[0.5,0,0,0.5],"
        "\"density_reference\":[1,0,0,0.1353352832366127]}}}";
    assert_int_equal(fx_write_text(dir, "r.json", rep), 0);
    fx_board b;
    fx_board_load(&b, dir);
    assert_int_equal(fx_board_plots(&b), BB_OK);
    assert_int_equal(b.ps.n, 1);
    assert_string_equal(b.ps.p[0].name, "density2d-aldp-fab-1-rama_histogram_phi2_psi2.svg");
    const char *svg = b.ps.p[0].svg;
    assert_non_null(strstr(svg, "(free energy), reference and samples"));
    assert_non_null(strstr(svg, ">phi2 (deg)</text>"));
    assert_non_null(strstr(svg, ">reference</text>"));
    /* reference: F = 0 and F = 2 cells; samples: two cells at F = ln 2 */
    assert_int_equal(fx_count(svg, "<rect"), 2 + 2 + 2);
    assert_int_equal(fx_count(svg, "fill=\"rgb(8,48,107)\""), 1);
    fx_board_free(&b);
}

BB_TEST(fine_energy_histograms_are_merged_for_display_keeping_mass) {
    char *dir = fx_tempdir();
    /* 120 bins of width 0.5 on [0, 60]: samples alternate 0/1, reference is flat 0.5.
     * Merged by 3 into 40 bins: groups (0,1,0) -> 1/3 and (1,0,1) -> 2/3. */
    cJSON *r = cJSON_CreateObject();
    cJSON *e = cJSON_CreateArray(), *ds = cJSON_CreateArray(), *dr = cJSON_CreateArray();
    for (int i = 0; i <= 120; i++) cJSON_AddItemToArray(e, cJSON_CreateNumber(0.5 * i));
    for (int i = 0; i < 120; i++) {
        cJSON_AddItemToArray(ds, cJSON_CreateNumber(i % 2));
        cJSON_AddItemToArray(dr, cJSON_CreateNumber(0.5));
    }
    char *ej = cJSON_PrintUnformatted(e), *dsj = cJSON_PrintUnformatted(ds), *drj = cJSON_PrintUnformatted(dr);
    char *rep = malloc(16384);
    snprintf(rep, 16384,
             "{\"schema\":\"boltzbench.report/1\",\"status\":\"ok\",\"config_sha256\":\"ef\","
             "\"harness\":{\"version\":\"0.1.0\",\"git_commit\":\"x\"},\"task\":{\"id\":\"dw4@1\"},"
             "\"method\":{\"name\":\"mala\",\"version\":1},\"seed\":0,\"budget\":{\"limit\":100,\"used\":100},"
             "\"metrics\":{\"energy_histogram\":{\"value\":null,\"kind\":\"histogram\",\"bin_edges\":%s,"
             "\"density_samples\":%s,\"density_reference\":%s}}}",
             ej, dsj, drj);
    assert_int_equal(fx_write_text(dir, "r.json", rep), 0);
    cJSON_free(ej), cJSON_free(dsj), cJSON_free(drj);
    cJSON_Delete(e), cJSON_Delete(ds), cJSON_Delete(dr), cJSON_Delete(r);
    free(rep);
    fx_board b;
    fx_board_load(&b, dir);
    assert_int_equal(fx_board_plots(&b), BB_OK);
    assert_int_equal(b.ps.n, 1);
    const char *svg = b.ps.p[0].svg;
    assert_non_null(strstr(svg, "(120 bins shown as 40)"));
    assert_int_equal(fx_count(svg, " L"), 2 * (2 * 40 - 1)); /* reference + samples, 80 points each */
    /* y axis: data [1/3, 2/3] padded 5% -> [0.31667, 0.68333] on 328..34; 1/3 -> 314.64, 2/3 -> 47.36;
     * first two merged bins: x 0..1.5 and 1.5..3 on a [-3, 63] axis over 78..470 */
    assert_non_null(strstr(svg, "M95.82 314.64 L104.73 314.64 L104.73 47.36 L113.64 47.36"));
    fx_board_free(&b);
}

BB_TEST(malformed_plot_data_is_an_error_naming_the_file) {
    char *dir = fx_tempdir();
    const char *bad =
        "{\"schema\":\"boltzbench.report/1\",\"status\":\"ok\",\"config_sha256\":\"ab\","
        "\"harness\":{\"version\":\"0.1.0\",\"git_commit\":\"x\"},\"task\":{\"id\":\"dw4\",\"version\":1},"
        "\"method\":{\"name\":\"mala\",\"version\":1},\"seed\":0,\"budget\":{\"limit\":100,\"used\":100},"
        "\"metrics\":{\"energy_w2\":{\"value\":1.5},\"energy_histogram\":{\"value\":null,\"kind\":\"histogram\","
        "\"bin_edges\":[0,1,2],\"density_samples\":[0.5],\"density_reference\":[0.5,0.5]}}}";
    assert_int_equal(fx_write_text(dir, "bad.json", bad), 0);
    fx_board b;
    fx_board_load(&b, dir);
    assert_int_equal(fx_board_plots(&b), BB_EFORMAT);
    printf("malformed: %s\n", b.ctx.msg);
    assert_non_null(strstr(b.ctx.msg, "bad.json: metrics.energy_histogram.density_samples"));
    assert_int_equal(b.ps.n, 0);
    fx_board_free(&b);
}

BB_TEST(report_printer_shows_config_budget_metrics_and_anytime) {
    char *dir = fx_tempdir();
    fx_metric m[2] = {{"energy_w2", 0.3125}, {"zz_custom", 7.5}};
    fx_run r = {"dw4", 1, "mala", 1000, 4, 0, NULL, m, 2, 1};
    assert_int_equal(fx_write(dir, &r), 0);
    char path[4200];
    snprintf(path, sizeof path, "%s/dw4/mala-b1000-s4.json", dir);
    cJSON *rep = NULL;
    bb_ctx ctx = {0};
    assert_int_equal(bb_report_read(path, &rep, &ctx), BB_OK);
    fx_mem out;
    assert_int_equal(bb_report_print(fx_mem_open(&out), rep, &ctx), BB_OK);
    char *mem = fx_mem_close(&out);
    printf("%s", mem);
    FX_CONTAINS(mem, "mala on dw4@1, seed 4 — status ok", "limit          1000", "energy_w2", "0.3125", "lower better",
                "unknown (lower assumed)", "Anytime curve", "0.9375" /* 0.3125 × 3 at the first checkpoint */,
                "(histogram data");
    free(mem);
    assert_int_equal(bb_report_print(fx_mem_open(&out), NULL, &ctx), BB_EINVAL);
    free(fx_mem_close(&out));
    cJSON_Delete(rep);
    fx_rmtree(dir);
    free(dir);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(scales_map_linear_log_and_reversed_axes),
             cmocka_unit_test(axes_snap_to_decades_and_nice_linear_steps),
             cmocka_unit_test(line_plot_puts_points_at_the_computed_pixels_and_breaks_at_nan),
             cmocka_unit_test(heat_maps_share_one_colour_scale_and_refuse_bad_grids),
             cmocka_unit_test(plots_are_built_from_anytime_histogram_and_2d_entries),
             cmocka_unit_test(tica_layout_with_ranges_and_nested_rows_is_plotted_transposed),
             cmocka_unit_test(fine_energy_histograms_are_merged_for_display_keeping_mass),
             cmocka_unit_test(malformed_plot_data_is_an_error_naming_the_file),
             cmocka_unit_test(report_printer_shows_config_budget_metrics_and_anytime),
             cmocka_unit_test(free_energy_heat_maps_colour_by_minus_log_density),
             cmocka_unit_test(ramachandran_entries_are_plotted_as_free_energies))
