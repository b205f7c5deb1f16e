/* client_record.c — --record, --replay and the --debug trace.
 *
 * A recording is one JSON document (format described in docs/recording.md):
 *   {"format": "runbook-recording", "version": 1, "run_time": <epoch s>, "region": "...",
 *    "exchanges": [{"service", "operation", "params", "attempt", "region", "credentials",
 *                   "request": {"method", "path", "query"},
 *                   "response": {"status", "headers": {...}, "body"} | "error": {...}}]}
 * "region" and "credentials" (the credential set's public id: "default", "profile:dev",
 * "role:<arn>") say where the call went; an exchange without them (an older recording)
 * went to the document's region with the default set. Exchanges are sorted by service,
 * operation, canonical parameters, region, credential set and attempt, so the same run
 * gives the same file whatever order the concurrent calls finished in. Replay answers
 * each attempt of each call from the exchange with the same key.
 *
 * Uses cJSON. It must never write a secret: request headers are not recorded at all, and
 * the secret key and session token of every credential set of the run, and any credential
 * fields in bodies, are replaced by "[redacted]" before anything is traced or recorded.
 */
#include "client_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define REDACTED "[redacted]"

/* ---- canonical JSON: keys sorted at every level, no spaces ---- */

static int compare_names(const void *a, const void *b) {
  return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

static cJSON *sorted_copy(const cJSON *item) {
  if (!cJSON_IsObject(item) && !cJSON_IsArray(item))
    return cJSON_Duplicate(item, 1);
  int n = cJSON_GetArraySize(item);
  const cJSON **kids = calloc(n ? (size_t)n : 1, sizeof *kids);
  cJSON *out = cJSON_IsObject(item) ? cJSON_CreateObject() : cJSON_CreateArray();
  if (!kids || !out)
    goto fail;
  int i = 0;
  for (const cJSON *k = item->child; k; k = k->next)
    kids[i++] = k;
  if (cJSON_IsObject(item))
    qsort(kids, (size_t)n, sizeof *kids, compare_names);
  for (i = 0; i < n; i++) {
    cJSON *copy = sorted_copy(kids[i]);
    if (!copy)
      goto fail;
    if (cJSON_IsObject(item))
      cJSON_AddItemToObject(out, kids[i]->string, copy);
    else
      cJSON_AddItemToArray(out, copy);
  }
  free(kids);
  return out;
fail:
  free(kids);
  cJSON_Delete(out);
  return NULL;
}

char *client_canonical_json(const cJSON *params) {
  if (!params)
    return rb_strdup("{}");
  cJSON *sorted = sorted_copy(params);
  char *s = sorted ? cJSON_PrintUnformatted(sorted) : NULL;
  cJSON_Delete(sorted);
  return s;
}

/* ---- redaction ---- */

static void replace_all(rb_buf *b, const char *secret) {
  if (!secret || strlen(secret) < 4 || !b->data)
    return;
  rb_buf out = RB_BUF_INIT;
  const char *p = b->data, *hit;
  size_t n = strlen(secret);
  while ((hit = strstr(p, secret))) {
    rb_buf_append(&out, p, (size_t)(hit - p));
    rb_buf_puts(&out, REDACTED);
    p = hit + n;
  }
  if (p == b->data)
    return;
  rb_buf_puts(&out, p);
  rb_buf_free_secure(b);
  *b = out;
}

/* Blanks the value of credential fields in JSON ("Name":"...") and XML
 * (<Name>...</Name>). */
static void redact_field(rb_buf *b, const char *name) {
  char open_json[64], open_xml[64], close_xml[64];
  snprintf(open_json, sizeof open_json, "\"%s\":", name);
  snprintf(open_xml, sizeof open_xml, "<%s>", name);
  snprintf(close_xml, sizeof close_xml, "</%s>", name);
  for (char *p = b->data; p && (p = strstr(p, open_json)); p++) {
    char *q = p + strlen(open_json);
    while (*q == ' ')
      q++;
    if (*q != '"')
      continue;
    char *end = q + 1;
    while (*end && *end != '"')
      end += (*end == '\\' && end[1]) ? 2 : 1;
    memset(q + 1, '*', (size_t)(end - q - 1));
  }
  for (char *p = b->data; p && (p = strstr(p, open_xml)); p++) {
    char *v = p + strlen(open_xml), *end = strstr(v, close_xml);
    if (end)
      memset(v, '*', (size_t)(end - v));
  }
}

static void redact(const rb_client *c, rb_buf *b) {
  static const char *fields[] = {"SecretAccessKey", "SessionToken", "secretAccessKey",
                                 "sessionToken", "Token"};
  for (const cred_set *s = c->sets; s; s = s->next) {
    replace_all(b, s->creds.secret_access_key);
    replace_all(b, s->creds.session_token);
  }
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
    redact_field(b, fields[i]);
}

static int secret_header(const char *name) {
  return strcasecmp(name, "Authorization") == 0 ||
         strcasecmp(name, "X-Amz-Security-Token") == 0;
}

/* ---- --debug trace ---- */

static void trace(rb_client *c, rb_buf *text) {
  redact(c, text);
  if (c->cfg.debug_write && text->data)
    c->cfg.debug_write(c->cfg.debug_ud, text->data);
  rb_buf_free_secure(text);
}

void client_trace_request(rb_client *c, const call *k, const char *method,
                          const char *url, const rb_headers *headers, const char *body,
                          size_t body_len) {
  if (!c->cfg.debug)
    return;
  rb_buf t = RB_BUF_INIT;
  rb_buf_printf(&t, "> %s %s (attempt %d, %s, credentials %s)\n> %s %s\n", k->service,
                k->operation, k->attempt, k->to->region, k->to->set->id, method, url);
  for (size_t i = 0; i < headers->count; i++)
    rb_buf_printf(&t, "> %s: %s\n", headers->items[i].name,
                  secret_header(headers->items[i].name) ? REDACTED
                                                        : headers->items[i].value);
  if (body_len)
    rb_buf_printf(&t, ">\n> %.*s\n", (int)body_len, body);
  trace(c, &t);
}

void client_trace_response(rb_client *c, const call *k, int status,
                           const rb_headers *headers, const char *body, size_t body_len,
                           const rb_error *err) {
  if (!c->cfg.debug)
    return;
  rb_buf t = RB_BUF_INIT;
  rb_buf_printf(&t, "< %s %s: HTTP %d%s%s\n", k->service, k->operation, status,
                err ? " error " : "", err ? err->code : "");
  for (size_t i = 0; headers && i < headers->count; i++)
    rb_buf_printf(&t, "< %s: %s\n", headers->items[i].name, headers->items[i].value);
  if (body_len)
    rb_buf_printf(&t, "<\n< %.*s\n", (int)(body_len > 4096 ? 4096 : body_len), body);
  trace(c, &t);
}

/* ---- recording ---- */

static cJSON *headers_json(const rb_headers *h) {
  cJSON *o = cJSON_CreateObject();
  for (size_t i = 0; o && h && i < h->count; i++)
    if (!secret_header(h->items[i].name) &&
        strcasecmp(h->items[i].name, "Set-Cookie") != 0)
      cJSON_AddStringToObject(o, h->items[i].name, h->items[i].value);
  return o;
}

void client_record_exchange(rb_client *c, const call *k, int status,
                            const rb_headers *resp_headers, const char *body,
                            size_t body_len, const rb_error *transport_err) {
  if (!c->recording)
    return;
  cJSON *x = cJSON_CreateObject();
  cJSON_AddStringToObject(x, "service", k->service);
  cJSON_AddStringToObject(x, "operation", k->operation);
  cJSON_AddItemToObject(x, "params", cJSON_Parse(k->params));
  cJSON_AddNumberToObject(x, "attempt", k->attempt);
  cJSON_AddStringToObject(x, "region", k->to->region);
  cJSON_AddStringToObject(x, "credentials", k->to->set->id);
  cJSON *req = cJSON_AddObjectToObject(x, "request");
  cJSON_AddStringToObject(req, "method", k->req.method);
  cJSON_AddStringToObject(req, "path", k->req.path.data ? k->req.path.data : "/");
  cJSON_AddStringToObject(req, "query", k->req.query.data ? k->req.query.data : "");
  if (transport_err) {
    cJSON *e = cJSON_AddObjectToObject(x, "error");
    cJSON_AddStringToObject(e, "code", transport_err->code);
    cJSON_AddStringToObject(e, "message", transport_err->message);
  } else {
    cJSON *r = cJSON_AddObjectToObject(x, "response");
    rb_buf b = RB_BUF_INIT;
    rb_buf_append(&b, body ? body : "", body ? body_len : 0);
    redact(c, &b);
    cJSON_AddNumberToObject(r, "status", status);
    cJSON_AddItemToObject(r, "headers", headers_json(resp_headers));
    cJSON_AddStringToObject(r, "body", b.data ? b.data : "");
    rb_buf_free_secure(&b);
  }
  cJSON_AddItemToArray(c->recording, x);
}

static const char *string_field(const cJSON *x, const char *name, const char *dflt) {
  const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(x, name));
  return v ? v : dflt;
}

static int compare_exchanges(const void *a, const void *b) {
  const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
  static const char *fields[] = {"service", "operation"};
  for (int i = 0; i < 2; i++) {
    int d = strcmp(string_field(x, fields[i], ""), string_field(y, fields[i], ""));
    if (d)
      return d;
  }
  char *px = client_canonical_json(cJSON_GetObjectItem(x, "params"));
  char *py = client_canonical_json(cJSON_GetObjectItem(y, "params"));
  int d = strcmp(px ? px : "", py ? py : "");
  free(px);
  free(py);
  static const char *where[] = {"region", "credentials"};
  for (int i = 0; i < 2 && !d; i++)
    d = strcmp(string_field(x, where[i], ""), string_field(y, where[i], ""));
  if (d)
    return d;
  return cJSON_GetObjectItem(x, "attempt")->valueint -
         cJSON_GetObjectItem(y, "attempt")->valueint;
}

static cJSON *recording_document(rb_client *c) {
  int n = cJSON_GetArraySize(c->recording);
  cJSON **items = calloc(n ? (size_t)n : 1, sizeof *items);
  cJSON *doc = cJSON_CreateObject(), *list = cJSON_CreateArray();
  if (!items || !doc || !list) {
    free(items);
    cJSON_Delete(doc);
    cJSON_Delete(list);
    return NULL;
  }
  int i = 0;
  for (cJSON *x = c->recording->child; x; x = x->next)
    items[i++] = x;
  qsort(items, (size_t)n, sizeof *items, compare_exchanges);
  for (i = 0; i < n; i++)
    cJSON_AddItemToArray(list, cJSON_Duplicate(items[i], 1));
  free(items);
  cJSON_AddStringToObject(doc, "format", "runbook-recording");
  cJSON_AddNumberToObject(doc, "version", 1);
  cJSON_AddNumberToObject(doc, "run_time", (double)c->run_time);
  cJSON_AddStringToObject(doc, "region", c->region ? c->region : "");
  cJSON_AddItemToObject(doc, "exchanges", list);
  return doc;
}

int rb_client_save_recording(rb_client *c, rb_error *err) {
  if (!c->recording)
    return 0;
  cJSON *doc = recording_document(c);
  char *text = doc ? cJSON_Print(doc) : NULL;
  cJSON_Delete(doc);
  rb_buf tmp = RB_BUF_INIT;
  rb_buf_printf(&tmp, "%s.tmp.%ld", c->record_path, (long)getpid());
  FILE *f = text && tmp.data ? fopen(tmp.data, "w") : NULL;
  int ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
  ok = f && fclose(f) == 0 && ok;
  if (ok)
    ok = rename(tmp.data, c->record_path) == 0;
  else if (tmp.data)
    unlink(tmp.data);
  free(text);
  rb_buf_free(&tmp);
  if (!ok)
    return rb_error_set(err, "RecordFailed", "cannot write recording '%s'",
                        c->record_path);
  return 0;
}

/* ---- replay ---- */

int client_replay_load(rb_client *c, const char *path, rb_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return rb_error_set(err, "ReplayFailed", "cannot open recording '%s'", path);
  rb_buf b = RB_BUF_INIT;
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    rb_buf_append(&b, chunk, n);
  fclose(f);
  c->replay = b.data ? cJSON_Parse(b.data) : NULL;
  rb_buf_free(&b);
  const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(c->replay, "format");
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(c->replay, "run_time");
  if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "runbook-recording") != 0 ||
      !cJSON_IsNumber(t) || !(fabs(t->valuedouble) <= 9007199254740992.0) /* 2^53 */ ||
      !cJSON_IsArray(cJSON_GetObjectItem(c->replay, "exchanges")))
    return rb_error_set(err, "ReplayFailed",
                        "'%s' is not a runbook recording: record one with --record FILE",
                        path);
  c->run_time = (long long)t->valuedouble;
  const char *doc_region = string_field(c->replay, "region", "");
  for (cJSON *x = cJSON_GetObjectItem(c->replay, "exchanges")->child; x; x = x->next) {
    const cJSON *s = cJSON_GetObjectItem(x, "service"),
                *o = cJSON_GetObjectItem(x, "operation");
    char *p = client_canonical_json(cJSON_GetObjectItem(x, "params"));
    rb_buf key = RB_BUF_INIT;
    if (cJSON_IsString(s) && cJSON_IsString(o) && p)
      rb_buf_printf(&key, "%s\n%s\n%s %s %s", string_field(x, "region", doc_region),
                    string_field(x, "credentials", "default"), s->valuestring,
                    o->valuestring, p);
    free(p);
    cJSON_AddStringToObject(x, "_key", key.data ? key.data : "");
    rb_buf_free(&key);
  }
  return 0;
}

const cJSON *client_replay_find(rb_client *c, const call *k, rb_error *err) {
  rb_buf want = RB_BUF_INIT;
  rb_buf_printf(&want, "%s\n%s\n%s %s %s", k->to->region, k->to->set->id, k->service,
                k->operation, k->params);
  for (const cJSON *x = cJSON_GetObjectItem(c->replay, "exchanges")->child;
       x && want.data; x = x->next) {
    const cJSON *a = cJSON_GetObjectItem(x, "attempt");
    /* NULL when the file brought a "_key" of its own that is not a string */
    const char *key = cJSON_GetStringValue(cJSON_GetObjectItem(x, "_key"));
    if (key && strcmp(key, want.data) == 0 && cJSON_IsNumber(a) &&
        a->valueint == k->attempt) {
      rb_buf_free(&want);
      return x;
    }
  }
  rb_buf_free(&want);
  rb_error_set(err, "ReplayMiss",
               "the recording has no answer for %s %s in %s with credentials %s "
               "(attempt %d): re-record the run",
               k->service, k->operation, k->to->region, k->to->set->id, k->attempt);
  return NULL;
}

void client_replay_answer(rb_client *c, call *k, const cJSON *x) {
  const cJSON *e = cJSON_GetObjectItem(x, "error");
  if (e) {
    rb_error te;
    const cJSON *code = cJSON_GetObjectItem(e, "code"),
                *msg = cJSON_GetObjectItem(e, "message");
    rb_error_set(&te, cJSON_IsString(code) ? code->valuestring : "ConnectionError", "%s",
                 cJSON_IsString(msg) ? msg->valuestring : "recorded transport failure");
    client_attempt_done(c, k, 0, NULL, NULL, 0, &te);
    return;
  }
  const cJSON *r = cJSON_GetObjectItem(x, "response");
  const cJSON *st = cJSON_GetObjectItem(r, "status"),
              *body = cJSON_GetObjectItem(r, "body");
  rb_headers h = RB_HEADERS_INIT;
  for (const cJSON *hd = cJSON_GetObjectItem(r, "headers")
                             ? cJSON_GetObjectItem(r, "headers")->child
                             : NULL;
       hd; hd = hd->next)
    if (cJSON_IsString(hd))
      rb_headers_add(&h, hd->string, hd->valuestring);
  const char *b = cJSON_IsString(body) ? body->valuestring : "";
  client_attempt_done(c, k, cJSON_IsNumber(st) ? st->valueint : 0, &h, b, strlen(b),
                      NULL);
  rb_headers_free(&h);
}
