/* test_nn_checkpoint.c — checkpoints round-trip parameters, Adam and EMA state exactly,
 * and refuse a different architecture, a corrupted byte, a foreign file and an old
 * version, each with a message that names the problem; the record embedded in a method's
 * state (length + checkpoint) round-trips in a stream and refuses damage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cblas.h>

#include "harness/core/fileio.h"
#include "methods/nn/nn.h"
#include "tests/testmain.h"

typedef struct model {
    bb_nn_params ps;
    bb_nn_mlp mlp;
    bb_nn_adam opt;
    bb_nn_ema ema;
} model;

static void model_init(model *m, int hidden, uint64_t seed) {
    bb_ctx c = {0};
    bb_nn_params_init(&m->ps, BB_NN_F32);
    int sizes[3] = {3, hidden, 2};
    assert_int_equal(bb_nn_mlp_init(&m->mlp, &m->ps, "net", 3, sizes, BB_NN_ACT_SILU, &c), BB_OK);
    assert_int_equal(bb_nn_params_alloc(&m->ps, seed, &c), BB_OK);
    assert_int_equal(bb_nn_adam_init(&m->opt, &m->ps, 0.9, 0.99, 1e-8, 0.01, 1, &c), BB_OK);
    assert_int_equal(bb_nn_ema_init(&m->ema, &m->ps, 0.95, &c), BB_OK);
}

static void model_free(model *m) {
    bb_nn_adam_free(&m->opt);
    bb_nn_ema_free(&m->ema);
    bb_nn_params_free(&m->ps);
}

static void train_a_little(model *m) {
    bb_ctx c = {0};
    bb_nn_graph *g;
    assert_int_equal(bb_nn_graph_init(&g, 0, &c), BB_OK);
    double x[12] = {0.3, -1.2, 2.385, 0.7, 0.1, -0.4, 1.5, 1.1, -2.0, 0.25, 0.5, -0.75};
    for (int s = 0; s < 3; s++) {
        bb_nn_graph_reset(g);
        bb_nn_tensor *xt = bb_nn_from(g, BB_NN_F32, 2, (const int64_t[]){4, 3}, x);
        bb_nn_tensor *l = bb_nn_mean(g, bb_nn_unary(g, bb_nn_mlp_fwd(g, &m->ps, &m->mlp, xt), BB_NN_FN_SQUARE, 0));
        bb_nn_params_zero_grad(&m->ps);
        assert_int_equal(bb_nn_backward(g, l), BB_OK);
        assert_int_equal(bb_nn_adam_step(&m->opt, &m->ps, 1e-2, &c), BB_OK);
        bb_nn_ema_update(&m->ema, &m->ps);
    }
    bb_nn_graph_free(g);
}

static char dir[64];

BB_TEST(test_checkpoint_round_trips_parameters_adam_and_ema_exactly) {
    bb_ctx c = {0};
    model a, b;
    model_init(&a, 5, 1);
    train_a_little(&a);
    char path[128];
    snprintf(path, sizeof path, "%s/net.ckpt", dir);
    assert_int_equal(bb_nn_checkpoint_save(path, &a.ps, &a.opt, &a.ema, &c), BB_OK);
    model_init(&b, 5, 2); /* other seed: every value differs before loading */
    assert_true(memcmp(a.ps.data, b.ps.data, a.ps.total * 4) != 0);
    assert_int_equal(bb_nn_checkpoint_load(path, &b.ps, &b.opt, &b.ema, &c), BB_OK);
    assert_memory_equal(a.ps.data, b.ps.data, a.ps.total * 4);
    assert_memory_equal(a.opt.m, b.opt.m, a.ps.total * 2 * sizeof(double));
    assert_memory_equal(a.ema.shadow, b.ema.shadow, a.ps.total * sizeof(double));
    assert_int_equal(a.opt.t, b.opt.t);
    /* parameters only */
    model_free(&b);
    model_init(&b, 5, 3);
    assert_int_equal(bb_nn_checkpoint_load(path, &b.ps, NULL, NULL, &c), BB_OK);
    assert_memory_equal(a.ps.data, b.ps.data, a.ps.total * 4);
    model_free(&b);
    model_free(&a);
}

BB_TEST(test_checkpoint_refuses_mismatches_with_clear_errors) {
    bb_ctx c = {0};
    model a, b;
    model_init(&a, 5, 1);
    char path[128], bad[128];
    snprintf(path, sizeof path, "%s/a.ckpt", dir);
    snprintf(bad, sizeof bad, "%s/bad.ckpt", dir);
    assert_int_equal(bb_nn_checkpoint_save(path, &a.ps, NULL, NULL, &c), BB_OK);
    /* other hidden size */
    model_init(&b, 6, 1);
    void *before = malloc(b.ps.total * 4);
    memcpy(before, b.ps.data, b.ps.total * 4);
    assert_int_equal(bb_nn_checkpoint_load(path, &b.ps, NULL, NULL, &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "architecture mismatch"));
    assert_memory_equal(before, b.ps.data, b.ps.total * 4); /* unchanged on failure */
    free(before);
    model_free(&b);
    /* Adam state requested but absent */
    model_init(&b, 5, 1);
    assert_int_equal(bb_nn_checkpoint_load(path, &b.ps, &b.opt, NULL, &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "no Adam state"));
    /* one flipped byte */
    char *data;
    size_t len;
    assert_int_equal(bb_read_file(path, 1 << 20, &data, &len, &c), BB_OK);
    data[len / 2] ^= 0x10;
    assert_int_equal(bb_write_file_atomic(bad, data, len, &c), BB_OK);
    assert_int_equal(bb_nn_checkpoint_load(bad, &b.ps, NULL, NULL, &c), BB_EHASH);
    assert_non_null(strstr(c.msg, "crc32"));
    data[len / 2] ^= 0x10;
    /* version 2 */
    data[8] = 2;
    assert_int_equal(bb_write_file_atomic(bad, data, len, &c), BB_OK);
    assert_int_equal(bb_nn_checkpoint_load(bad, &b.ps, NULL, NULL, &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "version 2"));
    /* not a checkpoint */
    assert_int_equal(bb_write_file_atomic(bad, "{\"json\": true}\n............................", 44, &c), BB_OK);
    assert_int_equal(bb_nn_checkpoint_load(bad, &b.ps, NULL, NULL, &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "bad magic"));
    /* missing file */
    assert_true(bb_nn_checkpoint_load("/nonexistent/x.ckpt", &b.ps, NULL, NULL, &c) < 0);
    free(data);
    model_free(&b);
    model_free(&a);
}

/* The record a method's state embeds: u64 length + the encoded checkpoint, followed by
 * whatever the method writes next; a zero or absurd length and a short stream are refused. */
BB_TEST(test_checkpoint_record_in_a_stream_round_trips_and_refuses_damage) {
    bb_ctx c = {0};
    model a, b;
    model_init(&a, 5, 1);
    train_a_little(&a);
    char *mem = NULL;
    size_t mlen = 0;
    FILE *fp = open_memstream(&mem, &mlen);
    assert_non_null(fp);
    assert_int_equal(bb_nn_checkpoint_put(fp, &a.ps, &a.opt, &a.ema, "test state", &c), BB_OK);
    const int64_t tail = 424242;
    assert_int_equal(fwrite(&tail, sizeof tail, 1, fp), 1);
    fclose(fp);
    unsigned char *enc;
    size_t elen;
    assert_int_equal(bb_nn_checkpoint_encode(&a.ps, &a.opt, &a.ema, "x", &enc, &elen, &c), BB_OK);
    assert_int_equal(mlen, 8 + elen + 8); /* exactly length, checkpoint, then the caller's bytes */
    uint64_t n;
    memcpy(&n, mem, 8);
    assert_int_equal(n, elen);
    assert_memory_equal(mem + 8, enc, elen);
    free(enc);

    model_init(&b, 5, 2);
    fp = fmemopen(mem, mlen, "rb");
    assert_int_equal(bb_nn_checkpoint_get(fp, &b.ps, &b.opt, &b.ema, "test state", &c), BB_OK);
    int64_t t2;
    assert_int_equal(fread(&t2, sizeof t2, 1, fp), 1); /* the stream is left just after the record */
    assert_int_equal(t2, tail);
    fclose(fp);
    assert_memory_equal(a.ps.data, b.ps.data, a.ps.total * 4);
    assert_memory_equal(a.opt.m, b.opt.m, a.ps.total * 2 * sizeof(double));
    assert_memory_equal(a.ema.shadow, b.ema.shadow, a.ps.total * sizeof(double));

    /* truncated inside the checkpoint */
    fp = fmemopen(mem, 8 + elen / 2, "rb");
    assert_int_equal(bb_nn_checkpoint_get(fp, &b.ps, &b.opt, &b.ema, "test state", &c), BB_EFORMAT);
    assert_non_null(strstr(c.msg, "test state: truncated network record"));
    fclose(fp);
    /* zero and absurd lengths */
    const uint64_t bad_len[2] = {0, (uint64_t)1 << 40};
    for (int k = 0; k < 2; k++) {
        memcpy(mem, &bad_len[k], 8);
        fp = fmemopen(mem, mlen, "rb");
        assert_int_equal(bb_nn_checkpoint_get(fp, &b.ps, NULL, NULL, "test state", &c), BB_EFORMAT);
        assert_non_null(strstr(c.msg, "test state: corrupt network record"));
        fclose(fp);
    }
    /* a flipped byte inside is the decoder's crc error */
    memcpy(mem, &n, 8);
    mem[8 + elen / 2] ^= 0x10;
    fp = fmemopen(mem, mlen, "rb");
    assert_int_equal(bb_nn_checkpoint_get(fp, &b.ps, NULL, NULL, "test state", &c), BB_EHASH);
    fclose(fp);
    free(mem);
    model_free(&b);
    model_free(&a);
}

int main(void) {
    openblas_set_num_threads(1); /* the nn core parallelises its products itself (methods/nn/tensor.c) */
    snprintf(dir, sizeof dir, "/tmp/bb_nn_ckpt_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkpoint_round_trips_parameters_adam_and_ema_exactly),
        cmocka_unit_test(test_checkpoint_refuses_mismatches_with_clear_errors),
        cmocka_unit_test(test_checkpoint_record_in_a_stream_round_trips_and_refuses_damage),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) rc = rc ? rc : 1;
    return rc;
}
