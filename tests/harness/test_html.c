/* test_html.c — the HTML leaderboard page: self-contained (no script, no external
 * resource), holds the tables and the inline SVG plots, and renders in headless
 * Chromium (the DOM Chromium builds from it is checked, and a PNG screenshot is
 * taken). Skips cleanly, with the reason printed, when Chromium is not installed
 * (Debian package `chromium`; BB_CHROMIUM overrides the binary). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli/cli.h"
#include "test_table_fixtures.h"
#include "tests/testmain.h"

static char *make_page(char **dir_out) {
    char *dir = fx_tempdir();
    assert_non_null(dir);
    char reports[4200];
    snprintf(reports, sizeof reports, "%s/reports", dir);
    const char *tasks[2] = {"dw4", "gmm40"}, *methods[2] = {"mala", "pt"};
    const int64_t budgets[2] = {10000, 100000};
    for (int t = 0; t < 2; t++)
        for (int k = 0; k < 2; k++)
            for (int b = 0; b < 2; b++)
                for (int s = 0; s < 2; s++) {
                    fx_metric m[2] = {{"energy_w2", 0.75 - 0.25 * b + 0.125 * k + 0.0625 * s + 0.5 * t},
                                      {"energy_tv", 0.2 + 0.05 * k - 0.03125 * b}};
                    fx_run r = {tasks[t], 1, methods[k], budgets[b], (uint64_t)s, 0, NULL, m, 2, 1};
                    assert_int_equal(fx_write(reports, &r), 0);
                }
    char *page = malloc(4300);
    snprintf(page, 4300, "%s/board.html", dir);
    char *argv[] = {"table", reports, "--format", "html", "--out", page, NULL};
    assert_int_equal(bb_cmd_table(6, argv), 0);
    *dir_out = dir;
    return page;
}

BB_TEST(page_is_self_contained_with_tables_and_plots) {
    char *dir;
    char *page = make_page(&dir);
    char *html = fx_slurp(page);
    assert_non_null(html);
    assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    assert_int_equal(fx_count(html, "<table class=\"bb-table\">"), 4);     /* 2 tasks × 2 metrics */
    assert_int_equal(fx_count(html, "<svg "), 2 * 4);                      /* per task: 2 anytime, energy, 2-D */
    assert_int_equal(fx_count(html, "class=\"best\""), 2 * 2 * 2 + 2 * 2); /* + overview at 1e5 */
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "src="));
    assert_null(strstr(html, "href="));
    assert_null(strstr(html, "@import"));
    assert_null(strstr(html, "url("));
    /* the only URL is the SVG namespace */
    assert_int_equal(fx_count(html, "http"), fx_count(html, "xmlns=\"http://www.w3.org/2000/svg\""));
    free(html);
    fx_rmtree(dir);
    free(dir), free(page);
}

static const char *chromium(void) {
    const char *env = getenv("BB_CHROMIUM");
    if (env && *env) return access(env, X_OK) == 0 ? env : NULL;
    static const char *const cands[] = {"/usr/bin/chromium", "/usr/bin/chromium-browser", NULL};
    for (int i = 0; cands[i]; i++)
        if (access(cands[i], X_OK) == 0) return cands[i];
    return NULL;
}

static int run_chromium(const char *bin, const char *profile, const char *args, const char *page, const char *out) {
    char cmd[16384];
    snprintf(cmd, sizeof cmd,
             "timeout 90 '%s' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
             "--disable-background-networking --disable-component-update --disable-sync "
             "--user-data-dir='%s' %s 'file://%s' > '%s' 2>/dev/null",
             bin, profile, args, page, out);
    return system(cmd);
}

BB_TEST(page_renders_in_headless_chromium) {
    const char *bin = chromium();
    if (!bin) {
        printf("SKIP: chromium not found (apt-get install chromium, or set BB_CHROMIUM)\n");
        skip();
    }
    char *dir;
    char *page = make_page(&dir);
    char profile[4300], dom[4300], png[4300], args[4400], devnull[4300];
    snprintf(profile, sizeof profile, "%s/profile", dir);
    snprintf(dom, sizeof dom, "%s/dom.html", dir);
    snprintf(png, sizeof png, "%s/shot.png", dir);
    snprintf(devnull, sizeof devnull, "%s/screenshot.log", dir);
    assert_int_equal(run_chromium(bin, profile, "--dump-dom", page, dom), 0);
    char *d = fx_slurp(dom);
    assert_non_null(d);
    /* the DOM as Chromium parsed it: tables, rows, inline SVG elements with paths */
    assert_int_equal(fx_count(d, "<table class=\"bb-table\">"), 4);
    assert_int_equal(fx_count(d, "<table class=\"bb-overview\">"), 2);
    assert_int_equal(fx_count(d, "<svg "), 8);
    assert_true(fx_count(d, "<path ") >= 2 * (2 * 2 + 3));
    assert_non_null(strstr(d, "<h2>dw4@1</h2>"));
    assert_non_null(strstr(d, "<h2>gmm40@1</h2>"));
    free(d);
    snprintf(args, sizeof args, "--window-size=1280,2400 --screenshot='%s'", png);
    assert_int_equal(run_chromium(bin, profile, args, page, devnull), 0);
    FILE *fp = fopen(png, "rb");
    assert_non_null(fp);
    unsigned char sig[8] = {0};
    assert_int_equal(fread(sig, 1, 8, fp), 8);
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fclose(fp);
    assert_memory_equal(sig, "\x89PNG\r\n\x1a\n", 8);
    printf("screenshot: %ld bytes\n", size);
    assert_true(size > 20000);                            /* a blank page compresses to a few kB */
    const char *keep = getenv("BB_TEST_KEEP_SCREENSHOT"); /* for looking at it */
    if (keep && *keep) {
        char cmd[9000];
        snprintf(cmd, sizeof cmd, "cp '%s' '%s'", png, keep);
        assert_int_equal(system(cmd), 0);
    }
    fx_rmtree(dir);
    free(dir), free(page);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(page_is_self_contained_with_tables_and_plots),
             cmocka_unit_test(page_renders_in_headless_chromium))
