/* endpoint.h — which region, which URL, which signing region.
 *
 * Region: --region > AWS_REGION > AWS_DEFAULT_REGION > the profile's region.
 *
 * Partition from the region: cn-* → aws-cn (amazonaws.com.cn), us-gov-* → aws-us-gov,
 * us-iso-* → aws-iso (c2s.ic.gov), us-isob-* → aws-iso-b (sc2s.sgov.gov), anything
 * else → aws (amazonaws.com), the fallback botocore uses too.
 *
 * URL: https://<endpointPrefix>.<region>.<dnsSuffix>, except for global services: IAM
 * is iam.amazonaws.com signed for us-east-1 (aws), iam.cn-north-1.amazonaws.com.cn for
 * cn-north-1 (aws-cn), iam.us-gov.amazonaws.com for us-gov-west-1 (aws-us-gov). STS is
 * regional (sts.<region>.amazonaws.com), as current SDKs default.
 *
 * Overrides, first wins: the explicit URL (--endpoint-url), AWS_ENDPOINT_URL_<SERVICE>,
 * AWS_ENDPOINT_URL, the profile's endpoint_url. <SERVICE> is the model's serviceId
 * upper-cased with spaces turned into underscores ("CloudWatch Logs" → CLOUDWATCH_LOGS),
 * the SDKs' rule. AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true drops the environment and
 * profile overrides (not the explicit one). With an override the signing region stays
 * the region (for a global service, its partition's signing region).
 *
 * Pure: the environment comes in through a callback; nothing is allocated. Independent
 * of credentials.c: the caller passes the profile's values in. */
#ifndef RB_ENDPOINT_H
#define RB_ENDPOINT_H

#include <stddef.h>

#include "error.h"

typedef struct rb_endpoint_input {
  const char *endpoint_prefix; /* "lambda", "logs", "monitoring", "iam", "sts", "ec2" */
  const char *service_id;      /* the model's serviceId: "Lambda", "CloudWatch Logs" */
  const char *region;          /* the resolved region (rb_region_resolve) */
  const char *explicit_url;    /* --endpoint-url, or NULL */
  const char *profile_url;     /* the profile's endpoint_url, or NULL */
  /* the environment; returns NULL when unset (an empty value counts as unset). May be
   * NULL: no environment. */
  const char *(*getenv)(void *ud, const char *name);
  void *env_ud; /* handed to getenv */
} rb_endpoint_input;

typedef struct rb_endpoint {
  char url[1024]; /* scheme://host[:port]: no path, no trailing slash */
  /* "" or the path of an override URL ("/stage"), no trailing slash: a request goes to
   * url + base_path + its path, and base_path + its path is what SigV4 signs */
  char base_path[512];
  char host[512]; /* for the Host header: host, plus :port when not the default */
  char signing_region[64]; /* the region SigV4 signs for */
  char partition[16];      /* "aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b" */
  char source[80];         /* where the URL came from: "default", "--endpoint-url",
                              "AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL",
                              "profile endpoint_url" */
} rb_endpoint;

/* Resolves the region into `out` (size n). `from` (may be NULL) is set to where it came
 * from: "--region", "AWS_REGION", "AWS_DEFAULT_REGION" or "profile". Returns 0, or -1
 * with err "NoRegion" (nothing set) or "InvalidRegion" (not a name like us-east-1). */
int rb_region_resolve(const char *flag_region,
                      const char *(*getenv)(void *ud, const char *), void *ud,
                      const char *profile_region, char *out, size_t n, const char **from,
                      rb_error *err);

/* Fills `out` for one service. Returns 0, or -1 with err "InvalidRegion" or
 * "InvalidEndpoint" (an override that is not http(s)://host[:port][/path]; the message
 * names the variable or flag it came from). `out` is caller-owned. */
int rb_endpoint_resolve(const rb_endpoint_input *in, rb_endpoint *out, rb_error *err);

/* Writes "AWS_ENDPOINT_URL_<SERVICE>" for a serviceId into out (size n). 0, or -1 when it
 * does not fit. */
int rb_endpoint_env_name(const char *service_id, char *out, size_t n);

/* The partition of a region; *dns_suffix (may be NULL) gets its DNS suffix. Static
 * strings. */
const char *rb_endpoint_partition(const char *region, const char **dns_suffix);

#endif
