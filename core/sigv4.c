/* sigv4.c — AWS Signature Version 4 signing (see sigv4.h).
 *
 * A staged pipeline of pure functions in the manner of curl's http_aws_sigv4.c: canonical
 * URI, canonical query, canonical headers, canonical request, string to sign, signing
 * key, signature; then the headers or query parameters to add. Uses OpenSSL (SHA-256,
 * HMAC), rb_buf and rb_headers. It must never read the clock or the environment (time
 * comes in rb_sigv4_params), never put the secret key into any output or error message,
 * and must wipe every buffer holding the secret or a derived key before returning. */
#include "sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_UNSIGNED "UNSIGNED-PAYLOAD"
#define SIGV4_MAX_EXPIRES 604800L

/* Headers that proxies and HTTP stacks add or rewrite: never signed. */
static const char *const unsigned_headers[] = {
    "authorization",     "connection", "expect",     "proxy-authorization", "te",
    "transfer-encoding", "upgrade",    "user-agent", "x-amzn-trace-id",     NULL};

/* ---- encoding ---- */

static int is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* 1 when s[i..] starts a valid %XX escape within n bytes. */
static int is_escape(const char *s, size_t n, size_t i) {
  return s[i] == '%' && i + 2 < n && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0;
}

static int put_escape(rb_buf *out, unsigned char c) {
  static const char digits[] = "0123456789ABCDEF";
  char e[3] = {'%', digits[c >> 4], digits[c & 15]};
  return rb_buf_append(out, e, 3);
}

int rb_sigv4_uri_encode(const char *s, size_t n, int encode_slash, rb_buf *out) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    int rc = (is_unreserved(c) || (c == '/' && !encode_slash)) ? rb_buf_putc(out, (char)c)
                                                               : put_escape(out, c);
    if (rc != 0)
      return -1;
  }
  return 0;
}

/* Single encoding (S3): valid %XX escapes are kept, everything else encoded as usual. */
static int encode_keep_escapes(const char *s, size_t n, rb_buf *out) {
  for (size_t i = 0; i < n; i++) {
    int rc;
    if (is_escape(s, n, i)) {
      rc = rb_buf_append(out, s + i, 3);
      i += 2;
    } else {
      rc = rb_sigv4_uri_encode(s + i, 1, 0, out);
    }
    if (rc != 0)
      return -1;
  }
  return 0;
}

/* Appends s[0..n) with valid %XX escapes decoded. */
static int uri_decode(const char *s, size_t n, rb_buf *out) {
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (is_escape(s, n, i)) {
      c = (char)(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    }
    if (rb_buf_putc(out, c) != 0)
      return -1;
  }
  return 0;
}

/* ---- canonical URI ---- */

/* Removes empty and "." segments and resolves ".." (botocore's remove_dot_segments, the
 * behaviour AWS services expect); the result starts with '/' and keeps a trailing '/'. */
static int normalize_path(const char *path, rb_buf *out) {
  size_t n = strlen(path);
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && path[j] != '/')
      j++;
    size_t len = j - i;
    if (len == 2 && path[i] == '.' && path[i + 1] == '.') {
      while (out->len > 0 && out->data[out->len - 1] != '/')
        out->len--;
      if (out->len > 0)
        out->data[--out->len] = '\0';
    } else if (len > 0 && !(len == 1 && path[i] == '.')) {
      if (rb_buf_putc(out, '/') != 0 || rb_buf_append(out, path + i, len) != 0)
        return -1;
    }
    i = j + 1;
  }
  if (out->len == 0 || (n > 0 && path[n - 1] == '/'))
    return rb_buf_putc(out, '/');
  return 0;
}

int rb_sigv4_canonical_uri(const char *path, int normalize, int double_encode,
                           rb_buf *out) {
  rb_buf norm = RB_BUF_INIT;
  const char *p = path ? path : "";
  int rc = -1;
  if (normalize) {
    if (normalize_path(p, &norm) != 0)
      goto fail;
    p = rb_buf_cstr(&norm);
  }
  size_t n = strlen(p);
  if ((n == 0 || p[0] != '/') && rb_buf_putc(out, '/') != 0)
    goto fail;
  rc = double_encode ? rb_sigv4_uri_encode(p, n, 0, out) : encode_keep_escapes(p, n, out);
fail:
  rb_buf_free(&norm);
  return rc;
}

/* ---- canonical query ---- */

typedef struct query_pair {
  char *key;
  char *value;
} query_pair;

static int compare_pairs(const void *a, const void *b) {
  const query_pair *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  return c ? c : strcmp(x->value, y->value);
}

/* Decodes then encodes s[0..n) into a new string; NULL on OOM. */
static char *recode_component(const char *s, size_t n) {
  rb_buf raw = RB_BUF_INIT, enc = RB_BUF_INIT;
  char *r = NULL;
  if (uri_decode(s, n, &raw) == 0 && rb_sigv4_uri_encode(raw.data, raw.len, 1, &enc) == 0)
    r = rb_buf_detach(&enc);
  rb_buf_free_secure(&raw);
  rb_buf_free(&enc);
  return r;
}

static void free_pairs(query_pair *pairs, size_t count) {
  for (size_t i = 0; i < count; i++) {
    rb_free_secret(pairs[i].key);
    rb_free_secret(pairs[i].value);
  }
  free(pairs);
}

/* Splits `query` into encoded pairs; *count set. NULL on OOM (or an empty query). */
static query_pair *parse_query(const char *query, size_t *count) {
  size_t max = 1;
  for (const char *p = query; *p; p++)
    max += *p == '&';
  query_pair *pairs = calloc(max, sizeof *pairs);
  *count = 0;
  for (const char *p = query; pairs && *p;) {
    size_t len = strcspn(p, "&");
    if (len > 0) {
      const char *eq = memchr(p, '=', len);
      size_t klen = eq ? (size_t)(eq - p) : len;
      query_pair *q = &pairs[(*count)++];
      q->key = recode_component(p, klen);
      q->value = eq ? recode_component(eq + 1, len - klen - 1) : rb_strdup("");
      if (!q->key || !q->value) {
        free_pairs(pairs, *count);
        return NULL;
      }
    }
    p += len + (p[len] == '&');
  }
  return pairs;
}

int rb_sigv4_canonical_query(const char *query, rb_buf *out) {
  if (!query || !*query)
    return 0;
  size_t count = 0;
  query_pair *pairs = parse_query(query, &count);
  if (!pairs)
    return -1;
  qsort(pairs, count, sizeof *pairs, compare_pairs);
  int rc = 0;
  for (size_t i = 0; i < count && rc == 0; i++)
    rc = rb_buf_printf(out, "%s%s=%s", i ? "&" : "", pairs[i].key, pairs[i].value);
  free_pairs(pairs, count);
  return rc;
}

/* ---- canonical headers ---- */

typedef struct canon_header {
  char *name;  /* lowercase */
  char *value; /* trimmed, white space collapsed */
  size_t seq;  /* order of appearance, keeps the sort stable */
} canon_header;

static int compare_headers(const void *a, const void *b) {
  const canon_header *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int in_list(const char *const *list, const char *name) {
  for (size_t i = 0; list && list[i]; i++)
    if (strcasecmp(list[i], name) == 0)
      return 1;
  return 0;
}

/* Trims and collapses runs of white space into one space. NULL on OOM. */
static char *trim_value(const char *v) {
  rb_buf b = RB_BUF_INIT;
  int pending = 0;
  for (; *v; v++) {
    if (is_space(*v)) {
      pending = b.len > 0;
      continue;
    }
    if ((pending && rb_buf_putc(&b, ' ') != 0) || rb_buf_putc(&b, *v) != 0) {
      rb_buf_free_secure(&b);
      return NULL;
    }
    pending = 0;
  }
  return rb_buf_detach(&b);
}

static int add_canon(canon_header *list, size_t *count, const rb_header *h) {
  canon_header *c = &list[*count];
  c->name = rb_strdup(h->name);
  c->value = trim_value(h->value ? h->value : "");
  c->seq = (*count)++;
  if (!c->name || !c->value)
    return -1;
  for (char *p = c->name; *p; p++)
    if (*p >= 'A' && *p <= 'Z')
      *p = (char)(*p - 'A' + 'a');
  return 0;
}

static void free_canon(canon_header *list, size_t count) {
  for (size_t i = 0; i < count; i++) {
    free(list[i].name);
    rb_free_secret(list[i].value);
  }
  free(list);
}

/* Collects the signed headers in canonical form, sorted; NULL on OOM. */
static canon_header *collect_headers(const rb_headers *headers, const char *const *drop,
                                     const rb_headers *extra, size_t *count) {
  size_t nh = headers ? headers->count : 0, ne = extra ? extra->count : 0;
  canon_header *list = calloc(nh + ne + 1, sizeof *list);
  *count = 0;
  if (!list)
    return NULL;
  for (size_t i = 0; i < nh + ne; i++) {
    const rb_header *h = i < nh ? &headers->items[i] : &extra->items[i - nh];
    if (i < nh && (in_list(unsigned_headers, h->name) || in_list(drop, h->name)))
      continue;
    if (add_canon(list, count, h) != 0) {
      free_canon(list, *count);
      return NULL;
    }
  }
  qsort(list, *count, sizeof *list, compare_headers);
  return list;
}

int rb_sigv4_canonical_headers(const rb_headers *headers, const char *const *drop,
                               const rb_headers *extra, rb_buf *canon,
                               rb_buf *signed_names) {
  size_t count = 0;
  canon_header *list = collect_headers(headers, drop, extra, &count);
  if (!list)
    return -1;
  int rc = 0;
  for (size_t i = 0; i < count && rc == 0; i++) {
    int first = i == 0 || strcmp(list[i].name, list[i - 1].name) != 0;
    int last = i + 1 == count || strcmp(list[i].name, list[i + 1].name) != 0;
    if (first)
      rc |= rb_buf_printf(canon, "%s:", list[i].name) |
            rb_buf_printf(signed_names, "%s%s", i ? ";" : "", list[i].name);
    rc |= rb_buf_puts(canon, list[i].value) | rb_buf_putc(canon, last ? '\n' : ',');
  }
  free_canon(list, count);
  return rc ? -1 : 0;
}

/* ---- hashing and keys ---- */

static void to_hex(const unsigned char *d, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[d[i] >> 4];
    out[2 * i + 1] = digits[d[i] & 15];
  }
  out[2 * n] = '\0';
}

void rb_sigv4_sha256_hex(const void *data, size_t len, char out[65]) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(len ? data : (const void *)"", len, md);
  to_hex(md, sizeof md, out);
}

int rb_sigv4_amz_date(long long time, char out[17]) {
  struct tm tm;
  time_t t = (time_t)time;
  if ((long long)t != time || !gmtime_r(&t, &tm) || tm.tm_year < 0 || tm.tm_year > 8099)
    return -1;
  strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
  return 0;
}

static int hmac(const void *key, size_t key_len, const char *msg, unsigned char out[32]) {
  unsigned int len = 0;
  const unsigned char *r = HMAC(EVP_sha256(), key, (int)key_len,
                                (const unsigned char *)msg, strlen(msg), out, &len);
  return r && len == 32 ? 0 : -1;
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
 * "aws4_request") */
static int derive_key(const char *secret, const char *date, const rb_sigv4_params *p,
                      unsigned char key[32]) {
  rb_buf k = RB_BUF_INIT;
  unsigned char k_date[32], k_region[32], k_service[32];
  int rc = -1;
  if (rb_buf_puts(&k, "AWS4") != 0 || rb_buf_puts(&k, secret) != 0)
    goto fail;
  if (hmac(k.data, k.len, date, k_date) != 0 ||
      hmac(k_date, 32, p->region, k_region) != 0 ||
      hmac(k_region, 32, p->service, k_service) != 0 ||
      hmac(k_service, 32, "aws4_request", key) != 0)
    goto fail;
  rc = 0;
fail:
  OPENSSL_cleanse(k_date, sizeof k_date);
  OPENSSL_cleanse(k_region, sizeof k_region);
  OPENSSL_cleanse(k_service, sizeof k_service);
  rb_buf_free_secure(&k);
  return rc;
}

/* ---- the pipeline ---- */

static const char *str(const rb_buf *b) {
  return b->data ? b->data : "";
}

typedef struct sigv4_state {
  char amz_date[17];     /* 20150830T123600Z */
  char date[9];          /* 20150830 */
  char payload_hash[65]; /* hex SHA-256 of the body, or UNSIGNED-PAYLOAD */
  int has_token;
  rb_buf scope; /* 20150830/us-east-1/service/aws4_request */
  rb_buf canon_headers;
  rb_buf signed_names;
} sigv4_state;

static int check_scope_part(const char *what, const char *s, rb_error *err) {
  if (!s || !*s)
    return rb_error_set(err, "SigningError", "cannot sign request: no %s", what);
  for (const char *p = s; *p; p++)
    if (!is_unreserved((unsigned char)*p))
      return rb_error_set(err, "SigningError", "cannot sign request: invalid %s '%s'",
                          what, s);
  return 0;
}

static int check_input(const rb_sigv4_request *req, const rb_sigv4_credentials *creds,
                       const rb_sigv4_params *p, int presign, rb_error *err) {
  if (!req || !creds || !p || !req->method || !*req->method || !req->path ||
      !req->headers)
    return rb_error_set(err, "SigningError",
                        "cannot sign request: method, path and headers are required");
  if (!creds->access_key_id || !*creds->access_key_id || !creds->secret_access_key ||
      !*creds->secret_access_key)
    return rb_error_set(err, "SigningError",
                        "cannot sign request: incomplete credentials");
  if (check_scope_part("region", p->region, err) != 0 ||
      check_scope_part("service", p->service, err) != 0)
    return -1;
  if (!rb_headers_get(req->headers, "host"))
    return rb_error_set(err, "SigningError", "cannot sign request: no 'host' header");
  if (req->body_len > 0 && !req->body)
    return rb_error_set(err, "SigningError",
                        "cannot sign request: body length without body");
  if (presign && (p->expires < 1 || p->expires > SIGV4_MAX_EXPIRES))
    return rb_error_set(err, "SigningError",
                        "cannot presign request: expires %ld outside 1..604800 seconds",
                        p->expires);
  return 0;
}

static int begin(sigv4_state *st, const rb_sigv4_request *req,
                 const rb_sigv4_credentials *creds, const rb_sigv4_params *p,
                 rb_error *err) {
  if (rb_sigv4_amz_date(p->time, st->amz_date) != 0)
    return rb_error_set(err, "SigningError",
                        "cannot sign request: time %lld out of range", p->time);
  memcpy(st->date, st->amz_date, 8);
  if (p->payload == RB_SIGV4_PAYLOAD_UNSIGNED)
    memcpy(st->payload_hash, SIGV4_UNSIGNED, sizeof SIGV4_UNSIGNED);
  else
    rb_sigv4_sha256_hex(req->body, req->body_len, st->payload_hash);
  st->has_token = creds->session_token && *creds->session_token;
  if (rb_buf_printf(&st->scope, "%s/%s/%s/aws4_request", st->date, p->region,
                    p->service) != 0)
    return rb_error_set(err, "OutOfMemory", "cannot sign request: out of memory");
  return 0;
}

static void end(sigv4_state *st) {
  rb_buf_free(&st->scope);
  rb_buf_free_secure(&st->canon_headers);
  rb_buf_free(&st->signed_names);
}

/* METHOD \n URI \n QUERY \n HEADERS \n SIGNED-NAMES \n PAYLOAD-HASH */
static int build_creq(const rb_sigv4_request *req, const rb_sigv4_params *p,
                      const char *query, const sigv4_state *st, rb_buf *out) {
  for (const char *m = req->method; *m; m++)
    if (rb_buf_putc(out, (*m >= 'a' && *m <= 'z') ? (char)(*m - 'a' + 'A') : *m) != 0)
      return -1;
  if (rb_buf_putc(out, '\n') != 0 ||
      rb_sigv4_canonical_uri(req->path, p->normalize_path, p->double_encode, out) != 0 ||
      rb_buf_putc(out, '\n') != 0 || rb_sigv4_canonical_query(query, out) != 0)
    return -1;
  return rb_buf_printf(out, "\n%s\n%s\n%s", str(&st->canon_headers),
                       str(&st->signed_names), st->payload_hash);
}

/* Fills the string to sign and the signature from the canonical request. */
static int sign_creq(const rb_sigv4_credentials *creds, const rb_sigv4_params *p,
                     const sigv4_state *st, rb_sigv4_result *out) {
  char creq_hash[65];
  unsigned char key[32], sig[32];
  rb_sigv4_sha256_hex(out->canonical_request.data, out->canonical_request.len, creq_hash);
  int rc = rb_buf_printf(&out->string_to_sign, SIGV4_ALGORITHM "\n%s\n%s\n%s",
                         st->amz_date, str(&st->scope), creq_hash);
  if (rc == 0)
    rc = derive_key(creds->secret_access_key, st->date, p, key);
  if (rc == 0)
    rc = hmac(key, sizeof key, out->string_to_sign.data, sig);
  if (rc == 0)
    to_hex(sig, sizeof sig, out->signature);
  OPENSSL_cleanse(key, sizeof key);
  return rc;
}

/* Request headers the signer sets itself; the rest of `names` is NULL. */
static void signer_owned(const sigv4_state *st, int content_sha256,
                         const char *names[4]) {
  size_t n = 0;
  names[n++] = "x-amz-date";
  if (st->has_token)
    names[n++] = "x-amz-security-token";
  if (content_sha256)
    names[n++] = "x-amz-content-sha256";
  names[n] = NULL;
}

/* The headers that go on the request, in the order of the AWS test suite. */
static int add_result_headers(const rb_sigv4_credentials *creds, const rb_sigv4_params *p,
                              const sigv4_state *st, rb_sigv4_result *out) {
  rb_buf auth = RB_BUF_INIT;
  rb_headers *h = &out->add_headers;
  int rc = 0;
  if (st->has_token)
    rc |= rb_headers_add(h, "X-Amz-Security-Token", creds->session_token);
  rc |= rb_headers_add(h, "X-Amz-Date", st->amz_date);
  if (p->add_content_sha256)
    rc |= rb_headers_add(h, "x-amz-content-sha256", st->payload_hash);
  rc |= rb_buf_printf(
      &auth, SIGV4_ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
      creds->access_key_id, str(&st->scope), str(&st->signed_names), out->signature);
  if (rc == 0)
    rc = rb_headers_add(h, "Authorization", auth.data);
  rb_buf_free(&auth);
  return rc ? -1 : 0;
}

int rb_sigv4_sign(const rb_sigv4_request *req, const rb_sigv4_credentials *creds,
                  const rb_sigv4_params *params, rb_sigv4_result *out, rb_error *err) {
  sigv4_state st = {.scope = RB_BUF_INIT};
  rb_headers extra = RB_HEADERS_INIT;
  const char *drop[4];
  int rc = -1;
  if (!out)
    return rb_error_set(err, "SigningError", "cannot sign request: no result");
  rb_sigv4_result_free(out);
  if (check_input(req, creds, params, 0, err) != 0 || begin(&st, req, creds, params, err))
    goto done;
  signer_owned(&st, params->add_content_sha256, drop);
  int oom = rb_headers_add(&extra, "x-amz-date", st.amz_date);
  if (st.has_token && !params->omit_session_token)
    oom |= rb_headers_add(&extra, "x-amz-security-token", creds->session_token);
  if (params->add_content_sha256)
    oom |= rb_headers_add(&extra, "x-amz-content-sha256", st.payload_hash);
  if (oom ||
      rb_sigv4_canonical_headers(req->headers, drop, &extra, &st.canon_headers,
                                 &st.signed_names) != 0 ||
      build_creq(req, params, req->query, &st, &out->canonical_request) != 0 ||
      sign_creq(creds, params, &st, out) != 0 ||
      add_result_headers(creds, params, &st, out))
    rb_error_set(err, "OutOfMemory", "cannot sign request: out of memory");
  else
    rc = 0;
done:
  rb_headers_free(&extra);
  end(&st);
  if (rc != 0)
    rb_sigv4_result_free(out);
  return rc;
}

static int put_param(rb_buf *q, const char *name, const char *value) {
  if (rb_buf_printf(q, "&%s=", name) != 0)
    return -1;
  return rb_sigv4_uri_encode(value, strlen(value), 1, q);
}

/* The request's own query, then the X-Amz-* parameters that are signed. */
static int build_presign_query(const rb_sigv4_request *req, const rb_sigv4_credentials *c,
                               const rb_sigv4_params *p, const sigv4_state *st,
                               rb_buf *q) {
  rb_buf cred = RB_BUF_INIT;
  int rc = 0;
  if (req->query && *req->query)
    rc |= rb_buf_puts(q, req->query) | rb_buf_putc(q, '&');
  rc |= rb_buf_puts(q, "X-Amz-Algorithm=" SIGV4_ALGORITHM);
  rc |= rb_buf_printf(&cred, "%s/%s", c->access_key_id, str(&st->scope));
  if (rc == 0)
    rc |= put_param(q, "X-Amz-Credential", cred.data);
  rc |= put_param(q, "X-Amz-Date", st->amz_date);
  rc |= put_param(q, "X-Amz-SignedHeaders", str(&st->signed_names));
  rc |= rb_buf_printf(q, "&X-Amz-Expires=%ld", p->expires);
  if (st->has_token && !p->omit_session_token)
    rc |= put_param(q, "X-Amz-Security-Token", c->session_token);
  rb_buf_free(&cred);
  return rc ? -1 : 0;
}

int rb_sigv4_presign(const rb_sigv4_request *req, const rb_sigv4_credentials *creds,
                     const rb_sigv4_params *params, rb_sigv4_result *out, rb_error *err) {
  sigv4_state st = {.scope = RB_BUF_INIT};
  const char *drop[4];
  int rc = -1;
  if (!out)
    return rb_error_set(err, "SigningError", "cannot presign request: no result");
  rb_sigv4_result_free(out);
  if (check_input(req, creds, params, 1, err) != 0 || begin(&st, req, creds, params, err))
    goto done;
  signer_owned(&st, 0, drop);
  rb_buf *q = &out->query;
  int oom = rb_sigv4_canonical_headers(req->headers, drop, NULL, &st.canon_headers,
                                       &st.signed_names) != 0 ||
            build_presign_query(req, creds, params, &st, q) != 0 ||
            build_creq(req, params, rb_buf_cstr(q), &st, &out->canonical_request) != 0 ||
            sign_creq(creds, params, &st, out) != 0;
  if (!oom && st.has_token && params->omit_session_token)
    oom = put_param(q, "X-Amz-Security-Token", creds->session_token) != 0;
  if (oom || rb_buf_printf(q, "&X-Amz-Signature=%s", out->signature) != 0)
    rb_error_set(err, "OutOfMemory", "cannot presign request: out of memory");
  else
    rc = 0;
done:
  end(&st);
  if (rc != 0)
    rb_sigv4_result_free(out);
  return rc;
}

void rb_sigv4_result_free(rb_sigv4_result *r) {
  if (!r)
    return;
  rb_buf_free_secure(&r->canonical_request);
  rb_buf_free(&r->string_to_sign);
  rb_buf_free_secure(&r->query);
  rb_headers_free(&r->add_headers);
  memset(r->signature, 0, sizeof r->signature);
}
