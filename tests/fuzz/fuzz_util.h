/* fuzz_util.h — what the fuzz targets share: cutting one fuzz input into the pieces an
 * API takes (a selector byte, lines, NUL-terminated strings, a header block) and a
 * scratch directory for targets whose parser reads files.
 *
 * Header-only (static functions) so each target stays one translation unit that links
 * either with libFuzzer or with driver.c. Input formats are plain text on purpose: seed
 * files stay readable and diffable, and libFuzzer's comparison tracing finds the
 * separators by itself. Nothing here may abort on any input: a target must only crash
 * on a bug in the code under test. */
#ifndef RB_FUZZ_UTIL_H
#define RB_FUZZ_UTIL_H

#include "buf.h"
#include "header.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The unread rest of the input. */
typedef struct fz_input {
  const char *p;
  size_t n;
} fz_input;

static inline fz_input fz_make(const uint8_t *data, size_t size) {
  fz_input in = {(const char *)data, size};
  return in;
}

/* One byte (0 when the input is used up). */
static inline unsigned fz_byte(fz_input *in) {
  if (!in->n)
    return 0;
  in->n--;
  return (unsigned char)*in->p++;
}

/* Cuts the input at the first occurrence of `sep` (or takes everything): *piece and *len
 * receive the part before it, the separator is consumed. */
static inline void fz_until(fz_input *in, const char *sep, const char **piece,
                            size_t *len) {
  size_t sl = strlen(sep);
  *piece = in->p;
  for (size_t i = 0; i + sl <= in->n; i++) {
    if (memcmp(in->p + i, sep, sl) == 0) {
      *len = i;
      in->p += i + sl;
      in->n -= i + sl;
      return;
    }
  }
  *len = in->n;
  in->p += in->n;
  in->n = 0;
}

/* The next piece up to `sep`, as a new NUL-terminated string (an embedded NUL simply
 * ends the C string early, as it would for any caller). NULL only when out of memory. */
static inline char *fz_take(fz_input *in, const char *sep) {
  const char *piece;
  size_t len;
  fz_until(in, sep, &piece, &len);
  char *s = malloc(len + 1);
  if (s) {
    memcpy(s, piece, len);
    s[len] = '\0';
  }
  return s;
}

/* Header lines "Name: value" (or "Name:value") up to an empty line or the end of the
 * input; a line without ':' becomes a header with an empty value. A trailing CR is
 * dropped, as HTTP stacks do. Returns 0, -1 when out of memory. */
static inline int fz_headers(fz_input *in, rb_headers *h) {
  while (in->n) {
    char *line = fz_take(in, "\n");
    if (!line)
      return -1;
    size_t len = strlen(line);
    if (len && line[len - 1] == '\r')
      line[--len] = '\0';
    if (!len) {
      free(line);
      return 0;
    }
    char *colon = strchr(line, ':');
    const char *value = "";
    if (colon) {
      *colon = '\0';
      value = colon + 1;
      while (*value == ' ' || *value == '\t')
        value++;
    }
    int rc = rb_headers_add(h, line, value);
    free(line);
    if (rc != 0)
      return -1;
  }
  return 0;
}

/* A private scratch directory, made on first use. Targets call fz_scratch_done at the
 * end of every input: it removes the files and the directory, so nothing is left behind
 * even though libFuzzer ends the process without running atexit handlers. */
static char fz_dir[256];
static char fz_files[8][320];
static int fz_nfiles;

static inline void fz_scratch_done(void) {
  for (int i = 0; i < fz_nfiles; i++)
    unlink(fz_files[i]);
  if (fz_dir[0])
    rmdir(fz_dir);
  fz_dir[0] = '\0';
  fz_nfiles = 0;
}

/* The path of a file `name` in the scratch directory (stable until fz_scratch_done), or
 * NULL when the directory cannot be made. */
static inline const char *fz_scratch_path(const char *name) {
  if (!fz_dir[0]) {
    /* memory-backed /dev/shm unless TMPDIR says otherwise: inputs are rewritten
     * thousands of times a second */
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
      tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fz_dir, sizeof fz_dir, "%s/rb-fuzz-XXXXXX", tmp);
    if (!mkdtemp(fz_dir)) {
      fz_dir[0] = '\0';
      return NULL;
    }
  }
  for (int i = 0; i < fz_nfiles; i++) {
    const char *slash = strrchr(fz_files[i], '/');
    if (slash && strcmp(slash + 1, name) == 0)
      return fz_files[i];
  }
  if (fz_nfiles == (int)(sizeof fz_files / sizeof fz_files[0]))
    return NULL;
  snprintf(fz_files[fz_nfiles], sizeof fz_files[0], "%s/%s", fz_dir, name);
  return fz_files[fz_nfiles++];
}

/* Replaces the content of scratch file `name`; returns its path, NULL on failure. The
 * file is overwritten and then cut to length rather than truncated first: on ext4 a
 * truncate-and-rewrite forces a disk flush at close. */
static inline const char *fz_write_file(const char *name, const char *data, size_t len) {
  const char *path = fz_scratch_path(name);
  int fd = path ? open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600) : -1;
  if (fd < 0)
    return NULL;
  size_t done = 0;
  while (done < len) {
    ssize_t n = write(fd, data + done, len - done);
    if (n <= 0)
      break;
    done += (size_t)n;
  }
  int ok = done == len && ftruncate(fd, (off_t)len) == 0;
  ok = close(fd) == 0 && ok;
  return ok ? path : NULL;
}

#endif
