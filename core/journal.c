/* journal.c — append one line to the journal file, durably (see journal.h).
 *
 * Uses POSIX file calls only: lstat, open with O_APPEND | O_NOFOLLOW | O_NONBLOCK (so a
 * FIFO or a symbolic link put in the journal's place neither blocks nor redirects the
 * write), fstat, one write per line and fsync. It must never write to a file that others
 * can read or that is not a regular file of the user's, never leave a line unsynced when
 * it reports success, and never see the entry's meaning: the caller refuses secrets
 * before calling it. */
#include "journal.h"

#include "buf.h"
#include "file_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int default_sync(void *ud, int fd) {
  (void)ud;
  return fsync(fd);
}

/* mkdir -p of the directory part of path, each new directory 0700. */
static int make_parents(const char *path, rb_error *err) {
  char *copy = rb_strdup(path);
  if (!copy)
    return rb_error_set(err, "OutOfMemory", "journal: out of memory");
  char *slash = strrchr(copy, '/');
  for (char *p = copy + 1; slash && p <= slash; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(copy, 0700) != 0 && errno != EEXIST) {
      int e = errno;
      rb_error_set(err, "JournalError", "journal: cannot create directory %s: %s", copy,
                   strerror(e));
      free(copy);
      return -1;
    }
    *p = '/';
  }
  free(copy);
  return 0;
}

/* The file's type, owner and mode allow a journal. */
static int check_file(const char *path, const struct stat *st, rb_error *err) {
  if (!S_ISREG(st->st_mode))
    return rb_error_set(err, "JournalRefused",
                        "journal: %s is not a regular file (give a file with --journal)",
                        path);
  if (st->st_uid != geteuid())
    return rb_error_set(err, "JournalRefused",
                        "journal: %s belongs to another user (give your own file with "
                        "--journal)",
                        path);
  if (st->st_mode & 077)
    return rb_error_set(err, "JournalRefused",
                        "journal: %s is accessible to group or others (mode %03o); run "
                        "chmod 600 on it",
                        path, (unsigned)(st->st_mode & 0777));
  return 0;
}

/* Opens the journal for appending (creating it 0600), after checking what it is:
 * the descriptor, or -1 with err. */
static int journal_open(const char *path, int make_dirs, rb_error *err) {
  if (!path || !*path)
    return rb_error_set(err, "JournalRefused", "journal: no file name");
  if (make_dirs && make_parents(path, err) != 0)
    return -1;
  struct stat st;
  if (lstat(path, &st) == 0 && check_file(path, &st, err) != 0)
    return -1;
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                0600);
  if (fd < 0) {
    int e = errno;
    return rb_error_set(err, e == ELOOP ? "JournalRefused" : "JournalError",
                        "journal: cannot open %s: %s", path,
                        e == ELOOP ? "it is a symbolic link" : strerror(e));
  }
  if (fstat(fd, &st) != 0 || check_file(path, &st, err) != 0) {
    if (!err->code[0])
      rb_error_set(err, "JournalError", "journal: cannot inspect %s", path);
    close(fd);
    return -1;
  }
  return fd;
}

int rb_journal_check(const char *path, int make_dirs, rb_error *err) {
  int fd = journal_open(path, make_dirs, err);
  if (fd < 0)
    return -1;
  close(fd);
  return 0;
}

int rb_journal_append(const char *path, const char *line, int make_dirs,
                      const rb_journal_io *io, rb_error *err) {
  if (!line || !*line || strchr(line, '\n'))
    return rb_error_set(err, "JournalRefused",
                        "journal: an entry must be one non-empty line of JSON");
  int fd = journal_open(path, make_dirs, err);
  if (fd < 0)
    return -1;
  rb_buf b = RB_BUF_INIT;
  int rc = rb_buf_printf(&b, "%s\n", line);
  if (rc == 0 && rb_write_all(fd, b.data, b.len) != 0)
    rc = rb_error_set(err, "JournalError", "journal: cannot write to %s: %s", path,
                      strerror(errno));
  else if (rc != 0)
    rb_error_set(err, "OutOfMemory", "journal: out of memory");
  rb_buf_free(&b);
  int (*sync)(void *, int) = io && io->sync ? io->sync : default_sync;
  if (rc == 0 && sync(io ? io->ud : NULL, fd) != 0)
    rc = rb_error_set(err, "JournalError", "journal: cannot flush %s to disk: %s", path,
                      strerror(errno));
  if (close(fd) != 0 && rc == 0)
    rc = rb_error_set(err, "JournalError", "journal: cannot close %s: %s", path,
                      strerror(errno));
  return rc;
}

static const char *process_getenv(const char *name) {
  return getenv(name);
}

char *rb_journal_default_path(const char *(*getenv_fn)(const char *name), rb_error *err) {
  const char *(*get)(const char *) = getenv_fn ? getenv_fn : process_getenv;
  const char *state = get("XDG_STATE_HOME");
  const char *home = get("HOME");
  rb_buf b = RB_BUF_INIT;
  int rc;
  if (state && state[0] == '/')
    rc = rb_buf_printf(&b, "%s/runbook/journal.jsonl", state);
  else if (home && home[0])
    rc = rb_buf_printf(&b, "%s/.local/state/runbook/journal.jsonl", home);
  else {
    rb_error_set(err, "JournalError",
                 "journal: neither XDG_STATE_HOME nor HOME is set: give --journal FILE");
    return NULL;
  }
  if (rc != 0) {
    rb_buf_free(&b);
    rb_error_set(err, "OutOfMemory", "journal: out of memory");
    return NULL;
  }
  return rb_buf_detach(&b);
}
