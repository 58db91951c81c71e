/* test_params.c — parameter resolution: precedence, unknown keys, wrong types, bounds, k=v parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/jsonutil.h"
#include "harness/core/params.h"
#include "tests/testmain.h"

static const bb_param_spec spec[] = {
    {"n_chains", BB_PARAM_INT, "128", 1, 1000, "chains"},
    {"step", BB_PARAM_DOUBLE, "0.01", 0, 10, "step"},
    {"adapt", BB_PARAM_BOOL, "true", 1, 0, "adapt"},
    {"move", BB_PARAM_STRING, "\"mala\"", 1, 0, "move"},
    {"temps", BB_PARAM_DOUBLE_LIST, "[1, 2.5]", 0, 100, "ladder"},
    {NULL, 0, NULL, 0, 0, NULL},
};

BB_TEST(defaults_then_task_then_user_take_precedence) {
    bb_ctx c = {0};
    cJSON *td = cJSON_Parse("{\"step\": 0.5, \"n_chains\": 7}");
    cJSON *user = cJSON_Parse("{\"step\": 2.385}");
    bb_params p;
    assert_int_equal(bb_params_resolve(spec, "method x", td, user, &p, &c), BB_OK);
    assert_int_equal(bb_params_int(&p, "n_chains"), 7);
    assert_true(bb_params_double(&p, "step") == 2.385);
    assert_true(bb_params_bool(&p, "adapt"));
    assert_string_equal(bb_params_str(&p, "move"), "mala");
    double t[4];
    assert_int_equal(bb_params_doubles(&p, "temps", t, 4), 2);
    assert_true(t[1] == 2.5);
    /* resolved object holds every parameter */
    assert_int_equal(cJSON_GetArraySize(p.values), 5);
    bb_params_free(&p);
    cJSON_Delete(td);
    cJSON_Delete(user);
}

BB_TEST(unknown_key_and_wrong_type_name_the_key) {
    bb_ctx c = {0};
    bb_params p;
    cJSON *u1 = cJSON_Parse("{\"stepp\": 1}");
    assert_int_equal(bb_params_resolve(spec, "method x", NULL, u1, &p, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "'stepp'"));
    assert_null(p.values);
    cJSON *u2 = cJSON_Parse("{\"n_chains\": 1.5}");
    assert_int_equal(bb_params_resolve(spec, "method x", NULL, u2, &p, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "'n_chains'"));
    cJSON *u3 = cJSON_Parse("{\"step\": \"big\"}");
    assert_int_equal(bb_params_resolve(spec, "method x", NULL, u3, &p, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "'step'"));
    cJSON *u4 = cJSON_Parse("{\"step\": 11}");
    assert_int_equal(bb_params_resolve(spec, "method x", NULL, u4, &p, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "outside"));
    cJSON *u5 = cJSON_Parse("[1]");
    assert_int_equal(bb_params_resolve(spec, "method x", NULL, u5, &p, &c), BB_EINVAL);
    cJSON_Delete(u1);
    cJSON_Delete(u2);
    cJSON_Delete(u3);
    cJSON_Delete(u4);
    cJSON_Delete(u5);
}

BB_TEST(key_value_strings_are_typed_by_the_spec) {
    bb_ctx c = {0};
    cJSON *o = cJSON_CreateObject();
    assert_int_equal(bb_params_parse_kv(spec, "m", "n_chains=64", o, &c), BB_OK);
    assert_int_equal(bb_params_parse_kv(spec, "m", "adapt=false", o, &c), BB_OK);
    assert_int_equal(bb_params_parse_kv(spec, "m", "temps=1,2,4.5", o, &c), BB_OK);
    assert_int_equal(bb_params_parse_kv(spec, "m", "temps=[1,3]", o, &c), BB_OK);
    assert_int_equal(bb_params_parse_kv(spec, "m", "move=rw", o, &c), BB_OK);
    assert_int_equal(bb_params_parse_kv(spec, "m", "n_chains=abc", o, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "'n_chains'"));
    assert_int_equal(bb_params_parse_kv(spec, "m", "nope=1", o, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "'nope'"));
    assert_int_equal(bb_params_parse_kv(spec, "m", "=1", o, &c), BB_EINVAL);
    assert_int_equal(bb_params_parse_kv(spec, "m", "adapt=maybe", o, &c), BB_EINVAL);
    bb_params p;
    assert_int_equal(bb_params_resolve(spec, "m", NULL, o, &p, &c), BB_OK);
    assert_int_equal(bb_params_int(&p, "n_chains"), 64);
    assert_false(bb_params_bool(&p, "adapt"));
    double t[4];
    assert_int_equal(bb_params_doubles(&p, "temps", t, 4), 2);
    assert_true(t[1] == 3.0);
    bb_params_free(&p);
    cJSON_Delete(o);
}

BB_TEST(canonical_json_sorts_keys_and_hash_ignores_order) {
    cJSON *a = cJSON_Parse("{\"b\": [1, 2.5, {\"y\": true, \"x\": null}], \"a\": \"s\\\"q\"}");
    cJSON *b = cJSON_Parse("{\"a\": \"s\\\"q\", \"b\": [1, 2.5, {\"x\": null, \"y\": true}]}");
    char *ca = bb_json_canonical(a);
    assert_string_equal(ca, "{\"a\":\"s\\\"q\",\"b\":[1,2.5,{\"x\":null,\"y\":true}]}");
    char ha[65], hb[65];
    bb_json_sha256(a, ha);
    bb_json_sha256(b, hb);
    assert_string_equal(ha, hb);
    free(ca);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(defaults_then_task_then_user_take_precedence),
             cmocka_unit_test(unknown_key_and_wrong_type_name_the_key),
             cmocka_unit_test(key_value_strings_are_typed_by_the_spec),
             cmocka_unit_test(canonical_json_sorts_keys_and_hash_ignores_order))
