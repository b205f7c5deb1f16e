/* client_record.c — --record and the --debug trace: observers of every attempt.
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
 * gives the same file whatever order the concurrent calls finished in. replay.c answers
 * each attempt of each call from the exchange with the same key.
 *
 * Uses cJSON. It must never write a secret: request headers are not recorded at all, and
 * the secret key and session token of every credential set of the run, and any credential
 * fields in bodies, are replaced by "[redacted]" before anything is traced or recorded.
 */
#include "client_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define REDACTED "[redacted]"

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
  char *px = rb_json_canonical(cJSON_GetObjectItem(x, "params"));
  char *py = rb_json_canonical(cJSON_GetObjectItem(y, "params"));
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
