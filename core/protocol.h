/* protocol.h — AWS wire protocols: (service, operation, parameters) -> HTTP request, and
 * HTTP response -> data or one structured error.
 *
 * Speaks rest-json (lambda, apigateway, apigatewayv2), json 1.0/1.1 (logs), query (iam,
 * sts, monitoring) and ec2, driven by the embedded models (model.h) and following
 * botocore's serializers and parsers rule for rule. Parameters and results are cJSON
 * trees with the AWS API's own member names ("FunctionName").
 *
 * Parameters are validated before anything is built: unknown service or operation,
 * missing required members (at any depth), unknown members (with a suggestion) and wrong
 * types all fail with a one-line message naming the parameter path. A JSON null counts as
 * absent. An empty object is accepted where a list is expected and an empty array where a
 * structure or map is expected (an empty Lua table converts to either). Timestamps are
 * accepted as epoch seconds (numbers or numeric text) or ISO 8601 text. Output is
 * deterministic: structure members and map keys are serialized in sorted order.
 *
 * Results: structures become objects keyed by member name, lists arrays (an empty XML
 * list is an empty array, a one-element list a one-element array), maps objects, XML
 * numbers and booleans typed by the model; timestamps stay as AWS sent them (ISO 8601
 * text in XML, usually epoch seconds in JSON); blobs stay as their wire text (base64),
 * except a rest-json payload blob, which is the raw body (Lambda Invoke's Payload).
 * Elements or keys the model does not know are kept (XML text as strings).
 * ResponseMetadata.RequestId is added when the response carries one.
 *
 * Errors: status >= 300 gives err {code, message, status, request_id} from the protocol's
 * error shape; a 2xx whose body cannot be read gives "MalformedResponse". Retryability is
 * decided elsewhere: err->retryable is left 0. */
#ifndef RB_PROTOCOL_H
#define RB_PROTOCOL_H

#include "buf.h"
#include "error.h"
#include "header.h"

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct rb_proto_request {
  char *method;       /* "GET", "POST", ... (owned) */
  rb_buf path;        /* encoded path: "/2015-03-31/functions/my-fn/configuration" */
  rb_buf query;       /* encoded query string without '?', may be empty */
  rb_headers headers; /* Content-Type, X-Amz-Target, Accept, header members; never Host
                         or Authorization (the transport and signer add those) */
  rb_buf body;        /* may be empty */
} rb_proto_request;

/* Builds the request for `operation` of `service` ("cloudwatch" is accepted for
 * "monitoring") from `params` (an object, or NULL for none). *out must be zeroed (or
 * freshly freed); on success the caller frees it with rb_proto_request_free. On failure
 * returns -1, *out holds nothing, and err has code "UnknownService", "UnknownOperation",
 * "InvalidParameter" or "OutOfMemory", e.g.
 * "missing required parameter 'FunctionName' for lambda GetFunctionConfiguration". */
int rb_protocol_build(const char *service, const char *operation, const cJSON *params,
                      rb_proto_request *out, rb_error *err);
/* Only validates `params` (what rb_protocol_build checks before building). */
int rb_protocol_validate(const char *service, const char *operation, const cJSON *params,
                         rb_error *err);
void rb_proto_request_free(rb_proto_request *r);

/* Reads a response. For 2xx (and 1xx) it stores a new cJSON object in *out (the caller
 * frees it with cJSON_Delete) and returns 0. Otherwise *out is NULL, err is filled (code,
 * message, status, request_id; retryable 0) and -1 is returned. `headers` may be NULL;
 * `body` need not be NUL-terminated. */
int rb_protocol_parse(const char *service, const char *operation, int status,
                      const rb_headers *headers, const char *body, size_t len,
                      cJSON **out, rb_error *err);

#endif
