/* fileio.c — see fileio.h. */
#include "harness/core/fileio.h"

#include <zlib.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static atomic_uint tmp_counter;

static void fsync_dir_of(const char *path) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    const char *dir = dirname(buf);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int bb_atomic_open(bb_atomic_file *af, const char *path, bb_ctx *ctx) {
    af->fp = NULL;
    if (strlen(path) + 40 >= sizeof af->path) return BB_ERR(ctx, BB_EINVAL, "%s: path too long", path);
    snprintf(af->path, sizeof af->path, "%s", path);
    snprintf(af->tmp, sizeof af->tmp, "%s.tmp.%ld.%u", path, (long)getpid(), atomic_fetch_add(&tmp_counter, 1u));
    int fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return BB_ERR(ctx, BB_EIO, "%s: cannot create file: %s", path, strerror(errno));
    af->fp = fdopen(fd, "wb");
    if (!af->fp) {
        int e = errno;
        close(fd);
        unlink(af->tmp);
        return BB_ERR(ctx, BB_EIO, "%s: %s", path, strerror(e));
    }
    return BB_OK;
}

int bb_atomic_commit(bb_atomic_file *af, bb_ctx *ctx) {
    int rc = BB_OK;
    if (!af->fp) return BB_ERR(ctx, BB_EINTERNAL, "%s: atomic file not open", af->path);
    if (fflush(af->fp) != 0 || ferror(af->fp) || fsync(fileno(af->fp)) != 0) {
        rc = BB_ERR(ctx, BB_EIO, "%s: write failed: %s", af->path, strerror(errno));
    }
    if (fclose(af->fp) != 0 && rc == BB_OK) rc = BB_ERR(ctx, BB_EIO, "%s: close failed: %s", af->path, strerror(errno));
    af->fp = NULL;
    if (rc == BB_OK && rename(af->tmp, af->path) != 0)
        rc = BB_ERR(ctx, BB_EIO, "%s: rename failed: %s", af->path, strerror(errno));
    if (rc != BB_OK) {
        unlink(af->tmp);
        return rc;
    }
    fsync_dir_of(af->path);
    return BB_OK;
}

void bb_atomic_abort(bb_atomic_file *af) {
    if (af->fp) {
        fclose(af->fp);
        af->fp = NULL;
        unlink(af->tmp);
    }
}

int bb_write_file_atomic(const char *path, const void *data, size_t len, bb_ctx *ctx) {
    bb_atomic_file af;
    int rc = bb_atomic_open(&af, path, ctx);
    if (rc) return rc;
    if (len && fwrite(data, 1, len, af.fp) != len) {
        rc = BB_ERR(ctx, BB_EIO, "%s: write failed: %s", path, strerror(errno));
        bb_atomic_abort(&af);
        return rc;
    }
    return bb_atomic_commit(&af, ctx);
}

int bb_read_file(const char *path, size_t max_bytes, char **out, size_t *out_len, bb_ctx *ctx) {
    *out = NULL;
    if (out_len) *out_len = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return BB_ERR(ctx, errno == ENOENT ? BB_ENOTFOUND : BB_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(fp);
        return BB_ERR(ctx, BB_EIO, "%s: not a regular file", path);
    }
    if ((size_t)st.st_size > max_bytes) {
        fclose(fp);
        return BB_ERR(ctx, BB_ENOMEM, "%s: file is %lld bytes, limit is %zu", path, (long long)st.st_size, max_bytes);
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (!buf) {
        fclose(fp);
        return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
    }
    size_t got = fread(buf, 1, n, fp);
    int err = ferror(fp);
    fclose(fp);
    if (got != n || err) {
        free(buf);
        return BB_ERR(ctx, BB_EIO, "%s: short read", path);
    }
    buf[n] = '\0';
    *out = buf;
    if (out_len) *out_len = n;
    return BB_OK;
}

int bb_mkdir_p(const char *path, bb_ctx *ctx) {
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return BB_ERR(ctx, BB_EINVAL, "%s: path too long", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return BB_ERR(ctx, BB_EIO, "%s: cannot create directory: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return BB_ERR(ctx, BB_EIO, "%s: cannot create directory: %s", buf, strerror(errno));
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) return BB_ERR(ctx, BB_EIO, "%s: not a directory", buf);
    return BB_OK;
}

static void hex(const unsigned char *d, unsigned n, char *out) {
    static const char *h = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = h[d[i] >> 4];
        out[2 * i + 1] = h[d[i] & 15];
    }
    out[2 * n] = '\0';
}

void bb_sha256_hex(const void *data, size_t len, char out[65]) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    hex(md, mdlen, out);
}

int bb_sha256_file(const char *path, char out[65], bb_ctx *ctx) {
    out[0] = '\0';
    FILE *fp = fopen(path, "rb");
    if (!fp) return BB_ERR(ctx, errno == ENOENT ? BB_ENOTFOUND : BB_EIO, "%s: cannot open: %s", path, strerror(errno));
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        fclose(fp);
        return BB_ERR(ctx, BB_ENOMEM, "%s: cannot start SHA-256", path);
    }
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0) EVP_DigestUpdate(md, buf, n);
    int err = ferror(fp);
    fclose(fp);
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dl = 0;
    EVP_DigestFinal_ex(md, d, &dl);
    EVP_MD_CTX_free(md);
    if (err) return BB_ERR(ctx, BB_EIO, "%s: read error", path);
    hex(d, dl, out);
    return BB_OK;
}

uint32_t bb_crc32(const void *data, size_t len) {
    const unsigned char *p = data;
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t off = 0; off < len;) {
        size_t n = len - off > ((size_t)1 << 30) ? ((size_t)1 << 30) : len - off;
        crc = crc32(crc, p + off, (uInt)n);
        off += n;
    }
    return (uint32_t)crc;
}

int bb_bytes_get(bb_bytes *r, void *dst, size_t n) {
    if (r->len - r->off < n) return 0;
    memcpy(dst, r->p + r->off, n);
    r->off += n;
    return 1;
}

int bb_deflate(const void *src, size_t len, int level, int window_bits, unsigned char **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    if (len > UINT32_MAX) return BB_EUNSUPPORTED;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) return BB_ENOMEM;
    size_t cap = deflateBound(&zs, (uLong)len);
    unsigned char *buf = malloc(cap);
    if (!buf) {
        deflateEnd(&zs);
        return BB_ENOMEM;
    }
    zs.next_in = (Bytef *)(uintptr_t)src;
    zs.avail_in = (uInt)len;
    zs.next_out = buf;
    zs.avail_out = (uInt)cap;
    int zrc = deflate(&zs, Z_FINISH);
    deflateEnd(&zs);
    if (zrc != Z_STREAM_END) {
        free(buf);
        return BB_EINTERNAL;
    }
    *out = buf;
    *out_len = cap - zs.avail_out;
    return BB_OK;
}
