/* fuzz_endpoint.c — fuzzes the parsers of configuration values (endpoint.c, retry.c):
 * region names, endpoint override URLs (--endpoint-url, AWS_ENDPOINT_URL[_<SERVICE>],
 * the profile's endpoint_url) and AWS_RETRY_MODE / AWS_MAX_ATTEMPTS.
 *
 * Input: byte 0 picks the service (an embedded model, whose serviceId names the
 * AWS_ENDPOINT_URL_<SERVICE> variable), byte 1 which sources are set; then lines:
 * region, explicit URL, AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, profile URL, retry
 * mode, max attempts. Checks endpoint.h's promise that an accepted override really is
 * http(s)://host[:port][/path]: the URL is exactly scheme and authority, the authority
 * has no white space or control characters, a port is digits only, and the host and
 * base path are well formed. Never writes anything. */
#include "endpoint.h"
#include "fuzz_util.h"
#include "model.h"
#include "retry.h"

#include <ctype.h>
#include <string.h>

typedef struct vars {
  const char *service_var, *service_url, *any_url, *region;
  unsigned bits;
} vars;

static void check(int ok) {
  if (!ok)
    abort();
}

static const char *fake_getenv(void *ud, const char *name) {
  const vars *v = ud;
  if ((v->bits & 1) && strcmp(name, v->service_var) == 0)
    return v->service_url;
  if ((v->bits & 2) && strcmp(name, "AWS_ENDPOINT_URL") == 0)
    return v->any_url;
  if ((v->bits & 4) && strcmp(name, "AWS_REGION") == 0)
    return v->region;
  if ((v->bits & 8) && strcmp(name, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") == 0)
    return "true";
  return NULL;
}

static void check_endpoint(const rb_endpoint *e) {
  const char *a = strstr(e->url, "://");
  check(a && (strncmp(e->url, "https://", 8) == 0 || strncmp(e->url, "http://", 7) == 0));
  a += 3;
  check(*a && !strpbrk(a, "/?#@"));
  for (const char *p = a; *p; p++)
    check(isgraph((unsigned char)*p));
  check(e->host[0] && strncmp(a, e->host, strlen(e->host)) == 0);
  const char *port = a[0] == '[' ? strchr(a, ']') : a;
  port = port ? strchr(port, ':') : NULL;
  check(!port || (port[1] && strspn(port + 1, "0123456789") == strlen(port + 1)));
  size_t bl = strlen(e->base_path);
  check(bl == 0 || (e->base_path[0] == '/' && e->base_path[bl - 1] != '/'));
  check(e->signing_region[0] && e->partition[0] && e->source[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_input in = fz_make(data, size);
  unsigned pick = fz_byte(&in);
  vars v = {0};
  v.bits = fz_byte(&in);
  char *parts[7] = {0};
  for (int i = 0; i < 7; i++)
    if (!(parts[i] = fz_take(&in, "\n")))
      goto done;

  size_t nservices = 0;
  while (rb_model_service_name(nservices))
    nservices++;
  rb_error err;
  const rb_model *m =
      nservices ? rb_model_load(rb_model_service_name(pick % nservices), &err) : NULL;
  if (!m)
    goto done;
  const rb_model_meta *meta = rb_model_metadata(m);
  char var[128];
  if (rb_endpoint_env_name(meta->service_id, var, sizeof var) != 0)
    goto done;
  v.service_var = var;
  v.service_url = parts[2];
  v.any_url = parts[3];
  v.region = parts[0];

  char region[64];
  const char *from = NULL;
  if (rb_region_resolve((v.bits & 16) ? parts[0] : NULL, fake_getenv, &v,
                        (v.bits & 32) ? parts[0] : NULL, region, sizeof region, &from,
                        &err) == 0) {
    check(from && region[0]);
    rb_endpoint_input ei = {.endpoint_prefix = meta->endpoint_prefix,
                            .service_id = meta->service_id,
                            .region = region,
                            .explicit_url = (v.bits & 64) ? parts[1] : NULL,
                            .profile_url = parts[4],
                            .getenv = fake_getenv,
                            .env_ud = &v};
    rb_endpoint e;
    if (rb_endpoint_resolve(&ei, &e, &err) == 0)
      check_endpoint(&e);
    else
      check(err.code[0] != '\0');
  }
  rb_endpoint_partition(parts[0], NULL);

  rb_retry_config rc;
  if (rb_retry_config_parse(parts[5], parts[6], &rc, &err) == 0)
    check(rc.max_attempts >= 1);
done:
  for (int i = 0; i < 7; i++)
    free(parts[i]);
  return 0;
}
