/* trust.c — the trust store: which directories and runbook files the operator allowed to
 * run (see trust.h).
 *
 * Uses OpenSSL's SHA-256 and buf.c. The decision half (parse, check, set, remove,
 * format) is pure; the file-system half hashes a tree and loads and saves the store
 * atomically with mode 0600. It never trusts anything by itself: an entry exists only
 * because `runbook trust` recorded it, and a path matches only with the same real path
 * and the same hash. It never follows a symbolic link to a directory while hashing. */
#include "trust.h"

#include "file_io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 32 /* deeper trees are refused: a plugin directory is a few levels */

/* ---- pure ---- */

static int is_hex_hash(const char *s, size_t n) {
  if (n != RB_TRUST_HASH_HEX)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return 0;
  return 1;
}

static rb_trust_entry *find(const rb_trust_store *s, const char *path) {
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->v[i].path, path) == 0)
      return &s->v[i];
  return NULL;
}

int rb_trust_set(rb_trust_store *s, const char *path, const char *hash) {
  if (!path || !*path || strchr(path, '\n') || !hash || !is_hex_hash(hash, strlen(hash)))
    return -1;
  rb_trust_entry *e = find(s, path);
  if (!e) {
    if (s->n == s->cap) {
      size_t cap = s->cap ? 2 * s->cap : 8;
      rb_trust_entry *grown = realloc(s->v, cap * sizeof *grown);
      if (!grown)
        return -1;
      s->v = grown;
      s->cap = cap;
    }
    char *copy = rb_strdup(path);
    if (!copy)
      return -1;
    e = &s->v[s->n++];
    e->path = copy;
  }
  memcpy(e->hash, hash, RB_TRUST_HASH_HEX + 1);
  return 0;
}

int rb_trust_remove(rb_trust_store *s, const char *path) {
  rb_trust_entry *e = find(s, path);
  if (!e)
    return 0;
  free(e->path);
  size_t i = (size_t)(e - s->v);
  memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof *s->v);
  s->n--;
  return 1;
}

rb_trust_status rb_trust_check(const rb_trust_store *s, const char *path,
                               const char *hash) {
  const rb_trust_entry *e = find(s, path);
  if (!e)
    return RB_TRUST_UNKNOWN;
  return strcmp(e->hash, hash) == 0 ? RB_TRUST_OK : RB_TRUST_CHANGED;
}

int rb_trust_parse(rb_trust_store *s, const char *text, size_t len, rb_error *err) {
  size_t lineno = 0;
  for (size_t pos = 0; pos < len;) {
    const char *line = text + pos;
    const char *nl = memchr(line, '\n', len - pos);
    size_t n = nl ? (size_t)(nl - line) : len - pos;
    pos += n + (nl ? 1 : 0);
    lineno++;
    if (n == 0 || line[0] == '#')
      continue;
    if (n < RB_TRUST_HASH_HEX + 2 || line[RB_TRUST_HASH_HEX] != ' ' ||
        !is_hex_hash(line, RB_TRUST_HASH_HEX) || memchr(line, '\0', n))
      return rb_error_set(err, "TrustStore", "malformed line %zu", lineno);
    char hash[RB_TRUST_HASH_HEX + 1];
    memcpy(hash, line, RB_TRUST_HASH_HEX);
    hash[RB_TRUST_HASH_HEX] = '\0';
    char *path = rb_strndup(line + RB_TRUST_HASH_HEX + 1, n - RB_TRUST_HASH_HEX - 1);
    int rc = path ? rb_trust_set(s, path, hash) : -1;
    free(path);
    if (rc != 0)
      return rb_error_set(err, "TrustStore", "malformed line %zu", lineno);
  }
  return 0;
}

int rb_trust_format(const rb_trust_store *s, rb_buf *out) {
  int rc =
      rb_buf_puts(out, "# runbook trust store: <sha-256 of the Lua files> <real path>"
                       "; edit with 'runbook trust' and 'runbook untrust'\n");
  for (size_t i = 0; i < s->n && rc == 0; i++)
    rc = rb_buf_printf(out, "%s %s\n", s->v[i].hash, s->v[i].path);
  return rc;
}

void rb_trust_free(rb_trust_store *s) {
  for (size_t i = 0; i < s->n; i++)
    free(s->v[i].path);
  free(s->v);
  memset(s, 0, sizeof *s);
}

char *rb_trust_store_path(const char *xdg_state_home, const char *home) {
  rb_buf b = RB_BUF_INIT;
  int rc;
  if (xdg_state_home && *xdg_state_home)
    rc = rb_buf_printf(&b, "%s/runbook/trust", xdg_state_home);
  else if (home && *home)
    rc = rb_buf_printf(&b, "%s/.local/state/runbook/trust", home);
  else
    return NULL;
  if (rc != 0) {
    rb_buf_free(&b);
    return NULL;
  }
  return rb_buf_detach(&b);
}

/* ---- file system ---- */

static int hex_digest(EVP_MD_CTX *ctx, char out[RB_TRUST_HASH_HEX + 1]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx, md, &n) != 1 || n * 2 != RB_TRUST_HASH_HEX)
    return -1;
  for (unsigned int i = 0; i < n; i++)
    snprintf(out + 2 * i, 3, "%02x", md[i]);
  return 0;
}

static int hash_file(const char *path, char out[RB_TRUST_HASH_HEX + 1], rb_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return rb_error_set(err, "TrustHash", "cannot read '%s': %s", path, strerror(errno));
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int rc = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 ? 0 : -1;
  unsigned char chunk[8192];
  size_t n;
  while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
    rc = EVP_DigestUpdate(ctx, chunk, n) == 1 ? 0 : -1;
  if (rc == 0 && ferror(f))
    rc = rb_error_set(err, "TrustHash", "cannot read '%s'", path);
  else if (rc == 0)
    rc = hex_digest(ctx, out);
  EVP_MD_CTX_free(ctx);
  fclose(f);
  if (rc != 0 && err && !err->code[0])
    rb_error_set(err, "TrustHash", "cannot hash '%s'", path);
  return rc;
}

typedef struct names {
  char **v;
  size_t n, cap;
} names;

static int names_add(names *l, char *s) {
  if (!s)
    return -1;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    char **grown = realloc(l->v, cap * sizeof *grown);
    if (!grown) {
      free(s);
      return -1;
    }
    l->v = grown;
    l->cap = cap;
  }
  l->v[l->n++] = s;
  return 0;
}

static void names_free(names *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i]);
  free(l->v);
}

static int ends_with_lua(const char *name) {
  size_t n = strlen(name);
  return n > 4 && strcmp(name + n - 4, ".lua") == 0;
}

/* Collects the relative paths of the *.lua files below root/rel. */
static int collect(const char *root, const char *rel, int depth, names *out,
                   rb_error *err) {
  if (depth > MAX_DEPTH)
    return rb_error_set(err, "TrustHash", "'%s' is nested too deep", root);
  rb_buf dir = RB_BUF_INIT;
  if (rb_buf_printf(&dir, "%s%s%s", root, *rel ? "/" : "", rel) != 0)
    return rb_error_set(err, "TrustHash", "out of memory");
  DIR *d = opendir(dir.data);
  if (!d) {
    rb_error_set(err, "TrustHash", "cannot read '%s': %s", dir.data, strerror(errno));
    rb_buf_free(&dir);
    return -1;
  }
  int rc = 0;
  for (struct dirent *e; rc == 0 && (e = readdir(d));) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    rb_buf child = RB_BUF_INIT, full = RB_BUF_INIT;
    struct stat st;
    if (rb_buf_printf(&child, "%s%s%s", rel, *rel ? "/" : "", e->d_name) != 0 ||
        rb_buf_printf(&full, "%s/%s", root, child.data) != 0)
      rc = rb_error_set(err, "TrustHash", "out of memory");
    else if (lstat(full.data, &st) != 0)
      ; /* gone while we looked: not part of the tree */
    else if (S_ISDIR(st.st_mode))
      rc = collect(root, child.data, depth + 1, out, err);
    else if (ends_with_lua(e->d_name) && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) &&
             stat(full.data, &st) == 0 && S_ISREG(st.st_mode))
      rc = names_add(out, rb_buf_detach(&child)) == 0
               ? 0
               : rb_error_set(err, "TrustHash", "out of memory");
    rb_buf_free(&child);
    rb_buf_free(&full);
  }
  closedir(d);
  rb_buf_free(&dir);
  return rc;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int hash_tree(const char *root, char out[RB_TRUST_HASH_HEX + 1], rb_error *err) {
  names files = {NULL, 0, 0};
  int rc = collect(root, "", 0, &files, err);
  if (rc == 0 && files.n > 0) /* qsort(NULL, 0) is undefined: a tree with no files */
    qsort(files.v, files.n, sizeof *files.v, by_name);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (rc == 0 && (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1))
    rc = rb_error_set(err, "TrustHash", "cannot start SHA-256");
  for (size_t i = 0; rc == 0 && i < files.n; i++) {
    rb_buf full = RB_BUF_INIT;
    char h[RB_TRUST_HASH_HEX + 1];
    rc = rb_buf_printf(&full, "%s/%s", root, files.v[i]);
    if (rc == 0)
      rc = hash_file(full.data, h, err);
    if (rc == 0 && (EVP_DigestUpdate(ctx, files.v[i], strlen(files.v[i]) + 1) != 1 ||
                    EVP_DigestUpdate(ctx, h, RB_TRUST_HASH_HEX) != 1 ||
                    EVP_DigestUpdate(ctx, "\n", 1) != 1))
      rc = rb_error_set(err, "TrustHash", "cannot hash '%s'", root);
    rb_buf_free(&full);
  }
  if (rc == 0)
    rc = hex_digest(ctx, out);
  EVP_MD_CTX_free(ctx);
  names_free(&files);
  return rc;
}

int rb_trust_hash_path(const char *path, char out[RB_TRUST_HASH_HEX + 1], rb_error *err) {
  struct stat st;
  if (stat(path, &st) != 0)
    return rb_error_set(err, "TrustHash", "cannot read '%s': %s", path, strerror(errno));
  if (S_ISDIR(st.st_mode))
    return hash_tree(path, out, err);
  if (S_ISREG(st.st_mode))
    return hash_file(path, out, err);
  return rb_error_set(err, "TrustHash", "'%s' is neither a directory nor a file", path);
}

int rb_trust_load(const char *file, rb_trust_store *s, rb_error *err) {
  FILE *f = fopen(file, "rb");
  if (!f)
    return errno == ENOENT ? 0
                           : rb_error_set(err, "TrustStore", "cannot read '%s': %s", file,
                                          strerror(errno));
  rb_buf text = RB_BUF_INIT;
  char chunk[4096];
  size_t n;
  int rc = 0;
  while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
    rc = rb_buf_append(&text, chunk, n);
  if (rc != 0 || ferror(f))
    rc = rb_error_set(err, "TrustStore", "cannot read '%s'", file);
  fclose(f);
  if (rc == 0 && rb_trust_parse(s, text.data ? text.data : "", text.len, err) != 0) {
    char why[sizeof((rb_error *)0)->message];
    snprintf(why, sizeof why, "%s", err ? err->message : "malformed");
    rc = rb_error_set(err, "TrustStore", "cannot read '%s': %s", file, why);
  }
  rb_buf_free(&text);
  return rc;
}

/* mkdir -p for the store's directory, each new level mode 0700. */
static int make_parents(const char *file) {
  char *dir = rb_strdup(file);
  if (!dir)
    return -1;
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) {
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
      if (*p != '/')
        continue;
      *p = '\0';
      if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        free(dir);
        return -1;
      }
      *p = '/';
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
      free(dir);
      return -1;
    }
  }
  free(dir);
  return 0;
}

int rb_trust_save(const char *file, const rb_trust_store *s, rb_error *err) {
  if (make_parents(file) != 0)
    return rb_error_set(err, "TrustStore", "cannot create the directory of '%s': %s",
                        file, strerror(errno));
  rb_buf text = RB_BUF_INIT;
  if (rb_trust_format(s, &text) != 0) {
    rb_buf_free(&text);
    return rb_error_set(err, "TrustStore", "out of memory");
  }
  int e = rb_replace_file(file, text.data, text.len, 0600);
  rb_buf_free(&text);
  if (e)
    return rb_error_set(err, "TrustStore", "cannot write '%s': %s", file, strerror(e));
  return 0;
}
