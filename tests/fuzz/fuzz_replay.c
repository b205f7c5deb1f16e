/* fuzz_replay.c — fuzzes --replay: loading a recording (client_record.c) and answering
 * calls from it through the whole client (retries, clock-skew handling, protocol parsing
 * of the recorded bodies, delivery).
 *
 * Input: a recording file (docs/recording.md). It is written to a private scratch file
 * and opened with rb_client_new(replay_path = ...), as `runbook --replay FILE` does;
 * then the calls the recording's own exchanges name (service, operation, params; at most
 * eight) are made, writes allowed, and the client is run until every call completed.
 * A recording is a file a user may be handed, so it is untrusted input. Replay never
 * touches the network; the environment is injected and names no real files. */
#include "client.h"
#include "fuzz_util.h"

#include <string.h>

#define MAX_CALLS 8
#define MAX_ROUNDS 64

static void check(int ok) {
  if (!ok)
    abort();
}

static const char *fake_getenv(void *ud, const char *name) {
  (void)ud;
  static const char *const env[][2] = {
      {"AWS_REGION", "us-east-1"},
      {"AWS_CONFIG_FILE", "/nonexistent/runbook-fuzz/config"},
      {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/runbook-fuzz/credentials"},
      {"AWS_EC2_METADATA_DISABLED", "true"},
  };
  for (size_t i = 0; i < sizeof env / sizeof env[0]; i++)
    if (strcmp(name, env[i][0]) == 0)
      return env[i][1];
  return NULL;
}

static void on_done(void *ud, cJSON *result, const rb_error *err) {
  int *completed = ud;
  check(result ? err == NULL : (err != NULL && err->code[0] != '\0'));
  cJSON_Delete(result);
  (*completed)++;
}

/* Queues the calls named by the exchanges; returns how many were queued. */
static int queue_calls(rb_client *c, const cJSON *doc, int *completed) {
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "exchanges");
  int queued = 0, tried = 0;
  for (const cJSON *x = cJSON_IsArray(list) ? list->child : NULL; x && tried < MAX_CALLS;
       x = x->next, tried++) {
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(x, "service");
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(x, "operation");
    if (!cJSON_IsString(s) || !cJSON_IsString(o))
      continue;
    rb_error err;
    memset(&err, 0, sizeof err);
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(x, "params");
    /* a write goes through only inside a scope approving exactly it */
    rb_write_call approve = {s->valuestring, o->valuestring, params, NULL};
    rb_error ignored;
    int scope = rb_client_scope_open(c, &approve, 1, &ignored);
    if (rb_client_call(c, s->valuestring, o->valuestring, params, on_done, completed,
                       &err) == 0)
      queued++;
    else
      check(err.code[0] != '\0');
    rb_client_scope_close(c, scope);
  }
  return queued;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fz_write_file("recording.json", (const char *)data, size);
  rb_client_config cfg = {0};
  cfg.replay_path = path;
  cfg.getenv = fake_getenv;
  rb_error err;
  memset(&err, 0, sizeof err);
  rb_client *c = path ? rb_client_new(&cfg, &err) : NULL;
  fz_scratch_done(); /* the recording is read once, when the client is made */
  if (!path)
    return 0;
  if (!c) {
    check(err.code[0] != '\0');
    return 0;
  }
  cJSON *doc = cJSON_ParseWithLength((const char *)data, size);
  int completed = 0;
  int queued = queue_calls(c, doc, &completed);
  for (int round = 0; round < MAX_ROUNDS && rb_client_pending(c) > 0; round++)
    rb_client_run_once(c, 0);
  /* every queued call completes from the recording alone: no network, no waiting */
  check(rb_client_pending(c) == 0 && completed == queued);
  cJSON_Delete(doc);
  rb_client_free(c);
  return 0;
}
