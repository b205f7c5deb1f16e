/* sigv4_tool.c — test-only driver of the SigV4 signer (core/sigv4.c).
 *
 *   sigv4_tool suite DIR   runs every case of DIR/v4/ and DIR/extra/ (the aws-c-auth
 * signing test suite layout): header and query signing where the files exist; compares
 * canonical request, string to sign, signature and the signed request byte for byte;
 * prints both sides on mismatch sigv4_tool batch       reads one JSON request a line on
 * stdin, writes one JSON result a line on stdout (used by
 * tests/tools/sigv4_crosscheck.py)
 *
 * Uses cJSON and the core library. It must never be installed or used to sign real
 * requests: it prints canonical requests, which may hold session tokens. */
#include "sigv4.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct suite_case {
  rb_buf raw;         /* request.txt */
  char *method;       /* request line parts */
  char *path;         /* before '?' */
  char *query;        /* after '?', or NULL */
  char *version;      /* "HTTP/1.1" */
  rb_buf header_text; /* header lines exactly as in the file, each ending in '\n' */
  rb_headers headers; /* folded lines joined with '\n' (the signer collapses them) */
  const char *body;
  size_t body_len;
} suite_case;

typedef struct counts {
  int passed, failed;
} counts;

/* DIR/NAME as a new string (free it); NULL on OOM. */
static char *join(const char *dir, const char *name) {
  rb_buf b = RB_BUF_INIT;
  if (rb_buf_printf(&b, "%s/%s", dir, name) != 0) {
    rb_buf_free(&b);
    return NULL;
  }
  return rb_buf_detach(&b);
}

/* Reads DIR/NAME whole into `out` (NUL-terminated); -1 when missing or unreadable. */
static int read_file(const char *dir, const char *name, rb_buf *out) {
  char *path = join(dir, name);
  FILE *f = path ? fopen(path, "rb") : NULL;
  free(path);
  if (!f)
    return -1;
  char chunk[4096];
  size_t n;
  int rc = 0;
  while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
    rc = rb_buf_append(out, chunk, n);
  if (ferror(f))
    rc = -1;
  fclose(f);
  return rc == 0 && rb_buf_cstr(out) ? 0 : -1;
}

static int file_exists(const char *dir, const char *name) {
  char *path = join(dir, name);
  FILE *f = path ? fopen(path, "rb") : NULL;
  free(path);
  if (f)
    fclose(f);
  return f != NULL;
}

/* ---- request.txt ---- */

static int parse_request_line(suite_case *c, const char *line, size_t len) {
  const char *sp1 = memchr(line, ' ', len);
  const char *sp2 = line + len;
  while (sp2 > line && sp2[-1] != ' ')
    sp2--;
  if (!sp1 || sp2 - 1 <= sp1)
    return -1;
  const char *target = sp1 + 1, *end = sp2 - 1;
  const char *q = memchr(target, '?', (size_t)(end - target));
  c->method = rb_strndup(line, (size_t)(sp1 - line));
  c->path = rb_strndup(target, (size_t)((q ? q : end) - target));
  c->query = q ? rb_strndup(q + 1, (size_t)(end - q - 1)) : NULL;
  c->version = rb_strndup(sp2, (size_t)(line + len - sp2));
  return c->method && c->path && c->version ? 0 : -1;
}

static int flush_header(rb_headers *h, char **name, rb_buf *value) {
  int rc = 0;
  if (*name)
    rc = rb_headers_add(h, *name, rb_buf_cstr(value));
  free(*name);
  *name = NULL;
  rb_buf_reset(value);
  return rc;
}

/* Header lines up to a blank line or the end; a line starting with white space continues
 * the previous header. Sets *body_pos to the offset of the body. */
static int parse_headers(suite_case *c, size_t pos, size_t *body_pos) {
  const char *s = c->raw.data;
  char *name = NULL;
  rb_buf value = RB_BUF_INIT;
  int rc = 0;
  while (rc == 0 && pos < c->raw.len && s[pos] != '\n') {
    const char *nl = memchr(s + pos, '\n', c->raw.len - pos);
    size_t len = nl ? (size_t)(nl - (s + pos)) : c->raw.len - pos;
    const char *colon = memchr(s + pos, ':', len);
    rc |=
        rb_buf_append(&c->header_text, s + pos, len) | rb_buf_putc(&c->header_text, '\n');
    if (s[pos] == ' ' || s[pos] == '\t') {
      rc |= rb_buf_putc(&value, '\n') | rb_buf_append(&value, s + pos, len);
    } else if (colon) {
      rc |= flush_header(&c->headers, &name, &value);
      name = rb_strndup(s + pos, (size_t)(colon - (s + pos)));
      rc |= name ? 0 : -1;
      rc |= rb_buf_append(&value, colon + 1, len - (size_t)(colon - (s + pos)) - 1);
    } else {
      rc = -1;
    }
    pos += len + (nl != NULL);
  }
  rc |= flush_header(&c->headers, &name, &value);
  rb_buf_free(&value);
  *body_pos = pos < c->raw.len ? pos + 1 : pos;
  return rc ? -1 : 0;
}

static int parse_request(suite_case *c) {
  const char *s = c->raw.data;
  const char *nl = memchr(s, '\n', c->raw.len);
  size_t body_pos;
  if (!nl || parse_request_line(c, s, (size_t)(nl - s)) != 0 ||
      parse_headers(c, (size_t)(nl - s) + 1, &body_pos) != 0)
    return -1;
  c->body = s + body_pos;
  c->body_len = c->raw.len - body_pos;
  return 0;
}

static void free_case(suite_case *c) {
  rb_buf_free(&c->raw);
  free(c->method);
  free(c->path);
  free(c->query);
  free(c->version);
  rb_buf_free(&c->header_text);
  rb_headers_free(&c->headers);
}

/* ---- context.json ---- */

static const char *json_str(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int json_bool(const cJSON *o, const char *key) {
  return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static double json_num(const cJSON *o, const char *key, double dflt) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

/* "2015-08-30T12:36:00Z" to seconds since the epoch; -1 when malformed. */
static long long parse_timestamp(const char *s) {
  static const int at[6] = {0, 5, 8, 11, 14, 17}, len[6] = {4, 2, 2, 2, 2, 2};
  long v[6];
  if (!s || strlen(s) != 20 || s[19] != 'Z')
    return -1;
  for (int i = 0; i < 6; i++) {
    char part[5] = {0}, *end;
    memcpy(part, s + at[i], (size_t)len[i]);
    v[i] = strtol(part, &end, 10);
    if (*end)
      return -1;
  }
  struct tm tm = {.tm_year = (int)v[0] - 1900,
                  .tm_mon = (int)v[1] - 1,
                  .tm_mday = (int)v[2],
                  .tm_hour = (int)v[3],
                  .tm_min = (int)v[4],
                  .tm_sec = (int)v[5]};
  return (long long)timegm(&tm);
}

static int load_context(cJSON *ctx, rb_sigv4_credentials *creds, rb_sigv4_params *p) {
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(ctx, "credentials");
  creds->access_key_id = json_str(c, "access_key_id");
  creds->secret_access_key = json_str(c, "secret_access_key");
  creds->session_token = json_str(c, "token");
  p->region = json_str(ctx, "region");
  p->service = json_str(ctx, "service");
  p->time = parse_timestamp(json_str(ctx, "timestamp"));
  p->normalize_path = json_bool(ctx, "normalize");
  p->double_encode = 1; /* the suite's generator always double-encodes (see its README) */
  const char *body_value = json_str(ctx, "signed_body_value");
  p->payload = body_value && strcmp(body_value, "UNSIGNED-PAYLOAD") == 0
                   ? RB_SIGV4_PAYLOAD_UNSIGNED
                   : RB_SIGV4_PAYLOAD_SHA256;
  p->add_content_sha256 = json_bool(ctx, "sign_body");
  p->omit_session_token = json_bool(ctx, "omit_session_token");
  p->expires = (long)json_num(ctx, "expiration_in_seconds", 3600);
  return p->time < 0 ? -1 : 0;
}

/* ---- running one case ---- */

static int build_signed_request(const suite_case *c, const rb_sigv4_result *r,
                                int presign, rb_buf *out) {
  int rc = rb_buf_printf(out, "%s %s", c->method, c->path);
  if (presign)
    rc |= rb_buf_printf(out, "?%s", r->query.data);
  else if (c->query)
    rc |= rb_buf_printf(out, "?%s", c->query);
  rc |= rb_buf_printf(out, " %s\n", c->version);
  rc |= rb_buf_append(out, c->header_text.data, c->header_text.len);
  for (size_t i = 0; i < r->add_headers.count; i++)
    rc |= rb_buf_printf(out, "%s:%s\n", r->add_headers.items[i].name,
                        r->add_headers.items[i].value);
  rc |= rb_buf_putc(out, '\n') | rb_buf_append(out, c->body, c->body_len);
  return rc ? -1 : 0;
}

/* Compares `actual` with the file DIR/MODE-WHAT.txt; prints both sides on mismatch. */
static int expect_file(const char *dir, const char *mode, const char *what,
                       const char *actual, size_t len) {
  char name[64];
  rb_buf want = RB_BUF_INIT;
  snprintf(name, sizeof name, "%s-%s.txt", mode, what);
  int ok = read_file(dir, name, &want) == 0 && want.len == len &&
           memcmp(want.data, actual, len) == 0;
  if (!ok)
    printf("FAIL %s %s %s\n--- expected (%s/%s)\n%s\n--- actual\n%.*s\n---\n", dir, mode,
           what, dir, name, want.data ? want.data : "(missing)", (int)len, actual);
  rb_buf_free(&want);
  return ok;
}

static int check_result(const char *dir, const char *mode, const suite_case *c,
                        const rb_sigv4_result *r, int presign) {
  rb_buf sreq = RB_BUF_INIT;
  int ok = expect_file(dir, mode, "canonical-request", r->canonical_request.data,
                       r->canonical_request.len);
  ok &= expect_file(dir, mode, "string-to-sign", r->string_to_sign.data,
                    r->string_to_sign.len);
  ok &= expect_file(dir, mode, "signature", r->signature, strlen(r->signature));
  if (build_signed_request(c, r, presign, &sreq) != 0)
    ok = 0;
  else
    ok &= expect_file(dir, mode, "signed-request", sreq.data, sreq.len);
  rb_buf_free(&sreq);
  return ok;
}

static int run_mode(const char *dir, const suite_case *c,
                    const rb_sigv4_credentials *creds, const rb_sigv4_params *p,
                    int presign) {
  const char *mode = presign ? "query" : "header";
  rb_sigv4_request req = {c->method,   c->path, c->query,
                          &c->headers, c->body, c->body_len};
  rb_sigv4_result r = RB_SIGV4_RESULT_INIT;
  rb_error err;
  int rc = presign ? rb_sigv4_presign(&req, creds, p, &r, &err)
                   : rb_sigv4_sign(&req, creds, p, &r, &err);
  int ok = rc == 0 && check_result(dir, mode, c, &r, presign);
  if (rc != 0)
    printf("FAIL %s %s: %s: %s\n", dir, mode, err.code, err.message);
  printf("%s %s %s\n", ok ? "ok  " : "FAIL", dir, mode);
  rb_sigv4_result_free(&r);
  return ok;
}

static void run_case(const char *dir, counts *n) {
  suite_case c = {0};
  rb_buf ctx_text = RB_BUF_INIT;
  cJSON *ctx = NULL;
  rb_sigv4_credentials creds = {0};
  rb_sigv4_params p = {0};
  int loaded = read_file(dir, "request.txt", &c.raw) == 0 && parse_request(&c) == 0;
  loaded = loaded && read_file(dir, "context.json", &ctx_text) == 0 &&
           (ctx = cJSON_Parse(ctx_text.data)) != NULL &&
           load_context(ctx, &creds, &p) == 0;
  if (!loaded) {
    printf("FAIL %s: cannot load request.txt or context.json\n", dir);
    n->failed++;
  }
  for (int presign = 0; loaded && presign < 2; presign++) {
    if (!file_exists(dir, presign ? "query-canonical-request.txt"
                                  : "header-canonical-request.txt"))
      continue;
    if (run_mode(dir, &c, &creds, &p, presign))
      n->passed++;
    else
      n->failed++;
  }
  cJSON_Delete(ctx);
  rb_buf_free(&ctx_text);
  free_case(&c);
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every case folder of ROOT/GROUP in name order; a missing group is skipped. */
static void run_group(const char *root, const char *group, counts *n) {
  char *dir = join(root, group);
  DIR *d = dir ? opendir(dir) : NULL;
  char **names = NULL;
  size_t count = 0;
  for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.')
      continue;
    char **grown = realloc(names, (count + 1) * sizeof *names);
    char *name = rb_strdup(e->d_name);
    names = grown ? grown : names;
    if (!grown || !name) {
      free(name);
      n->failed++;
      break;
    }
    names[count++] = name;
  }
  if (d)
    closedir(d);
  if (count > 1)
    qsort(names, count, sizeof *names, compare_names);
  for (size_t i = 0; i < count; i++) {
    char *sub = join(dir, names[i]);
    if (sub && file_exists(sub, "request.txt"))
      run_case(sub, n);
    free(sub);
    free(names[i]);
  }
  free(names);
  free(dir);
}

static int run_suite(const char *root) {
  counts n = {0, 0};
  run_group(root, "v4", &n);
  run_group(root, "extra", &n);
  printf("%d passed, %d failed\n", n.passed, n.failed);
  if (n.passed == 0)
    printf("FAIL no case found under '%s'\n", root);
  return n.failed == 0 && n.passed > 0 ? 0 : 1;
}

/* ---- batch mode: one JSON request a line in, one JSON result a line out ---- */

static int hex_decode(const char *hex, rb_buf *out) {
  static const char digits[] = "0123456789abcdef";
  size_t n = hex ? strlen(hex) : 0;
  if (n % 2)
    return -1;
  for (size_t i = 0; i < n; i += 2) {
    const char *hi = strchr(digits, hex[i]), *lo = strchr(digits, hex[i + 1]);
    if (!hi || !lo || !*hi || !*lo ||
        rb_buf_putc(out, (char)((hi - digits) * 16 + (lo - digits))) != 0)
      return -1;
  }
  return 0;
}

static int load_headers(const cJSON *list, rb_headers *h) {
  const cJSON *pair;
  cJSON_ArrayForEach(pair, list) {
    const cJSON *name = cJSON_GetArrayItem(pair, 0), *value = cJSON_GetArrayItem(pair, 1);
    if (!cJSON_IsString(name) || !cJSON_IsString(value) ||
        rb_headers_add(h, name->valuestring, value->valuestring) != 0)
      return -1;
  }
  return 0;
}

static void load_batch_params(const cJSON *in, rb_sigv4_credentials *c,
                              rb_sigv4_params *p) {
  c->access_key_id = json_str(in, "access_key_id");
  c->secret_access_key = json_str(in, "secret_access_key");
  c->session_token = json_str(in, "session_token");
  p->region = json_str(in, "region");
  p->service = json_str(in, "service");
  p->time = (long long)json_num(in, "time", -1);
  p->normalize_path = json_bool(in, "normalize");
  p->double_encode = json_bool(in, "double_encode");
  p->payload =
      json_bool(in, "unsigned") ? RB_SIGV4_PAYLOAD_UNSIGNED : RB_SIGV4_PAYLOAD_SHA256;
  p->add_content_sha256 = json_bool(in, "content_sha256");
  p->omit_session_token = json_bool(in, "omit_session_token");
  p->expires = (long)json_num(in, "expires", 3600);
}

static cJSON *result_json(const rb_sigv4_result *r) {
  cJSON *o = cJSON_CreateObject(), *headers = cJSON_AddArrayToObject(o, "headers");
  cJSON_AddStringToObject(o, "canonical_request", r->canonical_request.data);
  cJSON_AddStringToObject(o, "string_to_sign", r->string_to_sign.data);
  cJSON_AddStringToObject(o, "signature", r->signature);
  cJSON_AddStringToObject(o, "query", r->query.data ? r->query.data : "");
  for (size_t i = 0; headers && i < r->add_headers.count; i++) {
    const char *pair[2] = {r->add_headers.items[i].name, r->add_headers.items[i].value};
    cJSON_AddItemToArray(headers, cJSON_CreateStringArray(pair, 2));
  }
  return o;
}

static cJSON *batch_one(const cJSON *in) {
  rb_headers headers = RB_HEADERS_INIT;
  rb_buf body = RB_BUF_INIT;
  rb_sigv4_credentials creds = {0};
  rb_sigv4_params p = {0};
  rb_sigv4_result r = RB_SIGV4_RESULT_INIT;
  rb_error err;
  cJSON *o = NULL;
  rb_sigv4_request req = {.method = json_str(in, "method"),
                          .path = json_str(in, "path"),
                          .query = json_str(in, "query"),
                          .headers = &headers};
  load_batch_params(in, &creds, &p);
  rb_error_clear(&err);
  int rc = -1;
  if (load_headers(cJSON_GetObjectItemCaseSensitive(in, "headers"), &headers) != 0 ||
      hex_decode(json_str(in, "body_hex"), &body) != 0) {
    rb_error_set(&err, "BadInput", "cannot read batch request headers or body_hex");
  } else {
    req.body = body.data;
    req.body_len = body.len;
    const char *mode = json_str(in, "mode");
    rc = mode && strcmp(mode, "query") == 0 ? rb_sigv4_presign(&req, &creds, &p, &r, &err)
                                            : rb_sigv4_sign(&req, &creds, &p, &r, &err);
  }
  if (rc == 0) {
    o = result_json(&r);
  } else {
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", err.message);
  }
  rb_sigv4_result_free(&r);
  rb_headers_free(&headers);
  rb_buf_free(&body);
  return o;
}

static int run_batch(FILE *in, FILE *out) {
  char *line = NULL;
  size_t cap = 0;
  int rc = 0;
  while (getline(&line, &cap, in) > 0) {
    cJSON *req = cJSON_Parse(line), *res = req ? batch_one(req) : cJSON_CreateObject();
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
    if (!req)
      cJSON_AddStringToObject(res, "error", "cannot parse batch line as JSON");
    if (id)
      cJSON_AddItemToObject(res, "id", cJSON_Duplicate(id, 1));
    char *text = cJSON_PrintUnformatted(res);
    if (!text || fprintf(out, "%s\n", text) < 0)
      rc = 1;
    fflush(out);
    free(text);
    cJSON_Delete(res);
    cJSON_Delete(req);
  }
  free(line);
  return rc;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "suite") == 0)
    return run_suite(argv[2]);
  if (argc == 2 && strcmp(argv[1], "batch") == 0)
    return run_batch(stdin, stdout);
  fprintf(stderr, "usage: sigv4_tool suite DIR | sigv4_tool batch\n");
  return 2;
}
