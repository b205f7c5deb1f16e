/* discovery.c — the ordered list of plugin directories, the runbook a bare name means,
 * and the `trust` / `untrust` commands (see discovery.h).
 *
 * Uses trust.c (the store and the hashes) and buf.c. It reads the environment
 * (RUNBOOK_PATH comes in, XDG_STATE_HOME, XDG_CONFIG_HOME and HOME are read here) and
 * the file system. It must never put ./.runbook/ or a runbook found only in the current
 * directory on the search path unless the trust store has it with the same content hash;
 * it prints one line on stderr for each such place it skips. A ./.runbook/ without a Lua
 * file (only suppressions.json, say) holds no code: it is neither trusted nor noted. */
#include "discovery.h"

#include "buf.h"
#include "trust.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOCAL_DIR ".runbook"

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Whether dir holds a Lua file, looking `depth` levels down (.runbook/steps/x.lua is
 * two). A ./.runbook/ holding only data (suppressions.json) is no code to trust or to
 * skip. */
static int has_lua(const char *dir, int depth) {
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  int found = 0;
  struct dirent *e;
  while (!found && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    rb_buf path = RB_BUF_INIT;
    if (rb_buf_printf(&path, "%s/%s", dir, e->d_name) != 0) {
      rb_buf_free(&path);
      found = 1; /* out of memory: treat it as code, the careful answer */
      break;
    }
    size_t len = strlen(e->d_name);
    if (len > 4 && strcmp(e->d_name + len - 4, ".lua") == 0 && is_file(path.data))
      found = 1;
    else if (depth > 0 && is_dir(path.data))
      found = has_lua(path.data, depth - 1);
    rb_buf_free(&path);
  }
  closedir(d);
  return found;
}

/* Takes ownership of s (NULL: out of memory); returns it, or NULL. */
static char *own(rb_discovery *d, char *s) {
  if (!s)
    return NULL;
  if (d->nowned == d->owned_cap) {
    int cap = d->owned_cap ? 2 * d->owned_cap : 8;
    char **grown = realloc(d->owned, (size_t)cap * sizeof *grown);
    if (!grown) {
      free(s);
      return NULL;
    }
    d->owned = grown;
    d->owned_cap = cap;
  }
  return d->owned[d->nowned++] = s;
}

static int add_dir(rb_discovery *d, const char *dir, const char *origin) {
  if (d->n + 2 > d->cap) {
    int cap = d->cap ? 2 * d->cap : 8;
    const char **dirs = realloc(d->dirs, (size_t)cap * sizeof *dirs);
    if (!dirs)
      return -1;
    d->dirs = dirs;
    const char **origins = realloc(d->origins, (size_t)cap * sizeof *origins);
    if (!origins)
      return -1;
    d->origins = origins;
    d->cap = cap;
  }
  d->dirs[d->n] = dir;
  d->origins[d->n++] = origin;
  d->dirs[d->n] = NULL;
  d->origins[d->n] = NULL;
  return 0;
}

static char *state_file(void) {
  return rb_trust_store_path(getenv("XDG_STATE_HOME"), getenv("HOME"));
}

static char *config_dir(void) {
  rb_buf b = RB_BUF_INIT;
  const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
  if (xdg && *xdg)
    rb_buf_printf(&b, "%s/runbook", xdg);
  else if (home && *home)
    rb_buf_printf(&b, "%s/.config/runbook", home);
  return b.data ? rb_buf_detach(&b) : NULL;
}

/* Whether the directory or file at path is in the trust store with its current hash. */
static rb_trust_status trusted(const char *path) {
  char *store_file = state_file();
  char *real = realpath(path, NULL);
  rb_trust_store store = RB_TRUST_STORE_INIT;
  rb_trust_status st = RB_TRUST_UNKNOWN;
  char hash[RB_TRUST_HASH_HEX + 1];
  rb_error err;
  rb_error_clear(&err);
  if (store_file && real && rb_trust_load(store_file, &store, &err) == 0 &&
      rb_trust_hash_path(real, hash, &err) == 0)
    st = rb_trust_check(&store, real, hash);
  else if (store_file && real && err.message[0])
    fprintf(stderr, "runbook: %s\n", err.message);
  rb_trust_free(&store);
  free(real);
  free(store_file);
  return st;
}

static void note_untrusted(const char *shown, const char *arg, rb_trust_status st,
                           const char *then) {
  fprintf(stderr,
          "runbook: ignoring %s (%s; run 'runbook trust %s' after reading it%s)\n", shown,
          st == RB_TRUST_CHANGED ? "changed since it was trusted" : "not trusted", arg,
          then);
}

/* DIR/runbooks/NAME or DIR/runbooks/NAME.lua (`runbook list` is runbooks/list.lua),
 * when it is a file. */
static char *runbook_in(rb_discovery *d, const char *dir, const char *name) {
  rb_buf b = RB_BUF_INIT;
  if (!dir || rb_buf_printf(&b, "%s/runbooks/%s", dir, name) != 0) {
    rb_buf_free(&b);
    return NULL;
  }
  if (is_file(b.data))
    return own(d, rb_buf_detach(&b));
  if (rb_buf_puts(&b, ".lua") == 0 && is_file(b.data))
    return own(d, rb_buf_detach(&b));
  rb_buf_free(&b);
  return NULL;
}

/* A bare runbook name: the directories so far, ./.runbook, ./NAME (trusted), the config
 * directory, the built-ins. */
static const char *find_runbook(rb_discovery *d, const char *name, int local_ok,
                                const char *config, const char *data_dir) {
  const char *found = NULL;
  for (int i = 0; i < d->n && !found; i++)
    found = runbook_in(d, d->dirs[i], name);
  if (!found && local_ok)
    found = runbook_in(d, LOCAL_DIR, name);
  if (!found && is_file(name)) {
    rb_trust_status st = trusted(name);
    if (st == RB_TRUST_OK)
      found = own(d, rb_strdup(name));
    else {
      rb_buf shown = RB_BUF_INIT, then = RB_BUF_INIT;
      rb_buf_printf(&shown, "./%s in the current directory", name);
      rb_buf_printf(&then, ", or give its path: ./%s", name);
      note_untrusted(shown.data ? shown.data : name, name, st,
                     then.data ? then.data : "");
      rb_buf_free(&shown);
      rb_buf_free(&then);
    }
  }
  if (!found && config)
    found = runbook_in(d, config, name);
  if (!found && data_dir)
    found = runbook_in(d, data_dir, name);
  return found;
}

static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? rb_strndup(path, slash == path ? 1 : (size_t)(slash - path))
               : rb_strdup(".");
}

static int add_runbook_path(rb_discovery *d, const char *value) {
  char *copy = own(d, rb_strdup(value));
  if (!copy)
    return -1;
  for (char *save = NULL, *p = strtok_r(copy, ":", &save); p;
       p = strtok_r(NULL, ":", &save))
    if (add_dir(d, p, "RUNBOOK_PATH") != 0)
      return -1;
  return 0;
}

int rb_discovery_build(rb_discovery *d, const rb_discovery_input *in) {
  for (const char *const *p = in->cli_dirs; p && *p; p++)
    if (add_dir(d, *p, "--plugins") != 0)
      return -1;
  if (in->runbook_path && add_runbook_path(d, in->runbook_path) != 0)
    return -1;
  int local_ok = 0;
  if (is_dir(LOCAL_DIR) && has_lua(LOCAL_DIR, 3)) {
    rb_trust_status st = trusted(LOCAL_DIR);
    local_ok = st == RB_TRUST_OK;
    if (!local_ok)
      note_untrusted("./" LOCAL_DIR, LOCAL_DIR, st, "");
  }
  char *config = own(d, config_dir());
  if (config && !is_dir(config))
    config = NULL;
  if (in->script) {
    const char *found = strchr(in->script, '/')
                            ? (is_file(in->script) ? own(d, rb_strdup(in->script)) : NULL)
                            : find_runbook(d, in->script, local_ok, config, in->data_dir);
    if (!found)
      return 1;
    d->script = rb_strdup(found);
    char *dir = own(d, dir_of(found));
    if (!d->script || !dir || add_dir(d, dir, "script") != 0)
      return -1;
  }
  if (local_ok && add_dir(d, LOCAL_DIR, LOCAL_DIR) != 0)
    return -1;
  if (config && add_dir(d, config, "config") != 0)
    return -1;
  return 0;
}

void rb_discovery_free(rb_discovery *d) {
  for (int i = 0; i < d->nowned; i++)
    free(d->owned[i]);
  free(d->owned);
  free(d->dirs);
  free(d->origins);
  free(d->script);
  memset(d, 0, sizeof *d);
}

/* ---- runbook trust / untrust ---- */

/* One line on stderr; returns the exit code (2: usage, 3: the store cannot be used). */
static int cmd_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int cmd_fail(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("runbook: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return code;
}

static int list_store(const rb_trust_store *s) {
  for (size_t i = 0; i < s->n; i++) {
    char hash[RB_TRUST_HASH_HEX + 1];
    rb_error err;
    const char *status = "missing";
    if (access(s->v[i].path, F_OK) == 0)
      status = rb_trust_hash_path(s->v[i].path, hash, &err) != 0 ? "unreadable"
               : strcmp(hash, s->v[i].hash) == 0                 ? "trusted"
                                                                 : "changed";
    printf("%s\t%s\n", status, s->v[i].path);
  }
  return 0;
}

/* The absolute form of a path that may no longer exist (for untrust). */
static char *absolute(const char *path) {
  char *real = realpath(path, NULL);
  if (real || path[0] == '/')
    return real ? real : rb_strdup(path);
  char cwd[PATH_MAX];
  rb_buf b = RB_BUF_INIT;
  if (!getcwd(cwd, sizeof cwd) || rb_buf_printf(&b, "%s/%s", cwd, path) != 0) {
    rb_buf_free(&b);
    return NULL;
  }
  return rb_buf_detach(&b);
}

static int change_store(const char *cmd, const char *path, rb_trust_store *s,
                        const char *file) {
  rb_error err;
  rb_error_clear(&err);
  char hash[RB_TRUST_HASH_HEX + 1];
  char *real = strcmp(cmd, "trust") == 0 ? realpath(path, NULL) : absolute(path);
  int rc = 0;
  if (!real)
    rc = cmd_fail(2, "cannot %s '%s': %s", cmd, path, strerror(errno));
  else if (strcmp(cmd, "trust") == 0) {
    if (rb_trust_hash_path(real, hash, &err) != 0)
      rc = cmd_fail(2, "cannot trust: %s", err.message);
    else if (rb_trust_set(s, real, hash) != 0)
      rc = cmd_fail(2, "cannot trust '%s': the path cannot be recorded", path);
  } else if (!rb_trust_remove(s, real))
    rc = cmd_fail(2, "'%s' is not trusted (see 'runbook trust --list')", real);
  if (rc == 0 && rb_trust_save(file, s, &err) != 0)
    rc = cmd_fail(3, "%s", err.message);
  if (rc == 0)
    printf("%s %s\n", strcmp(cmd, "trust") == 0 ? "trusted" : "untrusted", real);
  free(real);
  return rc;
}

int rb_is_trust_command(const char *word) {
  return strcmp(word, "trust") == 0 || strcmp(word, "untrust") == 0;
}

static const char trust_usage[] =
    "usage: runbook trust [DIR|RUNBOOK.lua]   record it as trusted (default ./.runbook)\n"
    "       runbook trust --list              every entry: trusted, changed or missing\n"
    "       runbook untrust DIR|RUNBOOK.lua   remove it\n"
    "\n"
    "./.runbook/ and a runbook named bare in the current directory run only once "
    "trusted,\n"
    "by real path and the SHA-256 of their Lua files (a change needs trust again). The\n"
    "store is $XDG_STATE_HOME/runbook/trust (default ~/.local/state/runbook/trust).\n";

int rb_trust_command(const char *cmd, int argc, char **argv) {
  if (argc == 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
    fputs(trust_usage, stdout);
    return 0;
  }
  int list = argc == 1 && strcmp(argv[0], "--list") == 0;
  if (argc > 1 || (argc == 1 && argv[0][0] == '-' && !list))
    return cmd_fail(2, "usage: runbook %s [--list] [DIR|RUNBOOK.lua]", cmd);
  const char *path = argc == 1 && !list ? argv[0] : NULL;
  if (!path && !list && strcmp(cmd, "untrust") == 0)
    return cmd_fail(2, "usage: runbook %s DIR|RUNBOOK.lua", cmd);
  if (!path && !list) {
    if (!is_dir(LOCAL_DIR))
      return cmd_fail(
          2, "nothing to trust: no ./%s here; name a directory or a runbook file",
          LOCAL_DIR);
    path = LOCAL_DIR;
  }
  char *file = state_file();
  if (!file)
    return cmd_fail(3, "cannot find the trust store: set XDG_STATE_HOME or HOME");
  rb_trust_store s = RB_TRUST_STORE_INIT;
  rb_error err;
  rb_error_clear(&err);
  int rc;
  if (rb_trust_load(file, &s, &err) != 0)
    rc = cmd_fail(3, "%s", err.message);
  else
    rc = list ? list_store(&s) : change_store(cmd, path, &s, file);
  rb_trust_free(&s);
  free(file);
  return rc;
}
