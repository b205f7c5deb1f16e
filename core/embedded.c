/* embedded.c — lookup in the tables of files compiled into the binary (see embedded.h).
 */
#include "embedded.h"

#include <string.h>

const struct rb_embedded_file *rb_embedded_find(const struct rb_embedded_file *files,
                                                const char *name) {
  for (; files->name; files++)
    if (strcmp(files->name, name) == 0)
      return files;
  return NULL;
}
