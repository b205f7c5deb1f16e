/* endpoint.c — region, partition, endpoint URL and signing region (see endpoint.h).
 *
 * Uses libc only; the partition and global-service data are the few rows of botocore's
 * endpoints.json this tool needs. Must never allocate, read the real environment or
 * accept an override URL it cannot take apart into scheme, host, port and path. */
#include "endpoint.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct partition {
  const char *name, *prefix, *dns_suffix;
} partition;

/* Matched by region prefix, first match wins; the last row is the fallback. */
static const partition partitions[] = {
    {"aws-cn", "cn-", "amazonaws.com.cn"},
    {"aws-us-gov", "us-gov-", "amazonaws.com"},
    {"aws-iso-b", "us-isob-", "sc2s.sgov.gov"},
    {"aws-iso", "us-iso-", "c2s.ic.gov"},
    {"aws", "", "amazonaws.com"},
};

/* Services with one endpoint per partition (botocore: partitionEndpoint). */
static const struct {
  const char *prefix, *partition, *host, *region;
} globals[] = {
    {"iam", "aws", "iam.amazonaws.com", "us-east-1"},
    {"iam", "aws-cn", "iam.cn-north-1.amazonaws.com.cn", "cn-north-1"},
    {"iam", "aws-us-gov", "iam.us-gov.amazonaws.com", "us-gov-west-1"},
    {"iam", "aws-iso", "iam.us-iso-east-1.c2s.ic.gov", "us-iso-east-1"},
    {"iam", "aws-iso-b", "iam.us-isob-east-1.sc2s.sgov.gov", "us-isob-east-1"},
};

static const char *env_get(const rb_endpoint_input *in, const char *name) {
  const char *v = in->getenv ? in->getenv(in->env_ud, name) : NULL;
  return v && *v ? v : NULL;
}

static const partition *find_partition(const char *region) {
  size_t n = sizeof partitions / sizeof partitions[0];
  for (size_t i = 0; i + 1 < n; i++)
    if (strncmp(region, partitions[i].prefix, strlen(partitions[i].prefix)) == 0)
      return &partitions[i];
  return &partitions[n - 1];
}

const char *rb_endpoint_partition(const char *region, const char **dns_suffix) {
  const partition *p = find_partition(region ? region : "");
  if (dns_suffix)
    *dns_suffix = p->dns_suffix;
  return p->name;
}

/* A region becomes part of a host name: lowercase letters, digits and inner hyphens. */
static int check_region(const char *r, rb_error *err) {
  size_t n = strlen(r);
  int ok = n > 0 && n < 64 && r[0] != '-' && r[n - 1] != '-';
  for (size_t i = 0; ok && i < n; i++)
    ok = islower((unsigned char)r[i]) || isdigit((unsigned char)r[i]) || r[i] == '-';
  if (ok)
    return 0;
  return rb_error_set(err, "InvalidRegion",
                      "invalid region '%.64s': expected a name like "
                      "us-east-1",
                      r);
}

int rb_region_resolve(const char *flag_region,
                      const char *(*getenv)(void *ud, const char *), void *ud,
                      const char *profile_region, char *out, size_t n, const char **from,
                      rb_error *err) {
  rb_endpoint_input env = {0};
  env.getenv = getenv;
  env.env_ud = ud;
  const char *r = flag_region && *flag_region ? flag_region : NULL, *src = "--region";
  if (!r && (r = env_get(&env, "AWS_REGION")))
    src = "AWS_REGION";
  if (!r && (r = env_get(&env, "AWS_DEFAULT_REGION")))
    src = "AWS_DEFAULT_REGION";
  if (!r && profile_region && *profile_region) {
    r = profile_region;
    src = "profile";
  }
  if (!r)
    return rb_error_set(err, "NoRegion",
                        "no AWS region: pass --region or set AWS_REGION");
  if (check_region(r, err) != 0)
    return -1;
  if (snprintf(out, n, "%s", r) >= (int)n)
    return rb_error_set(err, "InvalidRegion", "region '%.64s' is too long", r);
  if (from)
    *from = src;
  return 0;
}

int rb_endpoint_env_name(const char *service_id, char *out, size_t n) {
  size_t len = strlen("AWS_ENDPOINT_URL_");
  if (len + strlen(service_id) + 1 > n)
    return -1;
  memcpy(out, "AWS_ENDPOINT_URL_", len);
  for (const char *s = service_id; *s; s++)
    out[len++] = *s == ' ' ? '_' : (char)toupper((unsigned char)*s);
  out[len] = '\0';
  return 0;
}

/* ---- override URLs ---- */

static int bad_url(const char *url, const char *from, const char *why, rb_error *err) {
  return rb_error_set(err, "InvalidEndpoint", "invalid endpoint url '%.300s' from %s: %s",
                      url, from, why);
}

/* Splits "host[:port]" / "[v6][:port]": host length into *hlen, port (0 when none). */
static const char *split_authority(const char *a, size_t alen, size_t *hlen, long *port) {
  const char *colon = NULL;
  *port = 0;
  if (alen && a[0] == '[') {
    const char *close = memchr(a, ']', alen);
    if (!close || close == a + 1)
      return "the IPv6 address has no closing ']'";
    *hlen = (size_t)(close - a) + 1;
    if (*hlen < alen && a[*hlen] != ':')
      return "unexpected text after the IPv6 address";
    colon = *hlen < alen ? a + *hlen : NULL;
  } else {
    colon = memchr(a, ':', alen);
    *hlen = colon ? (size_t)(colon - a) : alen;
  }
  if (*hlen == 0)
    return "it has no host";
  for (size_t i = 0; i < *hlen; i++)
    if (!isalnum((unsigned char)a[i]) && !strchr(".-_[]:", a[i]))
      return "the host has characters a host name cannot have";
  if (colon) {
    char *end;
    *port = strtol(colon + 1, &end, 10);
    /* digits only: strtol would also take leading white space and a sign */
    if (!isdigit((unsigned char)colon[1]) || end != a + alen || *port < 1 ||
        *port > 65535)
      return "the port is not a number from 1 to 65535";
  }
  return NULL;
}

static int parse_override(const char *url, const char *from, rb_endpoint *out,
                          rb_error *err) {
  int https = strncasecmp(url, "https://", 8) == 0;
  if (!https && strncasecmp(url, "http://", 7) != 0)
    return bad_url(url, from, "it must start with http:// or https://", err);
  const char *a = url + (https ? 8 : 7);
  if (strpbrk(a, "?#"))
    return bad_url(url, from, "it must not have a query or fragment", err);
  size_t alen = strcspn(a, "/"), hlen;
  if (memchr(a, '@', alen))
    return bad_url(url, from, "it must not contain user info", err);
  long port;
  const char *why = split_authority(a, alen, &hlen, &port);
  if (why)
    return bad_url(url, from, why, err);
  size_t plen = strlen(a + alen);
  while (plen && a[alen + plen - 1] == '/')
    plen--;
  int default_port = port == 0 || port == (https ? 443 : 80);
  if (snprintf(out->url, sizeof out->url, "%s://%.*s", https ? "https" : "http",
               (int)alen, a) >= (int)sizeof out->url ||
      snprintf(out->base_path, sizeof out->base_path, "%.*s", (int)plen, a + alen) >=
          (int)sizeof out->base_path ||
      snprintf(out->host, sizeof out->host, "%.*s", (int)(default_port ? hlen : alen),
               a) >= (int)sizeof out->host)
    return bad_url(url, from, "it is too long", err);
  snprintf(out->source, sizeof out->source, "%s", from);
  return 0;
}

/* The configured override and where it came from, or NULL. */
static const char *find_override(const rb_endpoint_input *in, char *from, size_t n) {
  if (in->explicit_url && *in->explicit_url) {
    snprintf(from, n, "--endpoint-url");
    return in->explicit_url;
  }
  const char *ignore = env_get(in, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  if (ignore && strcasecmp(ignore, "true") == 0)
    return NULL;
  const char *v = NULL;
  if (in->service_id && rb_endpoint_env_name(in->service_id, from, n) == 0)
    v = env_get(in, from);
  if (!v && (v = env_get(in, "AWS_ENDPOINT_URL")))
    snprintf(from, n, "AWS_ENDPOINT_URL");
  if (!v && in->profile_url && *in->profile_url) {
    v = in->profile_url;
    snprintf(from, n, "profile endpoint_url");
  }
  return v;
}

int rb_endpoint_resolve(const rb_endpoint_input *in, rb_endpoint *out, rb_error *err) {
  memset(out, 0, sizeof *out);
  if (!in->region || check_region(in->region, err) != 0)
    return in->region ? -1
                      : rb_error_set(err, "NoRegion",
                                     "no AWS region: pass --region "
                                     "or set AWS_REGION");
  const partition *p = find_partition(in->region);
  snprintf(out->partition, sizeof out->partition, "%s", p->name);
  snprintf(out->signing_region, sizeof out->signing_region, "%s", in->region);
  const char *global_host = NULL;
  for (size_t i = 0; i < sizeof globals / sizeof globals[0]; i++)
    if (strcmp(in->endpoint_prefix, globals[i].prefix) == 0 &&
        strcmp(p->name, globals[i].partition) == 0) {
      global_host = globals[i].host;
      snprintf(out->signing_region, sizeof out->signing_region, "%s", globals[i].region);
    }
  char from[80];
  const char *override = find_override(in, from, sizeof from);
  if (override)
    return parse_override(override, from, out, err);
  if (global_host)
    snprintf(out->host, sizeof out->host, "%s", global_host);
  else if (snprintf(out->host, sizeof out->host, "%s.%s.%s", in->endpoint_prefix,
                    in->region, p->dns_suffix) >= (int)sizeof out->host)
    return rb_error_set(err, "InvalidEndpoint", "endpoint host for '%s' is too long",
                        in->endpoint_prefix);
  snprintf(out->url, sizeof out->url, "https://%s", out->host);
  snprintf(out->source, sizeof out->source, "default");
  return 0;
}
