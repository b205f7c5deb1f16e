/* protocol_value.c — the text form of scalar values on the AWS wire.
 *
 * Numbers, timestamps (ISO 8601, epoch seconds, RFC 822), base64 and the two URL
 * encodings (RFC 3986 for paths and query strings, form encoding for query bodies), each
 * matching what botocore sends. Uses libc only; never depends on the locale or the local
 * time zone (all times are UTC). */
#include "protocol_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z */
#define TS_MIN (-62135596800.0)
#define TS_MAX 253402300799.0

static int read_digits(const char **p, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)(*p)[i]))
      return -1;
    v = v * 10 + ((*p)[i] - '0');
  }
  *p += n;
  *out = v;
  return 0;
}

/* ".ddd" (at least one digit) -> *frac in [0, 1). */
static int read_fraction(const char **p, double *frac) {
  const char *s = *p + 1;
  double scale = 0.1;
  *frac = 0;
  if (!isdigit((unsigned char)*s))
    return -1;
  for (; isdigit((unsigned char)*s); s++, scale /= 10)
    *frac += (*s - '0') * scale;
  *p = s;
  return 0;
}

/* Digits with an optional ".digits": epoch seconds written as text. */
static int is_decimal(const char *s) {
  const char *p = s;
  while (isdigit((unsigned char)*p))
    p++;
  if (p == s)
    return 0;
  if (*p == '.') {
    const char *f = ++p;
    while (isdigit((unsigned char)*p))
      p++;
    if (p == f)
      return 0;
  }
  return *p == '\0';
}

/* "Z", "+hh:mm", "+hhmm", "-hh" or nothing (UTC); seconds east of UTC in *off. */
static int read_zone(const char *p, long *off) {
  *off = 0;
  if (*p == '\0' || ((*p == 'Z' || *p == 'z') && p[1] == '\0'))
    return 0;
  if (*p != '+' && *p != '-')
    return -1;
  int sign = *p == '-' ? -1 : 1, hh, mm = 0;
  p++;
  if (read_digits(&p, 2, &hh) != 0)
    return -1;
  if (*p == ':')
    p++;
  if (*p && read_digits(&p, 2, &mm) != 0)
    return -1;
  if (*p || hh > 23 || mm > 59)
    return -1;
  *off = sign * (hh * 3600L + mm * 60L);
  return 0;
}

static int parse_iso8601(const char *s, double *epoch) {
  struct tm tm = {0};
  int y, mo, d, h = 0, mi = 0, sec = 0;
  double frac = 0;
  const char *p = s;
  if (read_digits(&p, 4, &y) || *p++ != '-' || read_digits(&p, 2, &mo) || *p++ != '-' ||
      read_digits(&p, 2, &d))
    return -1;
  if (*p == 'T' || *p == 't' || *p == ' ') {
    p++;
    if (read_digits(&p, 2, &h) || *p++ != ':' || read_digits(&p, 2, &mi))
      return -1;
    if (*p == ':' && (p++, read_digits(&p, 2, &sec)))
      return -1;
    if (*p == '.' && read_fraction(&p, &frac) != 0)
      return -1;
  }
  long off;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 ||
      read_zone(p, &off) != 0)
    return -1;
  tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
  tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = sec;
  *epoch = (double)timegm(&tm) - (double)off + frac;
  return 0;
}

int rb_proto_ts_parse(const cJSON *v, double *epoch) {
  if (cJSON_IsNumber(v)) {
    *epoch = v->valuedouble;
  } else if (cJSON_IsString(v) && is_decimal(v->valuestring)) {
    *epoch = strtod(v->valuestring, NULL);
  } else if (cJSON_IsString(v)) {
    if (parse_iso8601(v->valuestring, epoch) != 0)
      return -1;
  } else {
    return -1;
  }
  return isfinite(*epoch) && *epoch >= TS_MIN && *epoch <= TS_MAX ? 0 : -1;
}

int rb_proto_ts_append(rb_buf *out, double epoch, const char *format) {
  static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  double whole = floor(epoch);
  long long usec = llround((epoch - whole) * 1e6);
  if (usec >= 1000000)
    whole += 1, usec = 0;
  if (strcasecmp(format, "unixTimestamp") == 0)
    return rb_buf_printf(out, "%lld", (long long)whole);
  time_t t = (time_t)whole;
  struct tm tm;
  if (!gmtime_r(&t, &tm))
    return -1;
  if (strcasecmp(format, "rfc822") == 0)
    return rb_buf_printf(out, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
                         tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
                         tm.tm_min, tm.tm_sec);
  if (rb_buf_printf(out, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec) != 0)
    return -1;
  return usec ? rb_buf_printf(out, ".%06lldZ", usec) : rb_buf_putc(out, 'Z');
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
