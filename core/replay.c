/* replay.c — the replay transport: answers each attempt from a recording, with no
 * network (see transport.h; the format is in docs/recording.md and client_record.c).
 *
 * Uses cJSON and json_canon.c. An attempt is answered by the exchange with the same
 * region, credential set, service, operation, canonical parameters and attempt number;
 * an exchange without "region" or "credentials" (an older recording) stands for the
 * document's region and the default set. A recording is a file a user may be handed, so
 * everything in it is checked before use. It must never touch the network, and never
 * answer from start: answers are delivered by run_once. */
#include "json_canon.h"
#include "transport.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct answer {
  const cJSON *exchange;
  rb_http_done_fn done;
  void *ud;
  struct answer *next;
} answer;

typedef struct replay {
  cJSON *doc;
  answer *ready, **ready_tail;
} replay;

static const char *string_field(const cJSON *x, const char *name, const char *dflt) {
  const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(x, name));
  return v ? v : dflt;
}

/* "<region>\n<credentials>\n<service> <operation> <params>" */
static int key_of(rb_buf *b, const char *region, const char *credentials,
                  const char *service, const char *operation, const char *params) {
  return rb_buf_printf(b, "%s\n%s\n%s %s %s", region, credentials, service, operation,
                       params);
}

static const cJSON *find(const replay *r, const rb_transport_request *q, rb_error *err) {
  rb_buf want = RB_BUF_INIT;
  key_of(&want, q->region, q->credentials, q->service, q->operation, q->params);
  for (const cJSON *x = cJSON_GetObjectItem(r->doc, "exchanges")->child; x && want.data;
       x = x->next) {
    const cJSON *a = cJSON_GetObjectItem(x, "attempt");
    /* NULL when the file brought a "_key" of its own that is not a string */
    const char *key = cJSON_GetStringValue(cJSON_GetObjectItem(x, "_key"));
    if (key && strcmp(key, want.data) == 0 && cJSON_IsNumber(a) &&
        a->valueint == q->attempt) {
      rb_buf_free(&want);
      return x;
    }
  }
  rb_buf_free(&want);
  rb_error_set(err, "ReplayMiss",
               "the recording has no answer for %s %s in %s with credentials %s "
               "(attempt %d): re-record the run",
               q->service, q->operation, q->region, q->credentials, q->attempt);
  return NULL;
}

static int replay_start(void *self, const rb_transport_request *q, rb_http_done_fn done,
                        void *ud, rb_error *err) {
  replay *r = self;
  const cJSON *x = find(r, q, err);
  if (!x)
    return -1;
  answer *a = calloc(1, sizeof *a);
  if (!a)
    return rb_error_set(err, "OutOfMemory", "cannot replay %s %s", q->service,
                        q->operation);
  a->exchange = x;
  a->done = done;
  a->ud = ud;
  *r->ready_tail = a;
  r->ready_tail = &a->next;
  return 0;
}

static void deliver(const answer *a) {
  rb_http_response resp = {0};
  const cJSON *e = cJSON_GetObjectItem(a->exchange, "error");
  if (e) {
    rb_error te;
    rb_error_set(&te, string_field(e, "code", "ConnectionError"), "%s",
                 string_field(e, "message", "recorded transport failure"));
    a->done(a->ud, &resp, &te);
    return;
  }
  const cJSON *r = cJSON_GetObjectItem(a->exchange, "response");
  const cJSON *st = cJSON_GetObjectItem(r, "status");
  const cJSON *hs = cJSON_GetObjectItem(r, "headers");
  for (const cJSON *h = hs ? hs->child : NULL; h; h = h->next)
    if (cJSON_IsString(h))
      rb_headers_add(&resp.headers, h->string, h->valuestring);
  resp.status = cJSON_IsNumber(st) ? st->valueint : 0;
  rb_buf_puts(&resp.body, string_field(r, "body", ""));
  a->done(a->ud, &resp, NULL);
  rb_http_response_free(&resp);
}

static int replay_run_once(void *self, long max_wait_ms) {
  replay *r = self;
  (void)max_wait_ms; /* answers are ready at once; nothing to wait for */
  answer *list = r->ready;
  r->ready = NULL;
  r->ready_tail = &r->ready;
  while (list) { /* a callback may start the next attempt: it joins the next turn */
    answer *a = list;
    list = a->next;
    deliver(a);
    free(a);
  }
  int n = 0;
  for (const answer *a = r->ready; a; a = a->next)
    n++;
  return n;
}

static void replay_cancel(void *self, void *ud) {
  replay *r = self;
  for (answer **p = &r->ready; *p;) {
    answer *a = *p;
    if (a->ud != ud) {
      p = &a->next;
      continue;
    }
    *p = a->next;
    free(a);
  }
  r->ready_tail = &r->ready;
  while (*r->ready_tail)
    r->ready_tail = &(*r->ready_tail)->next;
}

static void replay_free(void *self) {
  replay *r = self;
  if (!r)
    return;
  while (r->ready) {
    answer *a = r->ready;
    r->ready = a->next;
    free(a);
  }
  cJSON_Delete(r->doc);
  free(r);
}

static const rb_transport_ops replay_ops = {"replay", replay_start, replay_run_once,
                                            replay_cancel, replay_free};

static cJSON *read_json(const char *path, rb_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    rb_error_set(err, "ReplayFailed", "cannot open recording '%s'", path);
    return NULL;
  }
  rb_buf b = RB_BUF_INIT;
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    rb_buf_append(&b, chunk, n);
  fclose(f);
  cJSON *doc = b.data ? cJSON_Parse(b.data) : NULL;
  rb_buf_free(&b);
  return doc;
}

/* Gives every exchange its lookup key ("_key"); a malformed one gets "" and never
 * matches. */
static void index_exchanges(cJSON *doc) {
  const char *doc_region = string_field(doc, "region", "");
  for (cJSON *x = cJSON_GetObjectItem(doc, "exchanges")->child; x; x = x->next) {
    const cJSON *s = cJSON_GetObjectItem(x, "service"),
                *o = cJSON_GetObjectItem(x, "operation");
    char *p = rb_json_canonical(cJSON_GetObjectItem(x, "params"));
    rb_buf key = RB_BUF_INIT;
    if (cJSON_IsString(s) && cJSON_IsString(o) && p)
      key_of(&key, string_field(x, "region", doc_region),
             string_field(x, "credentials", "default"), s->valuestring, o->valuestring,
             p);
    free(p);
    cJSON_AddStringToObject(x, "_key", key.data ? key.data : "");
    rb_buf_free(&key);
  }
}

rb_transport *rb_replay_open(const char *path, rb_error *err) {
  rb_error_clear(err);
  cJSON *doc = read_json(path, err);
  const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(doc, "format");
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(doc, "run_time");
  if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "runbook-recording") != 0 ||
      !cJSON_IsNumber(t) || !(fabs(t->valuedouble) <= 9007199254740992.0) /* 2^53 */ ||
      !cJSON_IsArray(cJSON_GetObjectItem(doc, "exchanges"))) {
    cJSON_Delete(doc);
    if (!err || !err->code[0])
      rb_error_set(err, "ReplayFailed",
                   "'%s' is not a runbook recording: record one with --record FILE",
                   path);
    return NULL;
  }
  index_exchanges(doc);
  replay *r = calloc(1, sizeof *r);
  rb_transport *tr = r ? calloc(1, sizeof *tr) : NULL;
  if (!tr) {
    free(r);
    cJSON_Delete(doc);
    rb_error_set(err, "OutOfMemory", "cannot load recording '%s': out of memory", path);
    return NULL;
  }
  r->doc = doc;
  r->ready_tail = &r->ready;
  tr->ops = &replay_ops;
  tr->self = r;
  tr->offline = 1;
  tr->run_time = (long long)t->valuedouble;
  const char *region = string_field(doc, "region", "");
  tr->region = *region ? region : NULL;
  return tr;
}
