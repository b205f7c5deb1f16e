/* quotas.c — the table of published per-operation request rates: parsing core/quotas.txt
 * (embedded at build time), looking an operation up, and the overrides of --rate-limit
 * and RUNBOOK_RATE_LIMITS (quotas.h).
 *
 * Uses embedded.c (the text) and model.c (an override must name a real service and
 * operation). The buckets that keep to these rates are ratelimit.c's, owned by the
 * client; a bucket's key is an entry's address, so entries are allocated one by one and
 * never move or go away before the table does: an override changes an entry in place.
 * It must never invent a rate: an operation without a line (or `*`) goes unpaced. */
#include "quotas.h"

#include "embedded.h"
#include "error.h"
#include "model.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rb_quota_table {
  rb_rate **entries;
  size_t n, cap;
};

static const char SYNTAX[] =
    "use SERVICE.OPERATION=PER_SECOND[/BURST], SERVICE.*=... for the service's shared "
    "bucket, or =off";

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return -1;
}

static void entry_free(rb_rate *r) {
  if (!r)
    return;
  free((char *)r->service);
  free((char *)r->operation);
  free((char *)r->source);
  free(r);
}

void rb_quotas_free(rb_quota_table *t) {
  if (!t)
    return;
  for (size_t i = 0; i < t->n; i++)
    entry_free(t->entries[i]);
  free(t->entries);
  free(t);
}

size_t rb_quotas_count(const rb_quota_table *t) {
  return t ? t->n : 0;
}

const rb_rate *rb_quotas_entry(const rb_quota_table *t, size_t i) {
  return t && i < t->n ? t->entries[i] : NULL;
}

static rb_rate *find(const rb_quota_table *t, const char *service,
                     const char *operation) {
  for (size_t i = 0; t && i < t->n; i++)
    if (strcmp(t->entries[i]->service, service) == 0 &&
        strcmp(t->entries[i]->operation, operation) == 0)
      return t->entries[i];
  return NULL;
}

const rb_rate *rb_quotas_lookup(const rb_quota_table *t, const char *service,
                                const char *operation) {
  if (!t || !service || !operation)
    return NULL;
  const rb_rate *r = find(t, service, operation);
  if (!r)
    r = find(t, service, "*");
  return r && r->per_second > 0 ? r : NULL;
}

static char *dup_n(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

/* Adds an entry (strings copied); NULL when memory runs out. */
static rb_rate *add(rb_quota_table *t, const char *service, size_t service_len,
                    const char *operation, size_t operation_len) {
  if (t->n == t->cap) {
    size_t cap = t->cap ? 2 * t->cap : 32;
    rb_rate **grown = realloc(t->entries, cap * sizeof *grown);
    if (!grown)
      return NULL;
    t->entries = grown;
    t->cap = cap;
  }
  rb_rate *r = calloc(1, sizeof *r);
  if (!r || !(r->service = dup_n(service, service_len)) ||
      !(r->operation = dup_n(operation, operation_len))) {
    entry_free(r);
    return NULL;
  }
  t->entries[t->n++] = r;
  return r;
}

/* A positive finite number filling [s, s+n); -1 otherwise. */
static double number(const char *s, size_t n) {
  char buf[32];
  if (n == 0 || n >= sizeof buf)
    return -1;
  memcpy(buf, s, n);
  buf[n] = '\0';
  char *end;
  errno = 0;
  double v = strtod(buf, &end);
  if (*end || errno || !isfinite(v) || v < 0)
    return -1;
  return v;
}

static int name_ok(const char *s, size_t n, int star) {
  if (star && n == 1 && s[0] == '*')
    return 1;
  if (n == 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)s[i]) && s[i] != '-')
      return 0;
  return 1;
}

/* ---- the table file ---- */

typedef struct field {
  const char *p;
  size_t n;
} field;

/* Splits a line (comment already cut) into four fields and the rest; returns how many
 * fields it found (the rest counts as the fifth). */
static int split(const char *line, size_t len, field f[5]) {
  size_t i = 0;
  int k = 0;
  while (k < 4) {
    while (i < len && isspace((unsigned char)line[i]))
      i++;
    if (i == len)
      return k;
    size_t start = i;
    while (i < len && !isspace((unsigned char)line[i]))
      i++;
    f[k].p = line + start;
    f[k++].n = i - start;
  }
  while (i < len && isspace((unsigned char)line[i]))
    i++;
  while (len > i && isspace((unsigned char)line[len - 1]))
    len--;
  f[4].p = line + i;
  f[4].n = len - i;
  return f[4].n ? 5 : 4;
}

static int parse_line(rb_quota_table *t, int lineno, const char *line, size_t len,
                      char *err, size_t errlen) {
  field f[5];
  int k = split(line, len, f);
  if (k == 0)
    return 0;
  if (k < 5)
    return fail(err, errlen,
                "line %d: expected SERVICE OPERATION PER_SECOND BURST SOURCE, got %d "
                "field%s",
                lineno, k, k == 1 ? "" : "s");
  if (!name_ok(f[0].p, f[0].n, 0) || !name_ok(f[1].p, f[1].n, 1))
    return fail(err, errlen, "line %d: bad service or operation name '%.*s %.*s'", lineno,
                (int)f[0].n, f[0].p, (int)f[1].n, f[1].p);
  int off = f[2].n == 3 && memcmp(f[2].p, "off", 3) == 0;
  double rate = off ? 0 : number(f[2].p, f[2].n);
  if (!off && rate <= 0)
    return fail(err, errlen,
                "line %d: PER_SECOND must be a positive number or off, got '%.*s'",
                lineno, (int)f[2].n, f[2].p);
  double burst = off && f[3].n == 1 && f[3].p[0] == '-' ? 0 : number(f[3].p, f[3].n);
  if (off ? burst != 0 : burst < 1)
    return fail(err, errlen, "line %d: BURST must be %s, got '%.*s'", lineno,
                off ? "- for an operation that is off" : "a number of at least 1",
                (int)f[3].n, f[3].p);
  char svc[64], op[128];
  snprintf(svc, sizeof svc, "%.*s", (int)f[0].n, f[0].p);
  snprintf(op, sizeof op, "%.*s", (int)f[1].n, f[1].p);
  if (find(t, svc, op))
    return fail(err, errlen, "line %d: %s %s is listed twice", lineno, svc, op);
  rb_rate *r = add(t, f[0].p, f[0].n, f[1].p, f[1].n);
  if (!r || !(r->source = dup_n(f[4].p, f[4].n)))
    return fail(err, errlen, "line %d: out of memory", lineno);
  r->per_second = rate;
  r->burst = burst;
  return 0;
}

rb_quota_table *rb_quotas_parse(const char *text, char *err, size_t errlen) {
  rb_quota_table *t = calloc(1, sizeof *t);
  if (!t) {
    fail(err, errlen, "out of memory");
    return NULL;
  }
  int lineno = 0;
  for (const char *line = text; line && *line;) {
    const char *nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line) : strlen(line);
    const char *hash = memchr(line, '#', len);
    lineno++;
    if (parse_line(t, lineno, line, hash ? (size_t)(hash - line) : len, err, errlen) !=
        0) {
      rb_quotas_free(t);
      return NULL;
    }
    line = nl ? nl + 1 : NULL;
  }
  return t;
}

/* ---- overrides ---- */

/* The service and operation of one override must exist in the models. */
static int check_names(const char *service, const char *operation, char *msg,
                       size_t msglen) {
  rb_error e;
  rb_error_clear(&e);
  rb_operation op;
  if (strcmp(operation, "*") == 0 ? rb_model_load(service, &e) != NULL
                                  : rb_model_find(service, operation, NULL, &op, &e) == 0)
    return 0;
  size_t n = strlen(e.message);
  if (n >= msglen)
    n = msglen - 1;
  memcpy(msg, e.message, n);
  msg[n] = '\0';
  return -1;
}

/* One "SERVICE.OPERATION=VALUE" entry of length n. */
static int override_one(rb_quota_table *t, const char *s, size_t n, int priority,
                        const char *label, char *err, size_t errlen) {
  const char *dot = memchr(s, '.', n), *eq = memchr(s, '=', n);
  if (!dot || !eq || eq < dot)
    return fail(err, errlen, "bad %s entry '%.*s': %s", label, (int)n, s, SYNTAX);
  const char *v = eq + 1;
  size_t vn = n - (size_t)(v - s);
  const char *slash = memchr(v, '/', vn);
  int off = (vn == 3 && memcmp(v, "off", 3) == 0) || (vn == 1 && v[0] == '0');
  double rate = off ? 0 : number(v, slash ? (size_t)(slash - v) : vn);
  double burst = off || !slash ? (rate > 1 ? rate : 1)
                               : number(slash + 1, vn - (size_t)(slash + 1 - v));
  if (!name_ok(s, (size_t)(dot - s), 0) || !name_ok(dot + 1, (size_t)(eq - dot - 1), 1) ||
      (!off && rate <= 0) || (!off && burst < 1))
    return fail(err, errlen, "bad %s entry '%.*s': %s", label, (int)n, s, SYNTAX);
  char svc[64], op[128], msg[300];
  snprintf(svc, sizeof svc, "%.*s", (int)(dot - s), s);
  snprintf(op, sizeof op, "%.*s", (int)(eq - dot - 1), dot + 1);
  if (check_names(svc, op, msg, sizeof msg) != 0)
    return fail(err, errlen, "bad %s entry '%.*s': %s", label, (int)n, s, msg);
  rb_rate *r = find(t, svc, op);
  if (!r && !(r = add(t, svc, strlen(svc), op, strlen(op))))
    return fail(err, errlen, "out of memory");
  if (r->priority > priority)
    return 0; /* --rate-limit wins over RUNBOOK_RATE_LIMITS */
  char *source = dup_n(label, strlen(label));
  if (!source)
    return fail(err, errlen, "out of memory");
  free((char *)r->source);
  r->source = source;
  r->per_second = off ? 0 : rate;
  r->burst = off ? 0 : burst;
  r->priority = priority;
  return 0;
}

int rb_quotas_override(rb_quota_table *t, const char *spec, int priority, char *err,
                       size_t errlen) {
  const char *label = priority >= 2 ? "--rate-limit" : "RUNBOOK_RATE_LIMITS";
  for (const char *p = spec; p && *p;) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    while (n && isspace((unsigned char)*p))
      p++, n--;
    while (n && isspace((unsigned char)p[n - 1]))
      n--;
    if (n && override_one(t, p, n, priority, label, err, errlen) != 0)
      return -1;
    p = comma ? comma + 1 : NULL;
  }
  return 0;
}

/* ---- the process table ---- */

static rb_quota_table *process_table;
static int process_failed;

rb_quota_table *rb_quotas_process(char *err, size_t errlen) {
  if (process_table || process_failed) {
    if (!process_table)
      fail(err, errlen, "the embedded quota table is malformed");
    return process_table;
  }
  const struct rb_embedded_file *f = rb_embedded_find(rb_embedded_quotas, "quotas");
  char why[200];
  process_table = f ? rb_quotas_parse((const char *)f->data, why, sizeof why) : NULL;
  if (!process_table) {
    process_failed = 1;
    fail(err, errlen, "the embedded quota table (core/quotas.txt) %s%s",
         f ? "is malformed: " : "is missing", f ? why : "");
  }
  return process_table;
}

void rb_quotas_process_free(void) {
  rb_quotas_free(process_table);
  process_table = NULL;
  process_failed = 0;
}

const rb_rate *rb_ratelimit_known(const char *service, const char *operation) {
  char err[256];
  return rb_quotas_lookup(rb_quotas_process(err, sizeof err), service, operation);
}
