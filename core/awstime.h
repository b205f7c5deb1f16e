/* awstime.h — the times AWS puts on the wire, parsed and formatted in one place.
 *
 *   ISO 8601 / RFC 3339  "2026-11-27T03:00:00Z", "2026-11-27T03:00:00.123+02:30"
 *                        (credential documents, JSON and XML protocol timestamps)
 *   HTTP-date            "Sun, 06 Nov 1994 08:49:37 GMT", and the obsolete RFC 850 and
 *                        asctime forms (Date headers, clock-skew correction; RFC 822
 *                        protocol timestamps)
 *   epoch seconds        "1795744800", "1795744800.25"
 *
 * Pure: no clock, no locale, no time zone (everything is UTC); nothing is allocated. */
#ifndef RB_AWSTIME_H
#define RB_AWSTIME_H

#include <stddef.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
long long rb_time_days_from_civil(long long year, int month, int day);
/* 28..31 for a valid month (1..12). */
int rb_time_days_in_month(long long year, int month);

/* ISO 8601 into epoch seconds (fraction kept). Strict (credential documents, as the SDKs
 * read them): date, 'T' (or 't' or ' '), hh:mm:ss, optional fraction, then 'Z' or
 * +hh:mm / -hh:mm. Lenient (protocol timestamps, as botocore reads them) also takes a
 * bare date, hh:mm without seconds, no zone (UTC), and +hhmm / +hh zones. Either way
 * the date must exist (no February 30). 0, or -1 when `s` is not such a time. */
int rb_time_parse_iso8601(const char *s, int strict, double *epoch);

/* An HTTP-date in any of its three forms into epoch seconds. 0, or -1. */
int rb_time_parse_http_date(const char *s, long long *epoch);

/* Epoch seconds written as text: digits with an optional ".digits". 0, or -1. */
int rb_time_parse_epoch(const char *s, double *epoch);

/* "2026-11-27T03:00:00Z", with ".uuuuuuZ" microseconds when `fraction` and the time has
 * any. 0, or -1 when it does not fit in n bytes or the year is out of range. */
int rb_time_format_iso8601(double epoch, int fraction, char *out, size_t n);

/* "Fri, 27 Nov 2026 03:00:00 GMT" (IMF-fixdate). 0, or -1. */
int rb_time_format_http_date(double epoch, char *out, size_t n);

#endif
