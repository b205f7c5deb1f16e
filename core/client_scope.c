/* client_scope.c — the write scope: which writes the client lets through (see client.h).
 *
 * Diagnosis is read-only. The core's fix path approves a plan's exact calls with
 * rb_client_scope_open; while that scope is open each approved call may be made once,
 * parameter for parameter, and every other write is refused before a request is built.
 * A call is known by the SHA-256 of "<region>\n<credential set>\n<service>\n<operation>\n
 * <canonical JSON params>" (json_canon.c: keys sorted at every level): an approval for
 * one account and region never lets the same call through to another. The one exception
 * is a top-level `RevisionId` approved as RB_ANY_REVISION: it stands for "the value read
 * just before", which the caller fills in at send time, so the sent call's hash is taken
 * with its RevisionId replaced by the marker. A call AWS answered with a 4xx changed
 * nothing, so its approval is given back (client_scope_refund) and the same call may be
 * retried; a success, a 5xx or no answer keeps it spent. --dry-run refuses every write,
 * scope or not.
 *
 * Uses json_canon.c, model.c (read or write) and sigv4.c (SHA-256). It must never let a
 * write through that no open scope approved, never let one approval serve twice, and
 * never keep the parameters themselves (only their hashes). */
#include "client_internal.h"
#include "json_canon.h"
#include "model.h"
#include "sigv4.h"

#include <stdlib.h>
#include <string.h>

#define REVISION "RevisionId"

static void scope_clear(rb_client *c) {
  free(c->scope_hash);
  free(c->scope_used);
  c->scope_hash = NULL;
  c->scope_used = NULL;
  c->scope_n = 0;
  c->scope_id = 0;
}

void client_scope_free(rb_client *c) {
  scope_clear(c);
}

/* The call's hash, bound to where it goes (the target's region and credential set);
 * `any_revision`: with a top-level string RevisionId replaced by the marker. Returns 0,
 * or -1 when memory runs out. */
static int call_hash(const target *t, const char *service, const char *operation,
                     const cJSON *params, int any_revision, char out[65]) {
  cJSON *copy = params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject();
  if (!copy)
    return -1;
  if (any_revision) {
    cJSON *marker = cJSON_CreateString(RB_ANY_REVISION);
    if (!marker || !cJSON_ReplaceItemInObjectCaseSensitive(copy, REVISION, marker)) {
      cJSON_Delete(marker);
      cJSON_Delete(copy);
      return -1;
    }
  }
  char *canon = rb_json_canonical(copy);
  cJSON_Delete(copy);
  rb_buf b = RB_BUF_INIT;
  int rc = canon ? rb_buf_printf(&b, "%s\n%s\n%s\n%s\n%s", t->region, t->set->match,
                                 service, operation, canon)
                 : -1;
  if (rc == 0)
    rb_sigv4_sha256_hex(b.data, b.len, out);
  rb_buf_free(&b);
  free(canon);
  return rc == 0 ? 0 : -1;
}

static int approval_check(const rb_write_call *w, rb_error *err) {
  if (!w->service || !w->operation)
    return rb_error_set(err, "InvalidApproval",
                        "an approved call needs a service and an "
                        "operation");
  int write = rb_model_is_write(w->service, w->operation, err);
  if (write < 0)
    return -1;
  if (!write)
    return rb_error_set(err, "InvalidApproval",
                        "%s %s only reads: approve the plan's writes only", w->service,
                        w->operation);
  if (w->params && !cJSON_IsObject(w->params))
    return rb_error_set(err, "InvalidApproval",
                        "the parameters of %s %s must be an object", w->service,
                        w->operation);
  return 0;
}

int rb_client_scope_open(rb_client *c, const rb_write_call *calls, size_t n,
                         rb_error *err) {
  if (c->scope_id) {
    rb_error_set(err, "ScopeOpen",
                 "a write scope is already open: close it before approving more");
    return client_error_kind(err, "safety");
  }
  if (n == 0) {
    rb_error_set(err, "InvalidApproval", "an approval needs at least one call");
    return client_error_kind(err, "usage");
  }
  for (size_t i = 0; i < n; i++)
    if (approval_check(&calls[i], err) != 0)
      return client_error_kind(err, "usage");
  char(*hashes)[65] = calloc(n, sizeof *hashes);
  unsigned char *used = calloc(n, 1);
  for (size_t i = 0; hashes && used && i < n; i++) {
    const cJSON *rev = cJSON_GetObjectItemCaseSensitive(calls[i].params, REVISION);
    int any = cJSON_IsString(rev) && strcmp(rev->valuestring, RB_ANY_REVISION) == 0;
    target *t = client_target(c, calls[i].to, err);
    if (!t) {
      free(hashes);
      free(used);
      return client_error_kind(err, "usage");
    }
    if (call_hash(t, calls[i].service, calls[i].operation, calls[i].params, any,
                  hashes[i]) != 0) {
      free(hashes);
      hashes = NULL;
    }
  }
  if (!hashes || !used) {
    free(hashes);
    free(used);
    return rb_error_set(err, "OutOfMemory", "cannot open a write scope: out of memory");
  }
  c->scope_hash = hashes;
  c->scope_used = used;
  c->scope_n = n;
  c->scope_id = ++c->next_scope_id;
  return c->scope_id;
}

int rb_client_scope_close(rb_client *c, int scope_id) {
  if (!c->scope_id || scope_id != c->scope_id)
    return -1;
  scope_clear(c);
  return 0;
}

int rb_client_scope_current(const rb_client *c) {
  return c->scope_id;
}

/* The index of an unused approval the call matches, or -1 with err set (nothing is
 * marked used: client_scope_use does that once the call is queued). */
int client_scope_find(rb_client *c, const target *t, const char *service,
                      const char *operation, const cJSON *params, rb_error *err) {
  if (c->cfg.dry_run) {
    rb_error_set(err, "WriteRefused",
                 "refusing %s %s: dry run (--dry-run sends no write)", service,
                 operation);
    return client_error_kind(err, "safety");
  }
  if (!c->scope_id) {
    rb_error_set(err, "WriteRefused",
                 "refusing %s %s: it changes the account and no fix was approved "
                 "(diagnosis is read-only)",
                 service, operation);
    return client_error_kind(err, "safety");
  }
  const cJSON *rev = cJSON_GetObjectItemCaseSensitive(params, REVISION);
  int marker_sent = cJSON_IsString(rev) && strcmp(rev->valuestring, RB_ANY_REVISION) == 0;
  char exact[65], any[65];
  int has_any = cJSON_IsString(rev) && rev->valuestring[0] && !marker_sent;
  if (marker_sent || call_hash(t, service, operation, params, 0, exact) != 0 ||
      (has_any && call_hash(t, service, operation, params, 1, any) != 0))
    exact[0] = any[0] = '\0';
  int spent = 0;
  for (size_t i = 0; exact[0] && i < c->scope_n; i++) {
    int match = strcmp(c->scope_hash[i], exact) == 0 ||
                (has_any && strcmp(c->scope_hash[i], any) == 0);
    if (match && !c->scope_used[i])
      return (int)i;
    spent |= match;
  }
  if (spent)
    rb_error_set(err, "WriteRefused",
                 "refusing %s %s: this approved call was already made once (an approval "
                 "is good for one request)",
                 service, operation);
  else
    rb_error_set(
        err, "WriteRefused",
        "refusing %s %s: it is not one of the calls approved for this fix "
        "(the approval is bound to the exact parameters, region and credentials)",
        service, operation);
  return client_error_kind(err, "safety");
}

void client_scope_use(rb_client *c, int index) {
  if (index >= 0 && (size_t)index < c->scope_n)
    c->scope_used[index] = 1;
}

void client_scope_refund(rb_client *c, int scope_id, int index) {
  if (scope_id && scope_id == c->scope_id && index >= 0 && (size_t)index < c->scope_n)
    c->scope_used[index] = 0;
}
