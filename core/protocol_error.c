/* protocol_error.c — every protocol's error responses into one rb_error.
 *
 * rest-json and json: the code comes from x-amzn-ErrorType, the body's code/__type or
 * x-amzn-query-error, in botocore's order for each protocol, without any "prefix#" or
 * ":suffix"; the message from message/Message/errorMessage. query:
 * <ErrorResponse><Error><Code>/<Message></Error><RequestId>; ec2:
 * <Response><Errors><Error>...</Errors><RequestID>. A body that says nothing (empty or an
 * HTML page from a proxy on a 5xx, or unreadable) gives a code named after the HTTP
 * status. Uses cJSON and xml.c; never sets err->retryable (the retry unit decides) and
 * keeps messages to one line. */
#include "protocol_internal.h"

#include "xml.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
  int status;
  const char *code, *reason;
} statuses[] = {
    {400, "BadRequest", "Bad Request"},
    {401, "Unauthorized", "Unauthorized"},
    {403, "Forbidden", "Forbidden"},
    {404, "NotFound", "Not Found"},
    {408, "RequestTimeout", "Request Timeout"},
    {409, "Conflict", "Conflict"},
    {413, "RequestEntityTooLarge", "Payload Too Large"},
    {429, "TooManyRequestsException", "Too Many Requests"},
    {500, "InternalError", "Internal Server Error"},
    {502, "BadGateway", "Bad Gateway"},
    {503, "ServiceUnavailable", "Service Unavailable"},
    {504, "GatewayTimeout", "Gateway Timeout"},
};

static void status_names(int status, char *code, size_t size, const char **reason) {
  *reason = "";
  for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
    if (statuses[i].status == status) {
      snprintf(code, size, "%s", statuses[i].code);
      *reason = statuses[i].reason;
      return;
    }
  if (status >= 500)
    snprintf(code, size, "InternalError");
  else
    snprintf(code, size, "Http%d", status);
}

/* Copies text into dst as one line: control characters become spaces, ends trimmed. */
static void one_line(char *dst, size_t size, const char *src, size_t len) {
  size_t o = 0;
  for (size_t i = 0; i < len && src[i] && o + 1 < size; i++) {
    unsigned char ch = (unsigned char)src[i];
    if (ch < 0x20 || ch == 0x7f)
      ch = ' ';
    if (ch == ' ' && (o == 0 || dst[o - 1] == ' '))
      continue;
    dst[o++] = (char)ch;
  }
  while (o && dst[o - 1] == ' ')
    o--;
  dst[o] = '\0';
}

/* "prefix#Code:suffix" -> "Code" into err->code. */
static void set_code(rb_error *err, const char *raw) {
  const char *hash = strrchr(raw, '#');
  const char *start = hash ? hash + 1 : raw;
  size_t n = strcspn(start, ":;");
  one_line(err->code, sizeof err->code, start, n);
}

const char *rb_proto_header_request_id(const rb_headers *h) {
  const char *id = h ? rb_headers_get(h, "x-amzn-RequestId") : NULL;
  return id ? id : h ? rb_headers_get(h, "x-amz-request-id") : NULL;
}

int rb_proto_add_request_id(cJSON *result, const char *id) {
  if (!id || !*id)
    return 0;
  cJSON *meta = cJSON_GetObjectItemCaseSensitive(result, "ResponseMetadata");
  if (!cJSON_IsObject(meta)) {
    cJSON_DeleteItemFromObjectCaseSensitive(result, "ResponseMetadata");
    meta = cJSON_AddObjectToObject(result, "ResponseMetadata");
  }
  cJSON_DeleteItemFromObjectCaseSensitive(meta, "RequestId");
  return meta && cJSON_AddStringToObject(meta, "RequestId", id) ? 0 : -1;
}

int rb_proto_malformed(const rb_proto_ctx *c, int status, rb_error *err, const char *fmt,
                       ...) {
  char detail[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  rb_error_set(err, "MalformedResponse", "malformed response to %s %s: %s", c->service,
               c->op.name, detail);
  if (err)
    err->status = status;
  return -1;
}

/* The status-named error for a body that says nothing useful. */
static void from_status(const rb_proto_ctx *c, int status, const char *body, size_t len,
                        rb_error *err) {
  char code[sizeof err->code], snippet[200];
  const char *reason;
  status_names(status, code, sizeof code, &reason);
  one_line(snippet, sizeof snippet, body, len);
  if (snippet[0])
    rb_error_set(err, code, "http %d%s%s%s from %s %s: %s", status, *reason ? " (" : "",
                 reason, *reason ? ")" : "", c->service, c->op.name, snippet);
  else
    rb_error_set(err, code, "http %d%s%s%s from %s %s with no error details", status,
                 *reason ? " (" : "", reason, *reason ? ")" : "", c->service, c->op.name);
}

static int says_nothing(int status, const char *body, size_t len) {
  size_t i = 0;
  while (i < len &&
         (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
    i++;
  return status >= 500 &&
         (i == len || (len - i >= 6 && strncmp(body + i, "<html>", 6) == 0));
}

static const char *json_str(const cJSON *obj, const char *key) {
  return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

/* The query-compatible code from "Code;Sender", or NULL. */
static const char *query_error_code(const rb_headers *h, char *buf, size_t size) {
  const char *q = rb_headers_get(h, "x-amzn-query-error");
  const char *semi = q ? strchr(q, ';') : NULL;
  if (!semi || semi == q || strchr(semi + 1, ';'))
    return NULL;
  snprintf(buf, size, "%.*s", (int)(semi - q), q);
  return buf;
}

static const char *json_code(const rb_proto_ctx *c, const rb_headers *h,
                             const cJSON *body, char *buf, size_t size) {
  const char *type_header = rb_headers_get(h, "x-amzn-ErrorType");
  const char *qcode = query_error_code(h, buf, size);
  const char *body_code =
      json_str(body, "code") ? json_str(body, "code") : json_str(body, "Code");
  if (c->meta->protocol == RB_PROTOCOL_REST_JSON) {
    if (type_header && *type_header)
      return type_header;
    if (body_code)
      return body_code;
  }
  if (qcode)
    return qcode;
  if (json_str(body, "__type"))
    return json_str(body, "__type");
  return type_header && *type_header ? type_header : NULL;
}

static void json_error(const rb_proto_ctx *c, int status, const rb_headers *h,
                       const char *body, size_t len, rb_error *err) {
  cJSON *j = cJSON_ParseWithLength(body, len);
  char qbuf[96];
  const char *code = json_code(c, h, cJSON_IsObject(j) ? j : NULL, qbuf, sizeof qbuf);
  const char *msg = json_str(j, "message");
  msg = msg ? msg : json_str(j, "Message");
  msg = msg ? msg : json_str(j, "errorMessage");
  if (!code || !*code) {
    from_status(c, status, cJSON_IsObject(j) ? msg : body,
                cJSON_IsObject(j) ? (msg ? strlen(msg) : 0) : len, err);
  } else {
    rb_error_clear(err);
    set_code(err, code);
    if (msg)
      one_line(err->message, sizeof err->message, msg, strlen(msg));
    else if (!cJSON_IsObject(j))
      one_line(err->message, sizeof err->message, body, len);
  }
  cJSON_Delete(j);
}

static const rb_xml_node *error_node(const rb_xml_node *root) {
  if (strcmp(root->name, "Error") == 0)
    return root;
  const rb_xml_node *e = rb_xml_child(root, "Error");
  return e ? e : rb_xml_path(root, "Errors/Error");
}

static void xml_error(const rb_proto_ctx *c, int status, const char *body, size_t len,
                      rb_error *err) {
  rb_xml_node *root = NULL;
  rb_error xerr;
  const rb_xml_node *e = NULL;
  if (rb_xml_parse(body, len, NULL, &root, &xerr) == 0)
    e = error_node(root);
  const char *code = rb_xml_child_text(e, "Code");
  if (!code || !*code) {
    from_status(c, status, body, len, err);
  } else {
    const char *msg = rb_xml_child_text(e, "Message");
    const char *id = rb_xml_child_text(root, "RequestId");
    id = id ? id : rb_xml_child_text(root, "RequestID");
    rb_error_clear(err);
    set_code(err, code);
    if (msg)
      one_line(err->message, sizeof err->message, msg, strlen(msg));
    if (id)
      one_line(err->request_id, sizeof err->request_id, id, strlen(id));
  }
  rb_xml_free(root);
}

int rb_proto_parse_error(const rb_proto_ctx *c, int status, const rb_headers *h,
                         const char *body, size_t len, rb_error *err) {
  rb_error local;
  if (!err)
    err = &local;
  if (says_nothing(status, body, len))
    from_status(c, status, "", 0, err);
  else if (c->meta->protocol == RB_PROTOCOL_REST_JSON ||
           c->meta->protocol == RB_PROTOCOL_JSON)
    json_error(c, status, h, body, len, err);
  else
    xml_error(c, status, body, len, err);
  if (!err->code[0]) { /* the sent code was only separators or control characters */
    const char *reason;
    status_names(status, err->code, sizeof err->code, &reason);
  }
  err->status = status;
  err->retryable = 0;
  const char *id = rb_proto_header_request_id(h);
  if (!err->request_id[0] && id)
    one_line(err->request_id, sizeof err->request_id, id, strlen(id));
  if (!err->message[0])
    snprintf(err->message, sizeof err->message, "http %d from %s %s", status, c->service,
             c->op.name);
  return -1;
}
