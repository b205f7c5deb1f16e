/* credentials_int.h — shared by the files of the credential unit (credentials*.c) only.
 *
 * Not a public API: nothing outside the credential unit includes this. Providers return
 * 1 when they produced credentials, 0 when they are not configured (the chain goes on)
 * and -1 with `err` set when they are configured but failed (the chain stops). */
#ifndef RB_CREDENTIALS_INT_H
#define RB_CREDENTIALS_INT_H

#include "credentials.h"

#include <stddef.h>

/* Which shared file a value comes from; RB_CRED_ANY looks in the credentials file first,
 * then the config file (botocore's merged view of a profile). */
enum { RB_CRED_CONFIG = 0, RB_CRED_SHARED = 1, RB_CRED_ANY = 2 };

/* One key of one profile; an entry with key == NULL records that a section exists. */
typedef struct rb_cred_entry {
  int file;
  char *profile;
  char *key;   /* lowercase */
  char *value; /* wiped on free: may be a secret */
} rb_cred_entry;

typedef struct rb_cred_files {
  rb_cred_entry *items; /* in file order; a later entry wins */
  size_t count, cap;
  char *
      path[2]; /* the path opened (after ~ expansion), indexed by RB_CRED_CONFIG/SHARED */
  char *display[2]; /* the path as the user wrote it, for messages */
  int found[2];     /* the file exists */
} rb_cred_files;

/* Loads both shared files (missing files are empty). 0, or -1 with err set. */
int rb_credfiles_load(const rb_cred_env *env, rb_cred_files *f, rb_error *err);
void rb_credfiles_free(rb_cred_files *f);
/* The value of `key` in `profile`, or NULL. Owned by `f`. */
const char *rb_credfiles_get(const rb_cred_files *f, int which, const char *profile,
                             const char *key);
/* 1 when either file has a section for `profile` (even an empty one). */
int rb_credfiles_has_profile(const rb_cred_files *f, const char *profile);
/* 0 when `profile` is "default" or exists; else -1 with err ProfileNotFound. */
int rb_credfiles_check_profile(const rb_cred_files *f, const char *profile,
                               rb_error *err);

/* Reads a whole small file into `out` (wiped by the caller: it may hold a secret). `what`
 * names the file in messages ("web identity token file"). 0, -1 with err set. */
int rb_cred_read_file(const char *path, const char *what, size_t max, rb_buf *out,
                      rb_error *err);

/* State of one resolution, shared by the providers. */
typedef struct rb_cred_ctx {
  const rb_cred_env *env;
  const char *profile; /* effective profile name */
  int explicit_profile;
  rb_cred_files files;
  char sts_region[64];
  char imds_note[64]; /* why instance metadata gave nothing, for the NoCredentials line */
} rb_cred_ctx;

/* The environment variable, or NULL when unset or empty. */
const char *rb_cred_getenv(const rb_cred_env *env, const char *name);
/* The injected clock (the system clock when none was injected). */
long long rb_cred_now(const rb_cred_env *env);
/* Formats epoch seconds as "2026-11-27T03:00:00Z" for messages. */
void rb_cred_format_time(long long t, char out[32]);
/* Fills `out` with copies; `token` may be NULL or "". 0, or -1 (OutOfMemory) with err. */
int rb_cred_set(rb_credentials *out, const char *akid, const char *secret,
                const char *token, long long expiration, const char *source,
                rb_error *err);
/* Fills `out` from a JSON object with AccessKeyId, SecretAccessKey, `token_key`
 * (optional) and Expiration (optional; ISO 8601 string or epoch number). `what` names the
 * source in messages. 0, or -1 with err set (code `code`). */
int rb_cred_from_json(const cJSON *obj, const char *token_key, const char *what,
                      const char *code, const char *source, rb_credentials *out,
                      rb_error *err);
/* Wipes every string in a parsed JSON tree (it may hold secrets), then deletes it. */
void rb_cred_json_free(cJSON *json);
/* Rewrites err->message as "<prefix>: <old message>", keeping code, status, request id
 * and retryable; sets `code` when the error has none. Returns -1. */
int rb_cred_error_wrap(rb_error *err, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Providers. */
int rb_cred_from_env(const rb_cred_ctx *ctx, rb_credentials *out, rb_error *err);
int rb_cred_from_profile(rb_cred_ctx *ctx, rb_credentials *out, rb_error *err);
int rb_cred_from_process(const rb_cred_ctx *ctx, const char *profile, const char *command,
                         rb_credentials *out, rb_error *err);
int rb_cred_from_container(const rb_cred_ctx *ctx, rb_credentials *out, rb_error *err);
int rb_cred_from_imds(rb_cred_ctx *ctx, rb_credentials *out, rb_error *err);

#endif
