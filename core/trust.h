/* trust.h — which plugin directories and runbook files the operator has trusted.
 *
 * A directory found only because the triage runs from it (./.runbook/, or a runbook file
 * named bare that sits in the current directory) may run code with the operator's
 * credentials, so it is used only once trusted: `runbook trust DIR` records its real path
 * and a SHA-256 of its Lua files, as direnv's `allow` does, and a later change to any of
 * those files makes it untrusted again.
 *
 * The store is a text file, one entry a line: "<64 hex digits> <real path>". The decision
 * functions are pure (paths and hashes in, a status out); hashing a tree and loading and
 * saving the store are the only functions that touch the file system. */
#ifndef RB_TRUST_H
#define RB_TRUST_H

#include "buf.h"
#include "error.h"

#include <stddef.h>

#define RB_TRUST_HASH_HEX 64

typedef enum rb_trust_status {
  RB_TRUST_UNKNOWN = 0, /* never trusted */
  RB_TRUST_OK = 1,      /* trusted, and its Lua files are as they were then */
  RB_TRUST_CHANGED = 2  /* trusted once, but its Lua files changed since */
} rb_trust_status;

typedef struct rb_trust_entry {
  char *path; /* real path of the directory or file */
  char hash[RB_TRUST_HASH_HEX + 1];
} rb_trust_entry;

typedef struct rb_trust_store {
  rb_trust_entry *v;
  size_t n, cap;
} rb_trust_store;

#define RB_TRUST_STORE_INIT                                                              \
  { NULL, 0, 0 }

/* ---- pure ---- */

/* Adds the entries of a store file's text to s. Blank lines and lines starting with '#'
 * are skipped; any other malformed line fails with err naming its number. */
int rb_trust_parse(rb_trust_store *s, const char *text, size_t len, rb_error *err);
/* Appends the store's text (a header comment, then one line per entry) to out. */
int rb_trust_format(const rb_trust_store *s, rb_buf *out);
/* Whether `path` (a real path) with the given hash is trusted. */
rb_trust_status rb_trust_check(const rb_trust_store *s, const char *path,
                               const char *hash);
/* Records path with hash, replacing an entry for the same path. -1: out of memory, or a
 * path with a newline (which the format cannot hold). */
int rb_trust_set(rb_trust_store *s, const char *path, const char *hash);
/* Removes the entry for path: 1 when there was one, 0 when not. */
int rb_trust_remove(rb_trust_store *s, const char *path);
void rb_trust_free(rb_trust_store *s);

/* Where the store lives: $XDG_STATE_HOME/runbook/trust, else HOME/.local/state/runbook/
 * trust; NULL when neither is set (or out of memory). Either argument may be NULL or
 * empty. Caller frees. */
char *rb_trust_store_path(const char *xdg_state_home, const char *home);

/* ---- file system ---- */

/* The SHA-256 (hex, into out) of a runbook file's content, or of a directory's Lua files:
 * every regular *.lua below it, by relative path in byte order, each as "path\0<hex
 * SHA-256 of its content>\n". Symbolic links to directories are not followed (the
 * sandbox refuses to load a file whose real path leaves the trusted directory). */
int rb_trust_hash_path(const char *path, char out[RB_TRUST_HASH_HEX + 1], rb_error *err);
/* Reads the store file; a missing file is an empty store. */
int rb_trust_load(const char *file, rb_trust_store *s, rb_error *err);
/* Writes the store atomically (a temporary file in the same directory, mode 0600, then
 * rename), creating its directory (mode 0700) when needed. */
int rb_trust_save(const char *file, const rb_trust_store *s, rb_error *err);

#endif
