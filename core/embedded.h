/* embedded.h — files compiled into the binary by tools/embed.c (service models, Lua).
 * The array ends with an entry whose name is NULL. The data is NUL-terminated. */
#ifndef RB_EMBEDDED_H
#define RB_EMBEDDED_H

#include <stddef.h>

struct rb_embedded_file {
  const char *name; /* base name without extension: "lambda", "ec2", ... */
  const unsigned char *data;
  size_t size;
};

extern const struct rb_embedded_file rb_embedded_models[];
/* the files of core/lua: "runbook" (scheduler), "aws" (runbook.aws), "call" (the call
 * command)
 */
extern const struct rb_embedded_file rb_embedded_lua[];
/* core/quotas.txt, the published request rates: "quotas" (quotas.c) */
extern const struct rb_embedded_file rb_embedded_quotas[];

/* The entry of that name, or NULL. */
const struct rb_embedded_file *rb_embedded_find(const struct rb_embedded_file *files,
                                                const char *name);

#endif
