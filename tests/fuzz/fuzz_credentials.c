/* fuzz_credentials.c — fuzzes the credential chain (credentials*.c) through what a user
 * or a metadata endpoint controls: the two shared INI files (with the long-line reader in
 * front of inih), profile names, and the JSON credential documents of STS, the container
 * endpoint and instance metadata.
 *
 * Input: byte 0 chooses which environment sources are set (bits below), byte 1 the HTTP
 * statuses of the metadata endpoints; the rest is five parts separated by lines "---":
 * profile name, config file, credentials file, the JSON document every endpoint and STS
 * answers with, and an AWS_CREDENTIAL_EXPIRATION value. The files go to a private
 * scratch directory; the environment, clock, HTTP and STS are injected (credentials.h),
 * so nothing leaves the process. credential_process is the one source that would run a
 * command taken from the input, so every "process" in the files is defanged to
 * "qrocess" first (as is "token_file", which names a file to read); the JSON that
 * credential_process prints goes through the same rb_cred_from_json the endpoints' do.
 *
 * Checks credentials.h's promises: success gives a key pair, failure an error code, and
 * no message ever contains the secrets the environment and endpoints hand out. */
#include "credentials.h"
#include "fuzz_util.h"

#include <string.h>
#include <strings.h>

enum {
  ENV_AWS_PROFILE = 1,
  ENV_EXPLICIT_PROFILE = 2,
  ENV_CONTAINER = 4,
  ENV_IMDS = 8,
  ENV_WEB_IDENTITY = 16,
  ENV_STATIC = 32,
  ENV_STS_FAILS = 64,
  ENV_REGION = 128,
};

#define ENV_SECRET "zENVSECRETKEYz"
#define ENV_TOKEN "zENVSESSIONTOKENz"
#define WEB_TOKEN "zWEBIDENTITYTOKENz"
#define AUTH_TOKEN "Bearer zCONTAINERAUTHz"
#define IMDS_TOKEN "zIMDSTOKENz"

typedef struct world {
  unsigned env, http;
  const char *profile, *config, *credentials, *expiration, *token_file;
  const char *doc; /* the JSON every endpoint answers with */
  size_t doc_len;
} world;

static void check(int ok) {
  if (!ok)
    abort();
}

static const char *fake_getenv(void *ud, const char *name) {
  const world *w = ud;
  static const struct {
    unsigned bit;
    const char *name, *value;
  } fixed[] = {
      {ENV_CONTAINER, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/fuzz"},
      {ENV_CONTAINER, "AWS_CONTAINER_AUTHORIZATION_TOKEN", AUTH_TOKEN},
      {ENV_WEB_IDENTITY, "AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/web"},
      {ENV_STATIC, "AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE"},
      {ENV_STATIC, "AWS_SECRET_ACCESS_KEY", ENV_SECRET},
      {ENV_STATIC, "AWS_SESSION_TOKEN", ENV_TOKEN},
      {ENV_REGION, "AWS_REGION", "eu-west-1"},
  };
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
    if ((w->env & fixed[i].bit) && strcmp(name, fixed[i].name) == 0)
      return fixed[i].value;
  if (strcmp(name, "AWS_CONFIG_FILE") == 0)
    return w->config;
  if (strcmp(name, "AWS_SHARED_CREDENTIALS_FILE") == 0)
    return w->credentials;
  if (strcmp(name, "AWS_PROFILE") == 0)
    return (w->env & ENV_AWS_PROFILE) ? w->profile : NULL;
  if (strcmp(name, "AWS_EC2_METADATA_DISABLED") == 0)
    return (w->env & ENV_IMDS) ? NULL : "true";
  if (strcmp(name, "AWS_WEB_IDENTITY_TOKEN_FILE") == 0)
    return (w->env & ENV_WEB_IDENTITY) ? w->token_file : NULL;
  if (strcmp(name, "AWS_CREDENTIAL_EXPIRATION") == 0)
    return (w->env & ENV_STATIC) ? w->expiration : NULL;
  return NULL; /* HOME included: "~" paths do not exist here */
}

static long long fake_now(void *ud) {
  (void)ud;
  return 1795744800LL; /* 2026-11-27T02:00:00Z */
}

/* Byte 1: bits 0-1 the IMDS token status, bits 2-3 the role list status, bit 4 a 404
 * for the credentials document, bit 6 no response at all, bit 7 no HTTP client. */
static int fake_http(void *ud, const char *method, const char *url, const rb_headers *h,
                     long timeout_ms, int *status, rb_buf *body, rb_error *err) {
  const world *w = ud;
  static const int codes[] = {200, 403, 404, 500};
  (void)method, (void)h, (void)timeout_ms;
  if (w->http & 0x40)
    return rb_error_set(err, "ConnectionError", "connection refused");
  const char *text = w->doc;
  size_t len = w->doc_len;
  if (strstr(url, "/latest/api/token")) {
    *status = codes[w->http & 3];
    text = IMDS_TOKEN;
    len = strlen(text);
  } else if (strlen(url) > 0 && url[strlen(url) - 1] == '/') {
    *status = codes[(w->http >> 2) & 3];
    text = "runbook-instance-role\n";
    len = strlen(text);
  } else {
    *status = codes[(w->http >> 4) & 1 ? 2 : 0];
  }
  return rb_buf_append(body, text, len) == 0
             ? 0
             : rb_error_set(err, "OutOfMemory", "out of memory");
}

static int fake_sts(void *ud, const char *operation, const cJSON *params,
                    const rb_credentials *source, const char *region, cJSON **out,
                    rb_error *err) {
  const world *w = ud;
  (void)operation, (void)params, (void)source, (void)region;
  if (w->env & ENV_STS_FAILS) {
    rb_error_set(err, "AccessDenied", "not authorized to perform sts:AssumeRole");
    err->status = 403;
    return -1;
  }
  *out = cJSON_ParseWithLength(w->doc, w->doc_len);
  return 0;
}

/* "process" -> "qrocess", "token_file" -> "token_fil_", case-insensitively (keys are). */
static void defang(char *s) {
  for (char *p = s; *p; p++) {
    if (strncasecmp(p, "process", 7) == 0)
      p[0] = 'q';
    else if (strncasecmp(p, "token_file", 10) == 0)
      p[9] = '_';
  }
}

static int contains(const uint8_t *data, size_t size, const char *s) {
  size_t n = strlen(s);
  for (size_t i = 0; i + n <= size; i++)
    if (memcmp(data + i, s, n) == 0)
      return 1;
  return 0;
}

static void no_secret_in(const rb_error *err, const uint8_t *data, size_t size) {
  static const char *const secrets[] = {ENV_SECRET, ENV_TOKEN, WEB_TOKEN, AUTH_TOKEN,
                                        IMDS_TOKEN};
  for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
    if (!contains(data, size, secrets[i])) /* not echoed input */
      check(!strstr(err->message, secrets[i]) && !strstr(err->code, secrets[i]));
}

/* One profile key, as the client reads region, retry and endpoint settings. */
static void config_key(const rb_cred_env *env, const char *explicit_profile,
                       unsigned pick) {
  static const char *const keys[] = {"region", "retry_mode", "max_attempts",
                                     "endpoint_url"};
  rb_buf v = RB_BUF_INIT;
  rb_error err;
  memset(&err, 0, sizeof err);
  int rc = rb_config_get(env, explicit_profile, keys[pick % 4], &v, &err);
  check(rc == 1 || rc == 0 || (rc == -1 && err.code[0] != '\0'));
  rb_buf_free(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_input in = fz_make(data, size);
  world w = {0};
  w.env = fz_byte(&in);
  w.http = fz_byte(&in);
  char *profile = fz_take(&in, "\n---\n");
  char *config = fz_take(&in, "\n---\n");
  char *creds = fz_take(&in, "\n---\n");
  fz_until(&in, "\n---\n", &w.doc, &w.doc_len);
  char *expiration = fz_take(&in, "\n---\n");
  if (!profile || !config || !creds || !expiration)
    goto done;
  defang(config);
  defang(creds);
  w.profile = profile;
  w.expiration = expiration;
  w.config = fz_write_file("config", config, strlen(config));
  w.credentials = fz_write_file("credentials", creds, strlen(creds));
  w.token_file =
      fz_write_file("web-identity-token", WEB_TOKEN "\n", strlen(WEB_TOKEN) + 1);
  if (!w.config || !w.credentials || !w.token_file)
    goto done;

  rb_cred_env env = {fake_getenv, fake_now, fake_http, fake_sts, &w, NULL};
  if (w.http & 0x80)
    env.http = NULL;
  const char *explicit_profile = (w.env & ENV_EXPLICIT_PROFILE) ? profile : NULL;
  rb_credentials c = RB_CREDENTIALS_INIT;
  rb_error err;
  memset(&err, 0, sizeof err);
  if (rb_credentials_resolve(&env, explicit_profile, &c, &err) == 0) {
    check(c.access_key_id && c.access_key_id[0] && c.secret_access_key &&
          c.secret_access_key[0] && c.source[0]);
    rb_credentials_expiring(&c, fake_now(NULL));
    rb_credentials_free(&c);
  } else {
    check(err.code[0] && !c.access_key_id && !c.secret_access_key);
    no_secret_in(&err, data, size);
  }
  config_key(&env, explicit_profile, w.http >> 4);
done:
  fz_scratch_done();
  free(profile);
  free(config);
  free(creds);
  free(expiration);
  return 0;
}
