/* quotas.h — the table of AWS's published per-operation request rates (core/quotas.txt,
 * compiled into the binary) and its overrides (--rate-limit, RUNBOOK_RATE_LIMITS).
 *
 * The table format is one operation a line, `#` to the end of a line a comment:
 *
 *   SERVICE  OPERATION  PER_SECOND  BURST  SOURCE...
 *
 * OPERATION `*` is the service's shared bucket: every operation of the service without a
 * line of its own. PER_SECOND `off` (BURST `-`) exempts an operation from it. An override
 * is a comma-separated list of SERVICE.OPERATION=PER_SECOND[/BURST], or =off / =0; BURST
 * defaults to one second's worth (at least 1). See docs/quotas.md. */
#ifndef RB_QUOTAS_H
#define RB_QUOTAS_H

#include "ratelimit.h"

#include <stddef.h>

typedef struct rb_quota_table rb_quota_table;

/* Parses a table. Returns it (free with rb_quotas_free), or NULL with `err` filled
 * ("line 7: PER_SECOND must be a positive number or off, got 'x'"). Every line's entry
 * has priority 0. */
rb_quota_table *rb_quotas_parse(const char *text, char *err, size_t errlen);
void rb_quotas_free(rb_quota_table *t);

/* The entries in table order (overrides that added an operation come last). */
size_t rb_quotas_count(const rb_quota_table *t);
const rb_rate *rb_quotas_entry(const rb_quota_table *t, size_t i);

/* The rate that paces service/operation: its own entry, else the service's `*` entry;
 * NULL when neither exists or the one found is off. The pointer is the entry's identity:
 * it stays the same for the table's life, so operations sharing `*` share it. */
const rb_rate *rb_quotas_lookup(const rb_quota_table *t, const char *service,
                                const char *operation);

/* Applies an override list (NULL or "" does nothing) with `priority` (1 environment,
 * 2 option): an entry set with a higher priority is kept. Services and operations must
 * exist in the embedded models. Returns 0, or -1 with `err` naming the entry and the
 * syntax; entries before the bad one are applied. */
int rb_quotas_override(rb_quota_table *t, const char *spec, int priority, char *err,
                       size_t errlen);

/* The process's table: the embedded core/quotas.txt, parsed on first use. NULL with `err`
 * filled when the embedded text is malformed (a test keeps that from shipping). */
rb_quota_table *rb_quotas_process(char *err, size_t errlen);
/* Frees it (for leak-free exit and tests); the next use parses again. */
void rb_quotas_process_free(void);

/* rb_quotas_lookup on the process table; NULL when it cannot be had. */
const rb_rate *rb_ratelimit_known(const char *service, const char *operation);

#endif
