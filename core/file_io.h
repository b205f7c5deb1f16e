/* file_io.h — writing files whole: every byte of a buffer, or a file replaced atomically.
 *
 * Shared by the journal (journal.c), the trust store (trust.c) and triage --output
 * (l_report.c), which each had a loop of their own. */
#ifndef RB_FILE_IO_H
#define RB_FILE_IO_H

#include <stddef.h>
#include <sys/types.h>

/* Writes all `len` bytes of `data` to fd, resuming after EINTR and short writes: 0, or -1
 * with errno set. */
int rb_write_all(int fd, const void *data, size_t len);

/* Replaces `path` with `data`: writes a temporary file beside it (so the rename stays on
 * one file system), gives it `mode`, fsyncs it and renames it over `path`. On any failure
 * the temporary file is removed and `path` is left as it was. Returns 0, or the errno of
 * the step that failed. */
int rb_replace_file(const char *path, const void *data, size_t len, mode_t mode);

/* The same with the content given as n parts written one after another (a large report
 * need not be joined into one buffer first). */
int rb_replace_file_parts(const char *path, const void *const *parts, const size_t *lens,
                          size_t n, mode_t mode);

#endif
