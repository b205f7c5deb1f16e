/* awstime.c — ISO 8601, HTTP-date and epoch seconds: parse and format (see awstime.h).
 *
 * Uses libc only (gmtime_r to format). It must never read the clock, the locale or the
 * time zone, and never accept a date that does not exist. */
#include "awstime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
                                     "Aug", "Sep", "Oct", "Nov", "Dec", NULL};
static const char *const wdays[] = {"Mon", "Tue", "Wed", "Thu",
                                    "Fri", "Sat", "Sun", NULL};
static const char *const long_wdays[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                         "Friday", "Saturday", "Sunday",    NULL};

long long rb_time_days_from_civil(long long y, int m, int d) {
  y -= m <= 2;
  long long era = (y >= 0 ? y : y - 399) / 400;
  long long yoe = y - era * 400;
  long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int rb_time_days_in_month(long long y, int m) {
  static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : dim[m - 1];
}

/* ---- small readers: each advances *p only on success ---- */

static int digits(const char **p, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    char c = (*p)[i];
    if (c < '0' || c > '9')
      return -1;
    v = v * 10 + (c - '0');
  }
  *p += n;
  *out = v;
  return 0;
}

static int lit(const char **p, const char *s) {
  size_t n = strlen(s);
  if (strncmp(*p, s, n) != 0)
    return -1;
  *p += n;
  return 0;
}

static int one_of(const char **p, const char *chars) {
  if (**p == '\0' || !strchr(chars, **p))
    return -1;
  (*p)++;
  return 0;
}

static int name(const char **p, const char *const *names) {
  for (int i = 0; names[i]; i++)
    if (lit(p, names[i]) == 0)
      return i;
  return -1;
}

/* ".ddd" (at least one digit) -> *frac in [0, 1) */
static int fraction(const char **p, double *frac) {
  const char *s = *p + 1;
  double scale = 0.1;
  *frac = 0;
  if (**p != '.' || *s < '0' || *s > '9')
    return -1;
  for (; *s >= '0' && *s <= '9'; s++, scale /= 10)
    *frac += (*s - '0') * scale;
  *p = s;
  return 0;
}

typedef struct civil {
  long long year;
  int mon, day, hour, min, sec;
} civil;

/* Seconds since the epoch of a checked civil time; -1 when the date does not exist. */
static int civil_to_epoch(const civil *t, long long *out) {
  if (t->mon < 1 || t->mon > 12 || t->day < 1 ||
      t->day > rb_time_days_in_month(t->year, t->mon) || t->hour > 23 || t->min > 59 ||
      t->sec > 60)
    return -1;
  *out = rb_time_days_from_civil(t->year, t->mon, t->day) * 86400 + t->hour * 3600LL +
         t->min * 60LL + t->sec;
  return 0;
}

/* ---- ISO 8601 ---- */

/* Strict: "Z" or "+hh:mm". Lenient: also nothing, "+hhmm" and "+hh". */
static int zone(const char *p, int strict, long *off) {
  *off = 0;
  if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
    return 0;
  if (*p == '\0')
    return strict ? -1 : 0;
  int sign = *p == '-' ? -1 : 1, hh, mm = 0;
  if (one_of(&p, "+-") || digits(&p, 2, &hh))
    return -1;
  if (strict ? lit(&p, ":") || digits(&p, 2, &mm)
             : (*p == ':' && lit(&p, ":")) || (*p && digits(&p, 2, &mm)))
    return -1;
  if (*p || hh > 23 || mm > 59)
    return -1;
  *off = sign * (hh * 3600L + mm * 60L);
  return 0;
}

int rb_time_parse_iso8601(const char *s, int strict, double *epoch) {
  civil t = {0};
  int y;
  double frac = 0;
  const char *p = s;
  if (!s || digits(&p, 4, &y) || lit(&p, "-") || digits(&p, 2, &t.mon) || lit(&p, "-") ||
      digits(&p, 2, &t.day))
    return -1;
  t.year = y;
  if (one_of(&p, "Tt ") == 0) {
    if (digits(&p, 2, &t.hour) || lit(&p, ":") || digits(&p, 2, &t.min))
      return -1;
    if ((strict || *p == ':') && (lit(&p, ":") || digits(&p, 2, &t.sec)))
      return -1;
    if (*p == '.' && fraction(&p, &frac) != 0)
      return -1;
  } else if (strict) {
    return -1;
  }
  long off;
  long long whole;
  if (zone(p, strict, &off) != 0 || civil_to_epoch(&t, &whole) != 0)
    return -1;
  *epoch = (double)(whole - off) + frac;
  return 0;
}

/* ---- HTTP-date ---- */

static int clock_part(const char **p, civil *t) {
  return digits(p, 2, &t->hour) || lit(p, ":") || digits(p, 2, &t->min) || lit(p, ":") ||
                 digits(p, 2, &t->sec)
             ? -1
             : 0;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" (IMF-fixdate) */
static int parse_imf(const char *p, civil *t) {
  int mon, y;
  if (name(&p, wdays) < 0 || lit(&p, ", ") || digits(&p, 2, &t->day) || lit(&p, " ") ||
      (mon = name(&p, months)) < 0 || lit(&p, " ") || digits(&p, 4, &y) || lit(&p, " ") ||
      clock_part(&p, t) || lit(&p, " GMT") || *p)
    return -1;
  t->mon = mon + 1;
  t->year = y;
  return 0;
}

/* "Sunday, 06-Nov-94 08:49:37 GMT" (RFC 850; a two-digit year below 70 is 20xx) */
static int parse_rfc850(const char *p, civil *t) {
  int mon, y;
  if (name(&p, long_wdays) < 0 || lit(&p, ", ") || digits(&p, 2, &t->day) ||
      lit(&p, "-") || (mon = name(&p, months)) < 0 || lit(&p, "-") || digits(&p, 2, &y) ||
      lit(&p, " ") || clock_part(&p, t) || lit(&p, " GMT") || *p)
    return -1;
  t->mon = mon + 1;
  t->year = y + (y < 70 ? 2000 : 1900);
  return 0;
}

/* "Sun Nov  6 08:49:37 1994" (asctime) */
static int parse_asctime(const char *p, civil *t) {
  int mon, y;
  if (name(&p, wdays) < 0 || lit(&p, " ") || (mon = name(&p, months)) < 0 || lit(&p, " "))
    return -1;
  if (*p == ' ' ? (p++, digits(&p, 1, &t->day)) : digits(&p, 2, &t->day))
    return -1;
  if (lit(&p, " ") || clock_part(&p, t) || lit(&p, " ") || digits(&p, 4, &y) || *p)
    return -1;
  t->mon = mon + 1;
  t->year = y;
  return 0;
}

int rb_time_parse_http_date(const char *s, long long *epoch) {
  civil t = {0};
  if (!s)
    return -1;
  if (parse_imf(s, &t) != 0) {
    memset(&t, 0, sizeof t);
    if (parse_rfc850(s, &t) != 0) {
      memset(&t, 0, sizeof t);
      if (parse_asctime(s, &t) != 0)
        return -1;
    }
  }
  return civil_to_epoch(&t, epoch);
}

/* ---- epoch seconds ---- */

int rb_time_parse_epoch(const char *s, double *epoch) {
  const char *p = s;
  double frac;
  if (!s || *p < '0' || *p > '9')
    return -1;
  while (*p >= '0' && *p <= '9')
    p++;
  if ((*p == '.' && fraction(&p, &frac) != 0) || *p)
    return -1;
  *epoch = strtod(s, NULL); /* the syntax is checked: digits and one '.' */
  return 0;
}

/* ---- formatting ---- */

static int split(double epoch, struct tm *tm, long long *usec) {
  double whole = floor(epoch);
  *usec = llround((epoch - whole) * 1e6);
  if (*usec >= 1000000)
    whole += 1, *usec = 0;
  time_t t = (time_t)whole;
  return gmtime_r(&t, tm) ? 0 : -1;
}

int rb_time_format_iso8601(double epoch, int with_fraction, char *out, size_t n) {
  struct tm tm;
  long long usec;
  if (!isfinite(epoch) || split(epoch, &tm, &usec) != 0)
    return -1;
  int len = snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (len < 0 || (size_t)len >= n)
    return -1;
  int more = with_fraction && usec
                 ? snprintf(out + len, n - (size_t)len, ".%06lldZ", usec)
                 : snprintf(out + len, n - (size_t)len, "Z");
  return more < 0 || (size_t)(len + more) >= n ? -1 : 0;
}

int rb_time_format_http_date(double epoch, char *out, size_t n) {
  static const char *const sunday_first[] = {"Sun", "Mon", "Tue", "Wed",
                                             "Thu", "Fri", "Sat"};
  struct tm tm;
  long long usec;
  if (!isfinite(epoch) || split(epoch, &tm, &usec) != 0)
    return -1;
  int len = snprintf(out, n, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                     sunday_first[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return len < 0 || (size_t)len >= n ? -1 : 0;
}
