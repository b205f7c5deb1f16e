/* shared_config.c — the shared config and credentials files (~/.aws/config,
 * ~/.aws/credentials) as a flat list of (file, profile, key, value) entries.
 *
 * Uses inih for the INI grammar, fed from memory by a reader of our own: the packaged
 * inih reads lines of at most 200 bytes, and session tokens are far longer, so the reader
 * hands inih a short placeholder for any long value and keeps the real value aside.
 * Section names follow botocore: in the config file "[default]" and "[profile name]" are
 * profiles and any other section is not; in the credentials file every section is a
 * profile. Keys are case-insensitive. Must never put a value in a message: values may be
 * secret keys or tokens, and they are wiped when freed. */
#include "credentials_int.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define INI_MAX_FILE (1024 * 1024)
#define LONG_MARK '\x01'

static const char *const file_env[2] = {"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"};
static const char *const file_default[2] = {"~/.aws/config", "~/.aws/credentials"};

typedef struct ini_load {
  rb_cred_files *files;
  int which;
  const char *p, *end; /* the rest of the file */
  char **longv;        /* values too long for inih's line buffer */
  size_t nlong, caplong;
  int indented;      /* the line just handed to inih starts with white space */
  char profile[256]; /* the profile of the current section, "" when none */
  int oom;
} ini_load;

/* ---- reading files ---- */

static int read_file_opt(const char *path, const char *what, size_t max, rb_buf *out,
                         int *missing, rb_error *err) {
  *missing = 0;
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    if (errno == ENOENT || errno == ENOTDIR) {
      *missing = 1;
      return 0;
    }
    return rb_error_set(err, "InvalidConfig", "cannot read %s '%s': %s", what, path,
                        strerror(errno));
  }
  char chunk[4096];
  size_t n;
  int rc = 0;
  while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
    if (out->len + n > max) {
      rc = rb_error_set(err, "InvalidConfig",
                        "cannot read %s '%s': larger than %zu bytes", what, path, max);
      break;
    }
    if (rb_buf_append(out, chunk, n) != 0) {
      rc = rb_error_set(err, "OutOfMemory", "out of memory reading %s", what);
      break;
    }
  }
  if (rc == 0 && ferror(fp))
    rc = rb_error_set(err, "InvalidConfig", "cannot read %s '%s': %s", what, path,
                      strerror(errno));
  fclose(fp);
  return rc;
}

int rb_cred_read_file(const char *path, const char *what, size_t max, rb_buf *out,
                      rb_error *err) {
  int missing = 0;
  if (read_file_opt(path, what, max, out, &missing, err) != 0)
    return -1;
  if (missing)
    return rb_error_set(err, "InvalidConfig", "cannot read %s '%s': %s", what, path,
                        strerror(ENOENT));
  return rb_buf_cstr(out) ? 0 : rb_error_set(err, "OutOfMemory", "out of memory");
}

/* "~/x" → "$HOME/x"; NULL when HOME is needed but unset (or on OOM). */
static char *expand_home(const rb_cred_env *env, const char *path) {
  if (path[0] != '~' || (path[1] != '/' && path[1] != '\0'))
    return rb_strdup(path);
  const char *home = rb_cred_getenv(env, "HOME");
  if (!home)
    return NULL;
  rb_buf b = RB_BUF_INIT;
  if (rb_buf_printf(&b, "%s%s", home, path + 1) != 0) {
    rb_buf_free(&b);
    return NULL;
  }
  return rb_buf_detach(&b);
}

/* ---- the entry list ---- */

static int add_entry(rb_cred_files *f, int which, const char *profile, const char *key,
                     const char *value) {
  if (f->count == f->cap) {
    size_t cap = f->cap ? f->cap * 2 : 16;
    rb_cred_entry *items = realloc(f->items, cap * sizeof *items);
    if (!items)
      return -1;
    f->items = items;
    f->cap = cap;
  }
  rb_cred_entry e = {which, rb_strdup(profile), rb_strdup(key), rb_strdup(value)};
  if (!e.profile || (key && !e.key) || (value && !e.value)) {
    free(e.profile);
    free(e.key);
    rb_free_secret(e.value);
    return -1;
  }
  for (char *k = e.key; k && *k; k++)
    *k = (char)tolower((unsigned char)*k);
  f->items[f->count++] = e;
  return 0;
}

/* Appends "\n" + value to the last entry (a continuation line, as configparser joins). */
static int append_last(rb_cred_files *f, const char *value) {
  rb_cred_entry *e = &f->items[f->count - 1];
  rb_buf b = RB_BUF_INIT;
  if (rb_buf_printf(&b, "%s\n%s", e->value, value) != 0) {
    rb_buf_free_secure(&b);
    return -1;
  }
  rb_free_secret(e->value);
  e->value = rb_buf_detach(&b);
  return 0;
}

/* The profile a section names, written to `out`; 0 when the section is no profile. */
static int section_profile(int which, const char *section, char *out, size_t n) {
  if (which == RB_CRED_SHARED || strcmp(section, "default") == 0)
    return snprintf(out, n, "%s", section) < (int)n;
  if (strncmp(section, "profile", 7) != 0 || !isspace((unsigned char)section[7]))
    return 0;
  const char *s = section + 7;
  while (isspace((unsigned char)*s))
    s++;
  size_t len = strlen(s);
  while (len && isspace((unsigned char)s[len - 1]))
    len--;
  if (len >= 2 && (s[0] == '"' || s[0] == '\'') && s[len - 1] == s[0]) {
    s++;
    len -= 2;
  } else {
    for (size_t i = 0; i < len; i++)
      if (isspace((unsigned char)s[i]))
        return 0; /* "profile a b": shlex gives three words, botocore ignores it */
  }
  if (len == 0 || len >= n)
    return 0;
  memcpy(out, s, len);
  out[len] = '\0';
  return 1;
}

/* ---- feeding inih ---- */

/* Records the section a "[...]" line opens. inih keeps only 50 bytes of a section name,
 * so the profile of every value is taken from here, not from inih. */
static void note_section(ini_load *ld, const char *line, size_t len) {
  const char *close = memchr(line, ']', len);
  char raw[256];
  ld->profile[0] = '\0';
  if (!close || snprintf(raw, sizeof raw, "%.*s", (int)(close - line - 1), line + 1) >=
                    (int)sizeof raw)
    return;
  if (section_profile(ld->which, raw, ld->profile, sizeof ld->profile) &&
      add_entry(ld->files, ld->which, ld->profile, NULL, NULL) != 0)
    ld->oom = 1;
}

/* Keeps a long value aside and writes "<key>=\1<index>" (or " \1<index>" for a
 * continuation line) for inih instead. Comments become "#"; anything else too long is
 * passed cut short, and inih reports the line as malformed. */
static char *feed_long_line(ini_load *ld, const char *line, size_t len, char *str,
                            size_t num) {
  size_t i = 0;
  while (i < len && isspace((unsigned char)line[i]))
    i++;
  const char *eq = ld->indented ? line + i : NULL;
  for (size_t j = i; !eq && j < len; j++)
    if (line[j] == '=' || line[j] == ':')
      eq = line + j;
  size_t keylen = eq ? (size_t)(eq - line) : 0;
  if (i < len && (line[i] == '#' || line[i] == ';')) {
    snprintf(str, num, "#");
    return str;
  }
  if (!eq || keylen + 24 > num) {
    memcpy(str, line, num - 1);
    str[num - 1] = '\0';
    return str;
  }
  const char *v = ld->indented ? eq : eq + 1, *vend = line + len;
  for (const char *c = v; c < vend; c++)
    if (*c == ';' && c > v && isspace((unsigned char)c[-1]))
      vend = c; /* an inline comment, as inih strips it from short lines */
  while (v < vend && isspace((unsigned char)*v))
    v++;
  while (vend > v && isspace((unsigned char)vend[-1]))
    vend--;
  if (ld->nlong == ld->caplong) {
    size_t cap = ld->caplong ? ld->caplong * 2 : 4;
    char **p = realloc(ld->longv, cap * sizeof *p);
    if (!p)
      return ld->oom = 1, NULL;
    ld->longv = p;
    ld->caplong = cap;
  }
  if (!(ld->longv[ld->nlong] = rb_strndup(v, (size_t)(vend - v))))
    return ld->oom = 1, NULL;
  if (ld->indented)
    snprintf(str, num, " %c%zu", LONG_MARK, ld->nlong++);
  else
    snprintf(str, num, "%.*s=%c%zu", (int)keylen, line, LONG_MARK, ld->nlong++);
  return str;
}

static char *feed_line(char *str, int num, void *stream) {
  ini_load *ld = stream;
  if (ld->oom || ld->p >= ld->end)
    return NULL;
  const char *line = ld->p;
  const char *nl = memchr(line, '\n', (size_t)(ld->end - line));
  size_t len = nl ? (size_t)(nl - line) : (size_t)(ld->end - line);
  ld->p = nl ? nl + 1 : ld->end;
  ld->indented = len > 0 && (line[0] == ' ' || line[0] == '\t');
  size_t i = 0;
  while (i < len && isspace((unsigned char)line[i]))
    i++;
  if (!ld->indented && i < len && line[i] == '[')
    note_section(ld, line + i, len - i);
  if (len + 1 >= (size_t)num)
    return feed_long_line(ld, line, len, str, (size_t)num);
  memcpy(str, line, len);
  str[len] = '\0';
  return str;
}

static int on_value(void *user, const char *section, const char *name,
                    const char *value) {
  ini_load *ld = user;
  rb_cred_files *f = ld->files;
  const char *prof = ld->profile;
  (void)section; /* possibly cut short by inih: see note_section */
  if (value[0] == LONG_MARK) {
    char *end;
    unsigned long idx = strtoul(value + 1, &end, 10);
    if (*end == '\0' && idx < ld->nlong)
      value = ld->longv[idx];
  }
  if (!prof[0])
    return 1; /* not a profile section */
  rb_cred_entry *last = f->count ? &f->items[f->count - 1] : NULL;
  int rc;
  if (ld->indented && last && last->key && last->file == ld->which &&
      strcmp(last->profile, prof) == 0 && strcasecmp(last->key, name) == 0)
    rc = append_last(f, value);
  else
    rc = add_entry(f, ld->which, prof, name, value);
  if (rc != 0)
    ld->oom = 1;
  return rc == 0;
}

static int parse_ini(rb_cred_files *f, int which, const rb_buf *text, rb_error *err) {
  ini_load ld;
  memset(&ld, 0, sizeof ld);
  ld.files = f;
  ld.which = which;
  ld.p = text->data;
  ld.end = text->data ? text->data + text->len : NULL; /* an empty file has no buffer */
  if (text->len >= 3 && memcmp(ld.p, "\xEF\xBB\xBF", 3) == 0)
    ld.p += 3; /* a UTF-8 byte order mark */
  int line = text->len ? ini_parse_stream(feed_line, &ld, on_value, &ld) : 0;
  for (size_t i = 0; i < ld.nlong; i++)
    rb_free_secret(ld.longv[i]);
  free(ld.longv);
  if (ld.oom)
    return rb_error_set(err, "OutOfMemory", "out of memory reading '%s'",
                        f->display[which]);
  if (line != 0)
    return rb_error_set(err, "ConfigParseError",
                        "cannot parse '%s': line %d is neither [section] nor key = value",
                        f->display[which], line);
  return 0;
}

static int load_one(const rb_cred_env *env, rb_cred_files *f, int which, rb_error *err) {
  const char *shown = rb_cred_getenv(env, file_env[which]);
  f->display[which] = rb_strdup(shown ? shown : file_default[which]);
  if (!f->display[which])
    return rb_error_set(err, "OutOfMemory", "out of memory");
  f->path[which] = expand_home(env, f->display[which]);
  if (!f->path[which])
    return 0; /* "~" with no HOME: there is no such file */
  rb_buf text = RB_BUF_INIT;
  int missing = 0;
  int rc = read_file_opt(f->path[which],
                         which == RB_CRED_CONFIG ? "config file" : "credentials file",
                         INI_MAX_FILE, &text, &missing, err);
  if (rc == 0 && !missing) {
    f->found[which] = 1;
    rc = parse_ini(f, which, &text, err);
  }
  rb_buf_free_secure(&text);
  return rc;
}

int rb_credfiles_load(const rb_cred_env *env, rb_cred_files *f, rb_error *err) {
  memset(f, 0, sizeof *f);
  if (load_one(env, f, RB_CRED_CONFIG, err) != 0 ||
      load_one(env, f, RB_CRED_SHARED, err) != 0) {
    rb_credfiles_free(f);
    return -1;
  }
  return 0;
}

void rb_credfiles_free(rb_cred_files *f) {
  for (size_t i = 0; i < f->count; i++) {
    free(f->items[i].profile);
    free(f->items[i].key);
    rb_free_secret(f->items[i].value);
  }
  free(f->items);
  for (int i = 0; i < 2; i++) {
    free(f->path[i]);
    free(f->display[i]);
  }
  memset(f, 0, sizeof *f);
}

static const char *get_in(const rb_cred_files *f, int which, const char *profile,
                          const char *key) {
  for (size_t i = f->count; i-- > 0;) {
    const rb_cred_entry *e = &f->items[i];
    if (e->key && e->file == which && strcmp(e->profile, profile) == 0 &&
        strcasecmp(e->key, key) == 0)
      return e->value;
  }
  return NULL;
}

const char *rb_credfiles_get(const rb_cred_files *f, int which, const char *profile,
                             const char *key) {
  if (which != RB_CRED_ANY)
    return get_in(f, which, profile, key);
  const char *v = get_in(f, RB_CRED_SHARED, profile, key);
  return v ? v : get_in(f, RB_CRED_CONFIG, profile, key);
}

int rb_credfiles_has_profile(const rb_cred_files *f, const char *profile) {
  for (size_t i = 0; i < f->count; i++)
    if (strcmp(f->items[i].profile, profile) == 0)
      return 1;
  return 0;
}

int rb_credfiles_check_profile(const rb_cred_files *f, const char *profile,
                               rb_error *err) {
  if (strcmp(profile, "default") == 0 || rb_credfiles_has_profile(f, profile))
    return 0;
  return rb_error_set(err, "ProfileNotFound", "profile '%s' not found in %s or %s",
                      profile, f->display[RB_CRED_SHARED], f->display[RB_CRED_CONFIG]);
}

int rb_config_get(const rb_cred_env *env, const char *explicit_profile, const char *key,
                  rb_buf *out, rb_error *err) {
  rb_cred_files f;
  if (rb_credfiles_load(env, &f, err) != 0)
    return -1;
  const char *profile = rb_credentials_profile_name(env, explicit_profile);
  int rc = rb_credfiles_check_profile(&f, profile, err);
  if (rc == 0) {
    const char *v = rb_credfiles_get(&f, RB_CRED_ANY, profile, key);
    rc = v ? 1 : 0;
    if (v && rb_buf_puts(out, v) != 0)
      rc = rb_error_set(err, "OutOfMemory", "out of memory");
  }
  rb_credfiles_free(&f);
  return rc;
}
