/* httpd.h — a tiny loopback HTTP/1.1 server for the fetcher tests (test code only).
 *
 * Listens on 127.0.0.1 at an ephemeral port, one thread per connection, one request
 * per connection (Connection: close). Each route serves fixed bytes with a behaviour:
 * normal (with Range support, 206), truncated midway, 404, 500, wrong bytes, stalled,
 * or ignoring Range requests. A behaviour can be limited to the first `times`
 * requests (then the route serves normally), which models transient failures.
 * Not a general web server: GET only, no keep-alive, no chunked encoding.
 */
#ifndef BB_TEST_HTTPD_H
#define BB_TEST_HTTPD_H

#include <stddef.h>

typedef enum httpd_mode {
    HTTPD_NORMAL = 0,
    HTTPD_TRUNCATE, /* full Content-Length, half of the body, then close */
    HTTPD_404,
    HTTPD_500,
    HTTPD_WRONG,  /* same length, one byte in every 97 flipped */
    HTTPD_STALL,  /* headers and a quarter of the body, then silence */
    HTTPD_NORANGE /* answers Range requests with 200 and the whole body */
} httpd_mode;

typedef struct httpd httpd;

/* Start the server; NULL on failure. */
httpd *httpd_start(void);
int httpd_port(const httpd *h);
/* Serve `body` (not copied; must outlive the server) at `path` ("/x.npy"). times < 0:
 * the mode applies to every request; otherwise to the first `times` requests only. */
void httpd_route(httpd *h, const char *path, const void *body, size_t len, httpd_mode mode, int times);
/* Requests received for `path` (any status), and in total. */
int httpd_hits(httpd *h, const char *path);
int httpd_total_hits(httpd *h);
/* Range start (bytes=N-) of the last request for `path`, 0 without Range, -1 if none. */
long long httpd_last_range(httpd *h, const char *path);
/* Stop (wakes stalled connections) and free. NULL-safe. */
void httpd_stop(httpd *h);

#endif
