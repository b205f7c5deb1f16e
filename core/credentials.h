/* credentials.h — the AWS credential chain, in the order the AWS SDKs use.
 *
 * rb_credentials_resolve walks these sources and stops at the first that has credentials:
 *
 *  1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, optional AWS_SESSION_TOKEN
 *     (AWS_SECURITY_TOKEN is read when AWS_SESSION_TOKEN is unset, for old tooling) and
 *     AWS_CREDENTIAL_EXPIRATION. Skipped when a profile is given explicitly (--profile);
 *     AWS_PROFILE does not skip it. This is botocore's rule.
 *  2. the profile: explicit profile, else AWS_PROFILE, else AWS_DEFAULT_PROFILE, else
 *     "default". Files: AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials,
 *     sections [name]) and AWS_CONFIG_FILE (default ~/.aws/config, sections
 *     [profile name] and [default]); a key in the credentials file wins over the same
 *     key in the config file. Within the profile, in botocore's order:
 *     - role_arn (without web_identity_token_file): STS AssumeRole with the credentials
 *       of source_profile (resolved recursively; a loop is an error) or of
 *       credential_source (Environment, Ec2InstanceMetadata, EcsContainer). Optional
 *       role_session_name (default "runbook-<epoch>"), external_id, duration_seconds.
 *       mfa_serial is refused: runbook never prompts for an MFA code.
 *     - web identity: AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME
 *       (not read when the profile is explicit), each falling back to the profile's
 *       web_identity_token_file, role_arn, role_session_name: STS
 *       AssumeRoleWithWebIdentity, unsigned.
 *     - aws_access_key_id, aws_secret_access_key, aws_session_token in the credentials
 *       file, then credential_process, then the same keys in the config file.
 *     - profiles using IAM Identity Center (sso_*) are reported as unsupported.
 *  3. container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (after http://169.254.170.2) or
 *     AWS_CONTAINER_CREDENTIALS_FULL_URI (https, or http to a loopback address or to
 *     the ECS/EKS agents 169.254.170.2, 169.254.170.23, [fd00:ec2::23]); Authorization
 *     from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or AWS_CONTAINER_AUTHORIZATION_TOKEN.
 *     RUNBOOK_CONTAINER_ENDPOINT replaces http://169.254.170.2 as the base of the
 *     relative URI: it exists for tests and unusual networks, no SDK reads it.
 *  4. EC2 instance metadata (IMDSv2, falling back to IMDSv1 when the token request is
 *     refused with 403/404/405): unless AWS_EC2_METADATA_DISABLED=true; endpoint
 *     AWS_EC2_METADATA_SERVICE_ENDPOINT (default http://169.254.169.254); 1 s timeouts.
 *
 * A source that is configured but fails (bad process, STS error, unreadable token file,
 * expired credentials) stops the chain with an error about that source, as the SDKs do.
 * When nothing is found the error is "NoCredentials" with one line naming what was tried.
 * No message ever contains a secret key, a session token or a web identity token.
 *
 * Nothing here reads the real environment, clock or network: they come in through
 * rb_cred_env (the system clock is used only when no clock is injected). The one
 * exception is credential_process, which runs a real command (/bin/sh -c) that inherits
 * the process environment, stdin and stderr; the shared files are read from disk.
 *
 * Refresh: credentials carry their expiration; when rb_credentials_expiring says so, the
 * caller resolves again. */
#ifndef RB_CREDENTIALS_H
#define RB_CREDENTIALS_H

#include <cjson/cJSON.h>

#include "buf.h"
#include "error.h"
#include "header.h"

typedef struct rb_credentials {
  char *access_key_id;
  char *secret_access_key; /* wiped on free */
  char *session_token;     /* NULL when none; wiped on free */
  long long expiration;    /* epoch seconds; 0 = does not expire */
  /* where they came from, for diagnostics: "environment", "profile:dev",
   * "process:dev", "assume-role:dev", "web-identity", "web-identity:dev", "container",
   * "imds:<role>" */
  char source[128];
} rb_credentials;

#define RB_CREDENTIALS_INIT                                                              \
  {                                                                                      \
    NULL, NULL, NULL, 0, {                                                               \
      0                                                                                  \
    }                                                                                    \
  }

typedef struct rb_cred_env {
  /* The environment. Returns NULL for unset; an empty value counts as unset. Required. */
  const char *(*getenv)(void *ud, const char *name);
  /* Seconds since the epoch. NULL: the system clock. */
  long long (*now)(void *ud);
  /* Blocking HTTP for the container and instance metadata endpoints: fills *status and
   * appends the response body to `body` (caller-owned). Returns 0 when a response was
   * received (any status), non-zero with `err` set on a transport failure (no response).
   * May be NULL: the container source then fails and instance metadata is skipped. */
  int (*http)(void *ud, const char *method, const char *url, const rb_headers *headers,
              long timeout_ms, int *status, rb_buf *body, rb_error *err);
  /* An STS call through the real signed-call machinery. `operation` is "AssumeRole" or
   * "AssumeRoleWithWebIdentity"; `params` the input shape as JSON; `source` the
   * credentials to sign with (NULL = send unsigned); `region` the STS region. On success
   * returns 0 and sets *out to the parsed output shape ({"Credentials": {"AccessKeyId",
   * "SecretAccessKey", "SessionToken", "Expiration"}, ...}; a wrapping
   * "<Operation>Result" object is accepted too; Expiration may be an ISO 8601 string or
   * epoch seconds); the caller (this unit) frees it. On failure returns non-zero with
   * `err` set. May be NULL: assume-role sources then fail with a clear error. */
  int (*sts)(void *ud, const char *operation, const cJSON *params,
             const rb_credentials *source, const char *region, cJSON **out,
             rb_error *err);
  void *ud;
  /* The region for STS calls, normally the run's resolved region. NULL: AWS_REGION,
   * AWS_DEFAULT_REGION, the profile's region, else us-east-1. */
  const char *region;
} rb_cred_env;

/* Resolves credentials. `explicit_profile` is the --profile value or NULL. `out` must be
 * empty (RB_CREDENTIALS_INIT). On success returns 0 and fills `out` (which the caller
 * releases with rb_credentials_free). On failure returns -1, leaves `out` empty and
 * fills `err`; codes: NoCredentials, ProfileNotFound, PartialCredentials, InvalidConfig,
 * ConfigParseError, CredentialProcessError, ExpiredCredentials,
 * ContainerCredentialsError, InstanceMetadataError, UnsupportedCredentials, StsError,
 * OutOfMemory, or the code of the failed STS call (AccessDenied...) or container request
 * (Timeout...), with the message prefixed by what was being done ("cannot assume role
 * '<arn>' for profile 'dev': ..."). `env` is required. */
int rb_credentials_resolve(const rb_cred_env *env, const char *explicit_profile,
                           rb_credentials *out, rb_error *err);

/* An explicit role to assume (a call's role_arn option), with the credentials of another
 * set as the source. */
typedef struct rb_assume_role {
  const char *role_arn;     /* "arn:<partition>:iam::<account>:role/<name>" */
  const char *external_id;  /* NULL: none */
  const char *session_name; /* NULL: "runbook-<epoch>" */
  const char *who;          /* names the source in messages: "profile 'dev'" */
} rb_assume_role;

/* 1 when `arn` has the shape of an IAM role ARN, else 0. */
int rb_role_arn_valid(const char *arn);

/* Assumes `role` through env->sts, signed with `source` (required), into `out` (empty,
 * RB_CREDENTIALS_INIT); source "assume-role:<arn>". The STS region is env->region, else
 * us-east-1. 0, or -1 with err set: InvalidConfig for a malformed ARN, or the STS call's
 * own code with the message "cannot assume role '<arn>' for <who>: ...". */
int rb_credentials_assume_role(const rb_cred_env *env, const rb_credentials *source,
                               const rb_assume_role *role, rb_credentials *out,
                               rb_error *err);

/* 1 when `c` expires within 5 minutes of `now` (or already has), else 0. */
int rb_credentials_expiring(const rb_credentials *c, long long now);

/* Releases and wipes every field; leaves `c` zeroed (RB_CREDENTIALS_INIT). */
void rb_credentials_free(rb_credentials *c);

/* The effective profile name: explicit_profile, AWS_PROFILE, AWS_DEFAULT_PROFILE or
 * "default". Points into the argument, the environment or a literal. */
const char *rb_credentials_profile_name(const rb_cred_env *env,
                                        const char *explicit_profile);

/* shared_config.c: reads one key (case-insensitive: "region", "retry_mode",
 * "max_attempts", "endpoint_url"...) of the effective profile, credentials file first,
 * then config file, and appends its value to `out` (caller-owned). Returns 1 found, 0 not
 * found, -1 error (unreadable or malformed file; ProfileNotFound when a profile other
 * than "default" is named and exists in neither file). Only `getenv` of `env` is used. */
int rb_config_get(const rb_cred_env *env, const char *explicit_profile, const char *key,
                  rb_buf *out, rb_error *err);

/* Parses an ISO 8601 / RFC 3339 UTC timestamp as AWS sends them ("2026-11-27T03:00:00Z",
 * with optional fractional seconds and a "+hh:mm" / "-hh:mm" offset instead of Z) into
 * epoch seconds. Returns 0, or -1 when `s` is not such a timestamp. */
int rb_credentials_parse_time(const char *s, long long *out);

#endif
