/* embedded.h — files compiled into the binary by tools/embed.c (the AWS service models).
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

#endif
