/* sigv4.h — AWS Signature Version 4 (header signing and presigned query strings).
 *
 * A staged pipeline of pure functions: canonical URI, canonical query, canonical headers,
 * canonical request, string to sign, signing key, signature. Nothing here reads the
 * clock, the environment or the network: the time is a parameter, so every result is
 * exact and testable against the AWS test suite.
 *
 * Ownership: the caller owns every input. rb_sigv4_sign / rb_sigv4_presign fill a
 * caller-provided rb_sigv4_result whose buffers and header list the caller releases with
 * rb_sigv4_result_free (also after a failure). Results may hold the session token (it is
 * signed), so rb_sigv4_result_free wipes them. The secret access key and the derived
 * signing key never leave the signer and are wiped before it returns. */
#ifndef RB_SIGV4_H
#define RB_SIGV4_H

#include <stddef.h>

#include "buf.h"
#include "error.h"
#include "header.h"

typedef struct rb_sigv4_credentials {
  const char *access_key_id;
  const char *secret_access_key;
  const char *session_token; /* NULL or "" when none */
} rb_sigv4_credentials;

typedef enum { RB_SIGV4_PAYLOAD_SHA256 = 0, RB_SIGV4_PAYLOAD_UNSIGNED } rb_sigv4_payload;

typedef struct rb_sigv4_params {
  const char *region;  /* "us-east-1" */
  const char *service; /* signing name: "lambda", "monitoring", "execute-api"... */
  long long time;      /* seconds since the epoch, injected (never read the clock) */
  int normalize_path;  /* 1 for every service but S3 */
  int double_encode;   /* 1 for every service but S3 */
  rb_sigv4_payload payload;
  int add_content_sha256; /* add and sign x-amz-content-sha256 (header signing only) */
  int omit_session_token; /* add X-Amz-Security-Token after signing (unsigned) */
  long expires;           /* presign only: X-Amz-Expires seconds (1..604800) */
} rb_sigv4_params;

typedef struct rb_sigv4_request {
  const char *method; /* upper-cased in the canonical request */
  const char *path;   /* as on the request line, before '?': may hold raw spaces/UTF-8 or
                         %XX escapes; "" means "/" */
  const char *query;  /* raw query string without '?', or NULL */
  const rb_headers *headers; /* must include Host */
  const void *body;          /* may be NULL when body_len is 0 */
  size_t body_len;
} rb_sigv4_request;

typedef struct rb_sigv4_result {
  rb_buf canonical_request;
  rb_buf string_to_sign;
  char signature[65];
  /* header signing: the headers to add to the request, in the order the AWS test suite
   * shows them: [X-Amz-Security-Token], X-Amz-Date, [x-amz-content-sha256],
   * Authorization. Replace any header of the same name already on the request
   * (rb_headers_set). */
  rb_headers add_headers;
  /* presign: the complete final query string (the request's own query, then
   * X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-SignedHeaders, X-Amz-Expires,
   * [X-Amz-Security-Token], X-Amz-Signature). Send it instead of req->query. */
  rb_buf query;
} rb_sigv4_result;

#define RB_SIGV4_RESULT_INIT                                                             \
  { RB_BUF_INIT, RB_BUF_INIT, {0}, RB_HEADERS_INIT, RB_BUF_INIT }

/* Which headers are signed. Every request header is signed except these, which proxies
 * and HTTP stacks rewrite: authorization, connection, expect, proxy-authorization, te,
 * transfer-encoding, upgrade, user-agent, x-amzn-trace-id. Headers the signer sets itself
 * (x-amz-date, x-amz-security-token when a token is used, x-amz-content-sha256 when
 * add_content_sha256 is set) are taken from the signer, never from the request.
 * Values are trimmed and runs of white space (space, tab, CR, LF, VT, FF) become one
 * space; repeated names are joined with ',' in order of appearance. */

/* Header signing. `out` must be initialised (RB_SIGV4_RESULT_INIT or zeroed); its
 * previous content is released. Returns 0, or -1 with `err` filled ("SigningError" for
 * bad input, "OutOfMemory"). */
int rb_sigv4_sign(const rb_sigv4_request *req, const rb_sigv4_credentials *creds,
                  const rb_sigv4_params *params, rb_sigv4_result *out, rb_error *err);
/* Query signing (presigned URL); fills canonical_request, string_to_sign, signature and
 * query; add_headers stays empty. The payload hash is SHA-256 of the body, or
 * UNSIGNED-PAYLOAD. */
int rb_sigv4_presign(const rb_sigv4_request *req, const rb_sigv4_credentials *creds,
                     const rb_sigv4_params *params, rb_sigv4_result *out, rb_error *err);
/* Releases (and wipes) everything in `r`; leaves it initialised. */
void rb_sigv4_result_free(rb_sigv4_result *r);

/* ---- pure stages, exported for tests and for the transport ---- */

/* Appends `s[0..n)` percent-encoded: every byte except A-Z a-z 0-9 - . _ ~ becomes %XX
 * (uppercase hex); '/' stays as is unless encode_slash. 0, or -1 on OOM. */
int rb_sigv4_uri_encode(const char *s, size_t n, int encode_slash, rb_buf *out);
/* Appends the canonical URI of `path`. normalize: drop empty and "." segments, resolve
 * "..", keep a trailing '/'. double_encode: encode the path as is ('%' becomes %25, so
 * a%2Fb gives a%252Fb); otherwise valid %XX escapes are kept and the rest is encoded
 * (S3). The result always starts with '/'. 0, or -1 on OOM. */
int rb_sigv4_canonical_uri(const char *path, int normalize, int double_encode,
                           rb_buf *out);
/* Appends the canonical query string of a raw query (NULL or "" gives nothing): split on
 * '&' (empty parts skipped), key and value split at the first '=', each %XX-decoded then
 * encoded as rb_sigv4_uri_encode(encode_slash=1), pairs sorted by encoded key then
 * encoded value (byte order), joined "k=v&k=v". 0, or -1 on OOM. */
int rb_sigv4_canonical_query(const char *query, rb_buf *out);
/* Appends the canonical header block ("name:value\n" per distinct name, sorted) to
 * `canon` and the signed header list ("a;b;c") to `signed_names`, following the rules
 * above. `drop` (NULL-terminated, lowercase, may be NULL) names request headers to leave
 * out because the signer sets them; `extra` (may be NULL) holds the headers the signer
 * adds and signs. 0, or -1 on OOM. */
int rb_sigv4_canonical_headers(const rb_headers *headers, const char *const *drop,
                               const rb_headers *extra, rb_buf *canon,
                               rb_buf *signed_names);
/* Lowercase hex SHA-256 of data, NUL-terminated. */
void rb_sigv4_sha256_hex(const void *data, size_t len, char out[65]);
/* Formats `time` as "YYYYMMDDTHHMMSSZ" (UTC). 0, or -1 when the time is out of range. */
int rb_sigv4_amz_date(long long time, char out[17]);

#endif
