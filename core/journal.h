/* journal.h — the remediation journal: one JSON line per event, appended durably.
 *
 * Knows nothing of JSON or Lua: the caller (l_fix.c) encodes the entry and checks it for
 * secrets first. */
#ifndef RB_JOURNAL_H
#define RB_JOURNAL_H

#include "error.h"

/* For tests: the fsync used after each line (NULL: fsync(2)). */
typedef struct rb_journal_io {
  int (*sync)(void *ud, int fd);
  void *ud;
} rb_journal_io;

/* Appends `line` and a newline to `path` with one write on an O_APPEND descriptor, then
 * fsyncs it before returning. The file is created with mode 0600; an existing one must be
 * a regular file (not a symbolic link, FIFO or directory) owned by the user, with no
 * permission for group or others. With make_dirs, missing parent directories are created
 * with mode 0700. `line` must be non-empty and hold no newline. Returns 0, or -1 with err
 * (code JournalRefused for the file's type, owner or mode and for a bad line,
 * JournalError for I/O; the message is one line naming the file). */
int rb_journal_append(const char *path, const char *line, int make_dirs,
                      const rb_journal_io *io, rb_error *err);

/* Checks that `path` can be appended to as rb_journal_append would (creating it, and with
 * make_dirs its directories, when missing) without writing anything: 0, or -1 with the
 * same err. The fix path calls it before it offers anything. */
int rb_journal_check(const char *path, int make_dirs, rb_error *err);

/* The default journal: $XDG_STATE_HOME/runbook/journal.jsonl (an absolute
 * XDG_STATE_HOME), else $HOME/.local/state/runbook/journal.jsonl. getenv_fn NULL means
 * getenv(3). malloc'd; NULL with err when neither variable helps. */
char *rb_journal_default_path(const char *(*getenv_fn)(const char *name), rb_error *err);

#endif
