/* httpd.c — the loopback test server (see httpd.h). Test code only: it favours being
 * short and predictable over throughput. */
#define _GNU_SOURCE /* strcasestr */
#include "httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROUTES 32
#define MAX_CONNS  256

typedef struct route {
    char path[256];
    const unsigned char *body;
    size_t len;
    httpd_mode mode;
    int times;
    int hits;
    long long last_range;
} route;

struct httpd {
    int fd, port;
    atomic_int stop;
    pthread_t acceptor;
    pthread_mutex_t mu;
    route routes[MAX_ROUTES];
    int n_routes, total;
    pthread_t conns[MAX_CONNS];
    int n_conns;
};

typedef struct conn {
    httpd *h;
    int fd;
} conn;

static void send_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w <= 0) return;
        p += w;
        len -= (size_t)w;
    }
}

static void reply_status(int fd, int code, const char *text) {
    char hdr[256];
    int n = snprintf(hdr, sizeof hdr, "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s", code,
                     text, strlen(text), text);
    send_all(fd, hdr, (size_t)n);
}

static void *serve(void *arg) {
    conn *c = arg;
    httpd *h = c->h;
    char req[8192];
    size_t got = 0;
    while (got < sizeof req - 1) {
        struct pollfd pf = {c->fd, POLLIN, 0};
        if (poll(&pf, 1, 100) == 0) {
            if (atomic_load(&h->stop)) goto out;
            continue;
        }
        ssize_t r = recv(c->fd, req + got, sizeof req - 1 - got, 0);
        if (r <= 0) goto out;
        got += (size_t)r;
        req[got] = '\0';
        if (strstr(req, "\r\n\r\n")) break;
    }
    char path[256] = "";
    if (sscanf(req, "GET %255s HTTP/1.", path) != 1) {
        reply_status(c->fd, 400, "bad request");
        goto out;
    }
    long long start = 0;
    const char *rg = strcasestr(req, "\r\nRange: bytes=");
    if (rg) start = atoll(rg + 15);
    pthread_mutex_lock(&h->mu);
    h->total++;
    route *rt = NULL;
    for (int i = 0; i < h->n_routes; i++)
        if (strcmp(h->routes[i].path, path) == 0) rt = &h->routes[i];
    httpd_mode mode = HTTPD_404;
    const unsigned char *body = NULL;
    size_t len = 0;
    if (rt) {
        mode = (rt->times < 0 || rt->hits < rt->times) ? rt->mode : HTTPD_NORMAL;
        rt->hits++;
        rt->last_range = start;
        body = rt->body;
        len = rt->len;
    }
    pthread_mutex_unlock(&h->mu);
    if (mode == HTTPD_404) {
        reply_status(c->fd, 404, "not found");
        goto out;
    }
    if (mode == HTTPD_500) {
        reply_status(c->fd, 500, "internal error");
        goto out;
    }
    if (mode == HTTPD_NORANGE) start = 0;
    if (start < 0 || (size_t)start > len || (start > 0 && (size_t)start == len)) {
        char hdr[256];
        int n = snprintf(hdr, sizeof hdr,
                         "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */%zu\r\n"
                         "Content-Length: 0\r\nConnection: close\r\n\r\n",
                         len);
        send_all(c->fd, hdr, (size_t)n);
        goto out;
    }
    size_t rest = len - (size_t)start;
    char hdr[512];
    int n;
    if (start > 0)
        n = snprintf(hdr, sizeof hdr,
                     "HTTP/1.1 206 Partial Content\r\nContent-Length: %zu\r\nContent-Range: bytes "
                     "%lld-%zu/%zu\r\nConnection: close\r\n\r\n",
                     rest, start, len - 1, len);
    else
        n = snprintf(hdr, sizeof hdr,
                     "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nAccept-Ranges: bytes\r\n"
                     "Connection: close\r\n\r\n",
                     rest);
    send_all(c->fd, hdr, (size_t)n);
    const unsigned char *p = body + start;
    if (mode == HTTPD_TRUNCATE) {
        send_all(c->fd, p, rest / 2);
    } else if (mode == HTTPD_WRONG) {
        unsigned char *w = malloc(rest ? rest : 1);
        if (w) {
            memcpy(w, p, rest);
            for (size_t i = 0; i < rest; i += 97) w[i] ^= 0x5a;
            send_all(c->fd, w, rest);
            free(w);
        }
    } else if (mode == HTTPD_STALL) {
        send_all(c->fd, p, rest / 4);
        for (int i = 0; i < 100 && !atomic_load(&h->stop); i++) { /* at most 10 s */
            struct timespec ts = {0, 100000000L};
            nanosleep(&ts, NULL);
        }
    } else {
        send_all(c->fd, p, rest);
    }
out:
    shutdown(c->fd, SHUT_RDWR);
    close(c->fd);
    free(c);
    return NULL;
}

static void *acceptor(void *arg) {
    httpd *h = arg;
    while (!atomic_load(&h->stop)) {
        struct pollfd pf = {h->fd, POLLIN, 0};
        if (poll(&pf, 1, 50) <= 0) continue;
        int fd = accept(h->fd, NULL, NULL);
        if (fd < 0) continue;
        conn *c = malloc(sizeof *c);
        pthread_mutex_lock(&h->mu);
        int full = h->n_conns >= MAX_CONNS;
        pthread_mutex_unlock(&h->mu);
        if (!c || full) {
            free(c);
            close(fd);
            continue;
        }
        c->h = h;
        c->fd = fd;
        pthread_t t;
        if (pthread_create(&t, NULL, serve, c) != 0) {
            close(fd);
            free(c);
            continue;
        }
        pthread_mutex_lock(&h->mu);
        h->conns[h->n_conns++] = t;
        pthread_mutex_unlock(&h->mu);
    }
    return NULL;
}

httpd *httpd_start(void) {
    httpd *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    pthread_mutex_init(&h->mu, NULL);
    h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t al = sizeof a;
    if (h->fd < 0 || bind(h->fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(h->fd, 64) != 0 ||
        getsockname(h->fd, (struct sockaddr *)&a, &al) != 0) {
        if (h->fd >= 0) close(h->fd);
        free(h);
        return NULL;
    }
    h->port = ntohs(a.sin_port);
    if (pthread_create(&h->acceptor, NULL, acceptor, h) != 0) {
        close(h->fd);
        free(h);
        return NULL;
    }
    return h;
}

int httpd_port(const httpd *h) { return h->port; }

void httpd_route(httpd *h, const char *path, const void *body, size_t len, httpd_mode mode, int times) {
    pthread_mutex_lock(&h->mu);
    route *r = NULL;
    for (int i = 0; i < h->n_routes; i++)
        if (strcmp(h->routes[i].path, path) == 0) r = &h->routes[i];
    if (!r && h->n_routes < MAX_ROUTES) r = &h->routes[h->n_routes++];
    if (r) {
        snprintf(r->path, sizeof r->path, "%s", path);
        r->body = body;
        r->len = len;
        r->mode = mode;
        r->times = times;
        r->hits = 0;
    }
    pthread_mutex_unlock(&h->mu);
}

int httpd_hits(httpd *h, const char *path) {
    int n = 0;
    pthread_mutex_lock(&h->mu);
    for (int i = 0; i < h->n_routes; i++)
        if (strcmp(h->routes[i].path, path) == 0) n = h->routes[i].hits;
    pthread_mutex_unlock(&h->mu);
    return n;
}

long long httpd_last_range(httpd *h, const char *path) {
    long long v = -1;
    pthread_mutex_lock(&h->mu);
    for (int i = 0; i < h->n_routes; i++)
        if (strcmp(h->routes[i].path, path) == 0) v = h->routes[i].last_range;
    pthread_mutex_unlock(&h->mu);
    return v;
}

int httpd_total_hits(httpd *h) {
    pthread_mutex_lock(&h->mu);
    int n = h->total;
    pthread_mutex_unlock(&h->mu);
    return n;
}

void httpd_stop(httpd *h) {
    if (!h) return;
    atomic_store(&h->stop, 1);
    pthread_join(h->acceptor, NULL);
    for (int i = 0; i < h->n_conns; i++) pthread_join(h->conns[i], NULL);
    close(h->fd);
    pthread_mutex_destroy(&h->mu);
    free(h);
}
