/* protocol_value.c — the text form of scalar values on the AWS wire.
 *
 * Numbers, timestamps (ISO 8601, epoch seconds, RFC 822), base64 and the two URL
 * encodings (RFC 3986 for paths and query strings, form encoding for query bodies), each
 * matching what botocore sends. Uses awstime.c for the times and libc; never depends on
 * the locale or the local time zone (all times are UTC). */
#include "protocol_internal.h"

#include "awstime.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z */
#define TS_MIN (-62135596800.0)
#define TS_MAX 253402300799.0

int rb_proto_ts_parse(const cJSON *v, double *epoch) {
  if (cJSON_IsNumber(v)) {
    *epoch = v->valuedouble;
  } else if (cJSON_IsString(v)) {
    if (rb_time_parse_epoch(v->valuestring, epoch) != 0 &&
        rb_time_parse_iso8601(v->valuestring, 0, epoch) != 0)
      return -1;
  } else {
    return -1;
  }
  return isfinite(*epoch) && *epoch >= TS_MIN && *epoch <= TS_MAX ? 0 : -1;
}

int rb_proto_ts_append(rb_buf *out, double epoch, const char *format) {
  char text[64];
  if (strcasecmp(format, "unixTimestamp") == 0) {
    double whole = floor(epoch);
    if (llround((epoch - whole) * 1e6) >= 1000000)
      whole += 1;
    return rb_buf_printf(out, "%lld", (long long)whole);
  }
  int rc = strcasecmp(format, "rfc822") == 0
               ? rb_time_format_http_date(epoch, text, sizeof text)
               : rb_time_format_iso8601(epoch, 1, text, sizeof text);
  return rc == 0 ? rb_buf_puts(out, text) : -1;
}

int rb_proto_number_append(rb_buf *out, double d) {
  if (!isfinite(d))
    return rb_buf_puts(out, isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
  if (d == floor(d) && fabs(d) < 1e18)
    return rb_buf_printf(out, "%lld", (long long)d);
  char tmp[64];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*g", prec, d);
    if (strtod(tmp, NULL) == d)
      break;
  }
  return rb_buf_puts(out, tmp);
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int rb_proto_base64_append(rb_buf *out, const unsigned char *data, size_t len) {
  for (size_t i = 0; i < len; i += 3) {
    unsigned v = (unsigned)data[i] << 16;
    if (i + 1 < len)
      v |= (unsigned)data[i + 1] << 8;
    if (i + 2 < len)
      v |= data[i + 2];
    char q[4] = {b64[(v >> 18) & 63], b64[(v >> 12) & 63],
                 i + 1 < len ? b64[(v >> 6) & 63] : '=', i + 2 < len ? b64[v & 63] : '='};
    if (rb_buf_append(out, q, 4) != 0)
      return -1;
  }
  return rb_buf_cstr(out) ? 0 : -1;
}

int rb_proto_base64_decode(const char *text, rb_buf *out) {
  unsigned acc = 0;
  int bits = 0;
  const char *p = text;
  for (; *p && *p != '='; p++) {
    const char *pos = strchr(b64, *p);
    if (!pos)
      return -1;
    acc = (acc << 6) | (unsigned)(pos - b64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (rb_buf_putc(out, (char)((acc >> bits) & 0xff)) != 0)
        return -1;
    }
  }
  while (*p == '=')
    p++;
  return *p || bits >= 6 || !rb_buf_cstr(out) ? -1 : 0;
}

static int unreserved(unsigned char ch) {
  return isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~';
}

int rb_proto_pct_append(rb_buf *out, const char *s, size_t len, const char *extra_safe) {
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    int rc = unreserved(ch) || (ch && extra_safe && strchr(extra_safe, ch))
                 ? rb_buf_putc(out, (char)ch)
                 : rb_buf_printf(out, "%%%02X", ch);
    if (rc != 0)
      return -1;
  }
  return rb_buf_cstr(out) ? 0 : -1;
}

int rb_proto_form_append(rb_buf *out, const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    int rc = unreserved(ch) ? rb_buf_putc(out, (char)ch)
             : ch == ' '    ? rb_buf_putc(out, '+')
                            : rb_buf_printf(out, "%%%02X", ch);
    if (rc != 0)
      return -1;
  }
  return rb_buf_cstr(out) ? 0 : -1;
}

int rb_proto_scalar_append(rb_buf *out, const cJSON *v, const cJSON *ref,
                           const cJSON *shape, const char *ts_format) {
  const char *type = rb_proto_type(shape);
  if (strcmp(type, "timestamp") == 0) {
    double epoch;
    if (rb_proto_ts_parse(v, &epoch) != 0)
      return -1;
    return rb_proto_ts_append(out, epoch, rb_proto_ts_format(ref, shape, ts_format));
  }
  if (strcmp(type, "blob") == 0 && cJSON_IsString(v))
    return rb_proto_base64_append(out, (const unsigned char *)v->valuestring,
                                  strlen(v->valuestring));
  if (cJSON_IsBool(v))
    return rb_buf_puts(out, cJSON_IsTrue(v) ? "true" : "false");
  if (cJSON_IsNumber(v))
    return rb_proto_number_append(out, v->valuedouble);
  if (cJSON_IsString(v))
    return rb_buf_puts(out, v->valuestring) == 0 && rb_buf_cstr(out) ? 0 : -1;
  return -1;
}
