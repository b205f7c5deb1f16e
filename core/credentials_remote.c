/* credentials_remote.c — credentials from local HTTP endpoints: the ECS/EKS container
 * endpoint and EC2 instance metadata (IMDSv2 with the IMDSv1 fallback botocore keeps).
 *
 * Uses only the injected blocking http callback, with short timeouts. The container
 * source is configured explicitly (environment variables), so its failures are errors;
 * instance metadata is ambient, so "not reachable" or "no role" only notes why for the
 * NoCredentials line, and only a bad credentials document is an error. Must never put a
 * response body, an authorization token or a metadata token in a message. */
#include "credentials_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define CONTAINER_BASE "http://169.254.170.2"
#define CONTAINER_TIMEOUT_MS 2000
#define IMDS_BASE "http://169.254.169.254"
#define IMDS_TIMEOUT_MS 1000
#define IMDS_ROLE_PATH "/latest/meta-data/iam/security-credentials/"
#define MAX_TOKEN_FILE (16 * 1024)

static void trim_end(rb_buf *b) {
  while (b->len && isspace((unsigned char)b->data[b->len - 1]))
    b->data[--b->len] = '\0';
}

/* ---- the container endpoint ---- */

/* The host of an http(s) URL, without brackets, user info or port. 0, or -1. */
static int url_host(const char *url, char *host, size_t n) {
  const char *p = strstr(url, "://");
  if (!p)
    return -1;
  p += 3;
  size_t len = strcspn(p, "/?#");
  const char *at = memchr(p, '@', len);
  if (at) {
    len -= (size_t)(at + 1 - p);
    p = at + 1;
  }
  if (len && *p == '[') {
    const char *close = memchr(p, ']', len);
    if (!close)
      return -1;
    p++;
    len = (size_t)(close - p);
  } else {
    const char *colon = memchr(p, ':', len);
    if (colon)
      len = (size_t)(colon - p);
  }
  if (len == 0 || len >= n)
    return -1;
  memcpy(host, p, len);
  host[len] = '\0';
  return 0;
}

/* The SDK rule for AWS_CONTAINER_CREDENTIALS_FULL_URI: https anywhere; http only to a
 * loopback address or the ECS / EKS Pod Identity agents. */
static int full_uri_allowed(const char *url) {
  if (strncasecmp(url, "https://", 8) == 0)
    return 1;
  char host[256];
  if (strncasecmp(url, "http://", 7) != 0 || url_host(url, host, sizeof host) != 0)
    return 0;
  static const char *const agents[] = {"169.254.170.2", "169.254.170.23", "fd00:ec2::23"};
  for (size_t i = 0; i < sizeof agents / sizeof agents[0]; i++)
    if (strcasecmp(host, agents[i]) == 0)
      return 1;
  if (strcasecmp(host, "localhost") == 0)
    return 1;
  struct in_addr a4;
  struct in6_addr a6;
  if (inet_pton(AF_INET, host, &a4) == 1)
    return (ntohl(a4.s_addr) >> 24) == 127;
  return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

static int container_url(const rb_cred_ctx *ctx, rb_buf *url, rb_error *err) {
  const char *rel = rb_cred_getenv(ctx->env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  int rc;
  if (rel) {
    const char *base = rb_cred_getenv(ctx->env, "RUNBOOK_CONTAINER_ENDPOINT");
    base = base ? base : CONTAINER_BASE;
    size_t blen = strlen(base);
    while (blen && base[blen - 1] == '/')
      blen--;
    rc = rb_buf_printf(url, "%.*s%s%s", (int)blen, base, rel[0] == '/' ? "" : "/", rel);
  } else {
    const char *full = rb_cred_getenv(ctx->env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!full_uri_allowed(full))
      return rb_error_set(
          err, "ContainerCredentialsError",
          "AWS_CONTAINER_CREDENTIALS_FULL_URI '%s' must be https, or http to "
          "a loopback address",
          full);
    rc = rb_buf_puts(url, full);
  }
  return rc == 0 ? 0 : rb_error_set(err, "OutOfMemory", "out of memory");
}

/* Authorization: the token file wins over the token variable, as in the SDKs. */
static int container_auth(const rb_cred_ctx *ctx, rb_headers *h, rb_error *err) {
  const char *file = rb_cred_getenv(ctx->env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  const char *tok = rb_cred_getenv(ctx->env, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
  rb_buf b = RB_BUF_INIT;
  int rc = 0;
  if (file) {
    rc = rb_cred_read_file(file, "container authorization token file", MAX_TOKEN_FILE, &b,
                           err);
    trim_end(&b);
    tok = b.data;
  }
  if (rc == 0 && tok && strpbrk(tok, "\r\n"))
    rc = rb_error_set(err, "ContainerCredentialsError",
                      "the container authorization token contains a line break");
  if (rc == 0 && tok && *tok && rb_headers_add(h, "Authorization", tok) != 0)
    rc = rb_error_set(err, "OutOfMemory", "out of memory");
  rb_buf_free_secure(&b);
  return rc;
}

static int container_fetch(const rb_cred_ctx *ctx, const char *url, const rb_headers *h,
                           rb_credentials *out, rb_error *err) {
  int status = 0;
  rb_buf body = RB_BUF_INIT;
  int rc = ctx->env->http(ctx->env->ud, "GET", url, h, CONTAINER_TIMEOUT_MS, &status,
                          &body, err);
  if (rc != 0)
    rc = rb_cred_error_wrap(err, "ContainerCredentialsError",
                            "cannot get credentials from the container endpoint '%s'",
                            url);
  else if (status != 200)
    rc = rb_error_set(err, "ContainerCredentialsError",
                      "cannot get credentials from the container endpoint '%s': http %d",
                      url, status);
  else {
    cJSON *json = cJSON_ParseWithLength(body.data ? body.data : "", body.len);
    char what[600];
    snprintf(what, sizeof what, "the container endpoint '%s'", url);
    rc = rb_cred_from_json(json, "Token", what, "ContainerCredentialsError", "container",
                           out, err);
    rb_cred_json_free(json);
  }
  rb_buf_free_secure(&body);
  return rc;
}

int rb_cred_from_container(const rb_cred_ctx *ctx, rb_credentials *out, rb_error *err) {
  if (!rb_cred_getenv(ctx->env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") &&
      !rb_cred_getenv(ctx->env, "AWS_CONTAINER_CREDENTIALS_FULL_URI"))
    return 0;
  rb_buf url = RB_BUF_INIT;
  rb_headers h = RB_HEADERS_INIT;
  int rc = container_url(ctx, &url, err);
  if (rc == 0 && rb_headers_add(&h, "Accept", "application/json") != 0)
    rc = rb_error_set(err, "OutOfMemory", "out of memory");
  if (rc == 0)
    rc = container_auth(ctx, &h, err);
  if (rc == 0 && !ctx->env->http)
    rc = rb_error_set(err, "ContainerCredentialsError",
                      "cannot get container credentials: no HTTP client available");
  if (rc == 0)
    rc = container_fetch(ctx, url.data, &h, out, err);
  rb_headers_free(&h);
  rb_buf_free(&url);
  return rc == 0 ? 1 : -1;
}

/* ---- EC2 instance metadata ---- */

typedef struct imds {
  rb_cred_ctx *ctx;
  const char *base;
  size_t base_len;
  rb_buf token; /* empty: IMDSv1 */
} imds;

__attribute__((format(printf, 2, 3))) static int imds_note(imds *m, const char *fmt,
                                                           ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m->ctx->imds_note, sizeof m->ctx->imds_note, fmt, ap);
  va_end(ap);
  return 0;
}

/* One request; 0 with *status on a response, -1 when nothing answered. */
static int imds_request(imds *m, const char *method, const char *path, int *status,
                        rb_buf *body) {
  rb_headers h = RB_HEADERS_INIT;
  rb_buf url = RB_BUF_INIT;
  rb_error terr;
  rb_error_clear(&terr);
  int rc = rb_buf_printf(&url, "%.*s%s", (int)m->base_len, m->base, path);
  if (rc == 0 && strcmp(method, "PUT") == 0)
    rc = rb_headers_add(&h, "X-aws-ec2-metadata-token-ttl-seconds", "21600");
  else if (rc == 0 && m->token.len)
    rc = rb_headers_add(&h, "X-aws-ec2-metadata-token", m->token.data);
  if (rc == 0)
    rc = m->ctx->env->http(m->ctx->env->ud, method, url.data, &h, IMDS_TIMEOUT_MS, status,
                           body, &terr);
  rb_headers_free(&h);
  rb_buf_free(&url);
  return rc == 0 ? 0 : -1;
}

/* 1 with m->token set (or empty for IMDSv1), 0 when metadata is not there. */
static int imds_token(imds *m) {
  int status = 0;
  if (imds_request(m, "PUT", "/latest/api/token", &status, &m->token) != 0)
    return imds_note(m, "not reachable");
  trim_end(&m->token);
  if (status == 200 && m->token.len)
    return 1;
  rb_buf_reset(&m->token);
  if (status == 403 || status == 404 || status == 405)
    return 1; /* IMDSv1 only: go on without a token, as botocore does */
  return imds_note(m, "token request answered http %d", status);
}

static int valid_role(const char *s) {
  if (!*s || strlen(s) > 128)
    return 0;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && !strchr("+=,.@_-", *s))
      return 0;
  return 1;
}

/* 1 with the role name in `role`, 0 when there is none. */
static int imds_role(imds *m, char *role, size_t n) {
  int status = 0;
  rb_buf body = RB_BUF_INIT;
  int rc = imds_request(m, "GET", IMDS_ROLE_PATH, &status, &body);
  if (rc != 0)
    rc = imds_note(m, "not reachable");
  else if (status == 404)
    rc = imds_note(m, "no instance role");
  else if (status != 200)
    rc = imds_note(m, "role request answered http %d", status);
  else {
    size_t len = body.data ? strcspn(body.data, "\r\n") : 0;
    snprintf(role, n, "%.*s", (int)len, body.data ? body.data : "");
    rc = valid_role(role) ? 1 : imds_note(m, "no instance role");
  }
  rb_buf_free(&body);
  return rc;
}

static int imds_credentials(imds *m, const char *role, rb_credentials *out,
                            rb_error *err) {
  char path[256], what[192], source[sizeof out->source];
  int status = 0;
  rb_buf body = RB_BUF_INIT;
  snprintf(path, sizeof path, "%s%s", IMDS_ROLE_PATH, role);
  snprintf(what, sizeof what, "instance metadata for role '%s'", role);
  snprintf(source, sizeof source, "imds:%.100s", role);
  int rc = imds_request(m, "GET", path, &status, &body);
  if (rc != 0 || status != 200) {
    rb_buf_free_secure(&body);
    return rc != 0 ? imds_note(m, "not reachable")
                   : imds_note(m, "credentials request answered http %d", status);
  }
  cJSON *json = cJSON_ParseWithLength(body.data ? body.data : "", body.len);
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(json, "Code");
  if (cJSON_IsString(code) && strcmp(code->valuestring, "Success") != 0)
    rc = rb_error_set(err, "InstanceMetadataError", "%s answered Code '%.64s'", what,
                      code->valuestring);
  else
    rc =
        rb_cred_from_json(json, "Token", what, "InstanceMetadataError", source, out, err);
  rb_cred_json_free(json);
  rb_buf_free_secure(&body);
  return rc == 0 ? 1 : -1;
}

int rb_cred_from_imds(rb_cred_ctx *ctx, rb_credentials *out, rb_error *err) {
  imds m = {ctx, NULL, 0, RB_BUF_INIT};
  const char *off = rb_cred_getenv(ctx->env, "AWS_EC2_METADATA_DISABLED");
  if (off && strcasecmp(off, "true") == 0)
    return imds_note(&m, "disabled");
  if (!ctx->env->http)
    return imds_note(&m, "no HTTP client");
  const char *base = rb_cred_getenv(ctx->env, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
  m.base = base ? base : IMDS_BASE;
  m.base_len = strlen(m.base);
  while (m.base_len && m.base[m.base_len - 1] == '/')
    m.base_len--;
  char role[160];
  int rc = imds_token(&m);
  if (rc == 1)
    rc = imds_role(&m, role, sizeof role);
  if (rc == 1)
    rc = imds_credentials(&m, role, out, err);
  rb_buf_free_secure(&m.token);
  return rc;
}
