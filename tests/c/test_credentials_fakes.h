/* test_credentials_fakes.h — the fake world the credential tests run in: an environment
 * table, a fixed clock, scripted HTTP routes, a scripted STS and a temporary HOME made
 * with mkdtemp. Everything a provider sends is recorded so tests can assert on it.
 * Included by the test_credentials*.c programs only; nothing here touches the network or
 * the real HOME. */
#ifndef TEST_CREDENTIALS_FAKES_H
#define TEST_CREDENTIALS_FAKES_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "credentials.h"

/* 2026-11-27T02:00:00Z */
#define NOW 1795744800LL
#define IN_ONE_HOUR "2026-11-27T03:00:00Z"
#define AN_HOUR_AGO "2026-11-27T01:00:00Z"

/* Distinctive secrets: no error message may ever contain any of them. */
#define AKID "AKIAIOSFODNN7EXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSECRETz"
#define TOKEN "IQoJb3JpZ2luX2VjEPzSESSIONTOKENz"
#define WEB_TOKEN "eyJhbGciOiJSUzI1NiJ9.zWEBIDTOKENz.c2ln"
#define AUTH_TOKEN "Bearer zCONTAINERAUTHTOKENz"

#define MAX_VARS 64
#define MAX_ROUTES 16
#define MAX_REQS 16
#define MAX_STS 8

typedef struct fake_route {
  char method[8];
  char url[512];
  int status;
  char *body;
  int fail; /* transport failure: no response */
} fake_route;

typedef struct fake_req {
  char method[8];
  char url[512];
  long timeout_ms;
  rb_headers headers;
} fake_req;

typedef struct fake_sts_call {
  char op[64];
  char *params;                            /* JSON text */
  char *src_akid, *src_secret, *src_token; /* NULL when unsigned */
  char region[64];
} fake_sts_call;

typedef struct fake {
  char dir[256];
  char *names[MAX_VARS], *values[MAX_VARS];
  int nvars;
  long long now;
  fake_route routes[MAX_ROUTES];
  int nroutes;
  fake_req reqs[MAX_REQS];
  int nreqs;
  char *sts_replies[MAX_STS]; /* JSON text per call; the last one repeats */
  int nreplies;
  const char *sts_error_code; /* non-NULL: every STS call fails with it */
  fake_sts_call sts[MAX_STS];
  int nsts;
  char pathbuf[512];
} fake;

static __attribute__((unused)) const char *fake_getenv(void *ud, const char *name) {
  fake *f = ud;
  for (int i = f->nvars - 1; i >= 0; i--)
    if (strcmp(f->names[i], name) == 0)
      return f->values[i];
  return NULL;
}

static __attribute__((unused)) long long fake_now(void *ud) {
  return ((fake *)ud)->now;
}

static __attribute__((unused)) int fake_http(void *ud, const char *method,
                                             const char *url, const rb_headers *headers,
                                             long timeout_ms, int *status, rb_buf *body,
                                             rb_error *err) {
  fake *f = ud;
  if (f->nreqs < MAX_REQS) {
    fake_req *r = &f->reqs[f->nreqs++];
    snprintf(r->method, sizeof r->method, "%s", method);
    snprintf(r->url, sizeof r->url, "%s", url);
    r->timeout_ms = timeout_ms;
    for (size_t i = 0; headers && i < headers->count; i++)
      assert_int_equal(
          rb_headers_add(&r->headers, headers->items[i].name, headers->items[i].value),
          0);
  }
  for (int i = 0; i < f->nroutes; i++) {
    fake_route *rt = &f->routes[i];
    if (strcmp(rt->method, method) != 0 || strcmp(rt->url, url) != 0)
      continue;
    if (rt->fail)
      return rb_error_set(err, "Timeout", "request to '%s' timed out", url);
    *status = rt->status;
    assert_int_equal(rb_buf_puts(body, rt->body ? rt->body : ""), 0);
    return 0;
  }
  return rb_error_set(err, "ConnectionError", "cannot connect to '%s'", url);
}

static __attribute__((unused)) char *fake_dup_or_null(const char *s) {
  return s ? strdup(s) : NULL;
}

static __attribute__((unused)) int fake_sts(void *ud, const char *op, const cJSON *params,
                                            const rb_credentials *src, const char *region,
                                            cJSON **out, rb_error *err) {
  fake *f = ud;
  assert_true(f->nsts < MAX_STS);
  fake_sts_call *c = &f->sts[f->nsts++];
  snprintf(c->op, sizeof c->op, "%s", op);
  c->params = cJSON_PrintUnformatted(params);
  c->src_akid = src ? fake_dup_or_null(src->access_key_id) : NULL;
  c->src_secret = src ? fake_dup_or_null(src->secret_access_key) : NULL;
  c->src_token = src ? fake_dup_or_null(src->session_token) : NULL;
  snprintf(c->region, sizeof c->region, "%s", region);
  if (f->sts_error_code) {
    rb_error_set(err, f->sts_error_code,
                 "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: "
                 "sts:AssumeRole");
    err->status = 403;
    snprintf(err->request_id, sizeof err->request_id,
             "c6104cbe-af31-11e0-8154-cbc7ccf896c7");
    return -1;
  }
  assert_true(f->nreplies > 0);
  int i = f->nsts - 1 < f->nreplies ? f->nsts - 1 : f->nreplies - 1;
  *out = cJSON_Parse(f->sts_replies[i]);
  assert_non_null(*out);
  return 0;
}

static __attribute__((unused)) void fake_set(fake *f, const char *name,
                                             const char *value) {
  assert_true(f->nvars < MAX_VARS);
  f->names[f->nvars] = strdup(name);
  f->values[f->nvars] = strdup(value);
  f->nvars++;
}

/* Writes `content` to <dir>/<name> and returns the full path (valid until the next call).
 */
static __attribute__((unused)) const char *fake_write(fake *f, const char *name,
                                                      const char *content) {
  snprintf(f->pathbuf, sizeof f->pathbuf, "%s/%s", f->dir, name);
  char *slash = strrchr(f->pathbuf, '/');
  *slash = '\0';
  mkdir(f->pathbuf, 0700);
  *slash = '/';
  FILE *fp = fopen(f->pathbuf, "w");
  assert_non_null(fp);
  fputs(content, fp);
  fclose(fp);
  return f->pathbuf;
}

static __attribute__((unused)) const char *fake_path(fake *f, const char *name) {
  snprintf(f->pathbuf, sizeof f->pathbuf, "%s/%s", f->dir, name);
  return f->pathbuf;
}

static __attribute__((unused)) void fake_route_add(fake *f, const char *method,
                                                   const char *url, int status,
                                                   const char *body) {
  assert_true(f->nroutes < MAX_ROUTES);
  fake_route *r = &f->routes[f->nroutes++];
  snprintf(r->method, sizeof r->method, "%s", method);
  snprintf(r->url, sizeof r->url, "%s", url);
  r->status = status;
  r->body = fake_dup_or_null(body);
}

static __attribute__((unused)) void fake_route_fail(fake *f, const char *method,
                                                    const char *url) {
  fake_route_add(f, method, url, 0, NULL);
  f->routes[f->nroutes - 1].fail = 1;
}

static __attribute__((unused)) void fake_routes_clear(fake *f) {
  for (int i = 0; i < f->nroutes; i++)
    free(f->routes[i].body);
  memset(f->routes, 0, sizeof f->routes);
  f->nroutes = 0;
}

static __attribute__((unused)) void fake_sts_reply(fake *f, const char *json) {
  assert_true(f->nreplies < MAX_STS);
  f->sts_replies[f->nreplies++] = strdup(json);
}

/* An STS AssumeRole-shaped reply with the given key id and the distinctive secrets. */
static __attribute__((unused)) void fake_sts_reply_creds(fake *f, const char *akid) {
  char json[1024];
  snprintf(json, sizeof json,
           "{\"Credentials\":{\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"%s\","
           "\"SessionToken\":\"%s\",\"Expiration\":\"%s\"},\"AssumedRoleUser\":{"
           "\"AssumedRoleId\":\"AROA3XFRBF535PLBIFPI4:runbook\",\"Arn\":"
           "\"arn:aws:sts::123456789012:assumed-role/deploy/runbook\"}}",
           akid, SECRET, TOKEN, IN_ONE_HOUR);
  fake_sts_reply(f, json);
}

static __attribute__((unused)) rb_cred_env fake_env(fake *f) {
  rb_cred_env e = {fake_getenv, fake_now, fake_http, fake_sts, f, NULL};
  return e;
}

static __attribute__((unused)) int fake_setup(void **state) {
  fake *f = calloc(1, sizeof *f);
  assert_non_null(f);
  const char *tmp = getenv("TMPDIR");
  snprintf(f->dir, sizeof f->dir, "%s/rb-cred-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  assert_non_null(mkdtemp(f->dir));
  f->now = NOW;
  fake_set(f, "HOME", f->dir);
  *state = f;
  return 0;
}

/* Removes a directory tree made by the test (only what fake_write created). */
static __attribute__((unused)) void fake_rm(const char *path) {
  DIR *d = opendir(path);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
        continue;
      char sub[1024];
      snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
      fake_rm(sub);
    }
    closedir(d);
  }
  remove(path);
}

static __attribute__((unused)) int fake_teardown(void **state) {
  fake *f = *state;
  fake_rm(f->dir);
  for (int i = 0; i < f->nvars; i++) {
    free(f->names[i]);
    free(f->values[i]);
  }
  for (int i = 0; i < f->nroutes; i++)
    free(f->routes[i].body);
  for (int i = 0; i < f->nreqs; i++)
    rb_headers_free(&f->reqs[i].headers);
  for (int i = 0; i < f->nreplies; i++)
    free(f->sts_replies[i]);
  for (int i = 0; i < f->nsts; i++) {
    free(f->sts[i].params);
    free(f->sts[i].src_akid);
    free(f->sts[i].src_secret);
    free(f->sts[i].src_token);
  }
  free(f);
  return 0;
}

/* No error message may carry a secret, token, web identity token or auth token. */
static __attribute__((unused)) void assert_no_secret(const rb_error *e) {
  static const char *const secrets[] = {
      SECRET, TOKEN, WEB_TOKEN, AUTH_TOKEN, "zCONTAINERAUTHTOKENz", "zIMDSTOKENz"};
  for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
    if (strstr(e->message, secrets[i]) || strstr(e->code, secrets[i]))
      fail_msg("error message leaks a secret: %s", e->message);
  }
}

/* Resolves and expects failure with `code`; returns nothing, checks secrets. */
/* Resolves with the fake environment and fails the test, naming the error, if that fails.
 */
static __attribute__((unused)) void resolve_ok(fake *f, const char *profile,
                                               rb_credentials *c) {
  rb_cred_env env = fake_env(f);
  rb_error err;
  rb_error_clear(&err);
  if (rb_credentials_resolve(&env, profile, c, &err) != 0)
    fail_msg("resolve failed: %s: %s", err.code, err.message);
}

static __attribute__((unused)) void expect_failure(fake *f, const char *profile,
                                                   const char *code, rb_error *err) {
  rb_cred_env env = fake_env(f);
  rb_credentials c = RB_CREDENTIALS_INIT;
  rb_error_clear(err);
  assert_int_equal(rb_credentials_resolve(&env, profile, &c, err), -1);
  assert_null(c.access_key_id);
  assert_null(c.secret_access_key);
  assert_string_equal(err->code, code);
  assert_no_secret(err);
}

/* Reads a file of tests/vectors/credentials into a malloc'd string. */
static __attribute__((unused)) char *vector_text(const char *name) {
  const char *root = getenv("RB_TEST_VECTORS");
  char path[1024];
  snprintf(path, sizeof path, "%s/credentials/%s", root ? root : "tests/vectors", name);
  FILE *fp = fopen(path, "rb");
  if (!fp)
    fail_msg("cannot open vector %s", path);
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  assert_non_null(s);
  assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
  s[n] = '\0';
  fclose(fp);
  return s;
}

#endif
