/* file_io.c — writing files whole (see file_io.h).
 *
 * Uses POSIX I/O only. It must never leave a half-written file under the target's name:
 * readers of a replaced file see the old content or the new, nothing in between. */
#include "file_io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int rb_write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        errno = EIO;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int rb_replace_file(const char *path, const void *data, size_t len, mode_t mode) {
  return rb_replace_file_parts(path, &data, &len, 1, mode);
}

int rb_replace_file_parts(const char *path, const void *const *parts, const size_t *lens,
                          size_t n, mode_t mode) {
  static const char suffix[] = ".tmp-XXXXXX";
  size_t plen = strlen(path);
  char *tmp = malloc(plen + sizeof suffix);
  if (!tmp)
    return ENOMEM;
  memcpy(tmp, path, plen);
  memcpy(tmp + plen, suffix, sizeof suffix);
  int err = 0;
  int fd = mkstemp(tmp);
  if (fd < 0) {
    err = errno;
  } else {
    errno = 0;
    if (fchmod(fd, mode) != 0)
      err = errno;
    for (size_t i = 0; !err && i < n; i++)
      if (rb_write_all(fd, parts[i], lens[i]) != 0)
        err = errno ? errno : EIO;
    if (!err && fsync(fd) != 0)
      err = errno ? errno : EIO;
    if (close(fd) != 0 && !err)
      err = errno;
    if (!err && rename(tmp, path) != 0)
      err = errno;
    if (err)
      unlink(tmp);
  }
  free(tmp);
  return err;
}
