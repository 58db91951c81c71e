/* run_finished.c — has this run already been done? (suites and reproductions skip it) */
#include <cjson/cJSON.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/core/jsonutil.h"
#include "harness/report/report.h"
#include "harness/run/run.h"

int bb_run_finished(const bb_run_config *cfg) {
    struct stat sb;
    if (!cfg->out_path || stat(cfg->out_path, &sb) != 0) return 0;
    bb_ctx local = {0};
    cJSON *conf = bb_run_config_object(cfg, &local);
    if (!conf) return 0;
    char sha[65];
    bb_json_sha256(conf, sha);
    cJSON_Delete(conf);
    cJSON *rep = NULL;
    if (bb_report_read(cfg->out_path, &rep, &local)) return 0;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(rep, "status");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(rep, "config_sha256");
    int done =
        cJSON_IsString(st) && !strcmp(st->valuestring, "ok") && cJSON_IsString(h) && !strcmp(h->valuestring, sha);
    cJSON_Delete(rep);
    return done;
}
