/* test_journal.c — journal.c and fix_scope.journal_append: a 0600 file, one fsync'd line
 * per entry, refusal of files others can read or that are not regular files, and of
 * entries holding a credential secret (nothing written). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "l_fix.h"

#define SECRET "jOuRnAlTeStSeCrEtKeyEXAMPLE0000000000001"

typedef struct fixture {
  char dir[64];
  char path[128];
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/rb-journal-XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  snprintf(f->path, sizeof f->path, "%s/journal.jsonl", f->dir);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  char cmd[160];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  assert_int_equal(system(cmd), 0);
  free(f);
  return 0;
}

static char *slurp(const char *path) {
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return NULL;
  static char buf[4096];
  size_t n = fread(buf, 1, sizeof buf - 1, fp);
  buf[n] = '\0';
  fclose(fp);
  return buf;
}

/* The fake fsync: counts, checks the line is already in the file, may fail. */
typedef struct syncs {
  const char *path;
  int calls;
  long size_at_sync;
  int fail;
} syncs;

static int fake_sync(void *ud, int fd) {
  syncs *s = ud;
  struct stat st;
  assert_int_equal(fstat(fd, &st), 0);
  s->calls++;
  s->size_at_sync = (long)st.st_size;
  return s->fail ? -1 : fsync(fd);
}

static void test_new_file_is_0600_and_each_line_synced(void **state) {
  fixture *f = *state;
  mode_t old = umask(0);
  syncs s = {f->path, 0, 0, 0};
  rb_journal_io io = {fake_sync, &s};
  rb_error err = {0};
  assert_int_equal(rb_journal_append(f->path, "{\"a\":1}", 0, &io, &err), 0);
  umask(old);
  struct stat st;
  assert_int_equal(stat(f->path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(s.calls, 1);
  assert_int_equal(s.size_at_sync, 8); /* written before the fsync */
  assert_int_equal(rb_journal_append(f->path, "{\"b\":2}", 0, &io, &err), 0);
  assert_int_equal(s.calls, 2);
  assert_int_equal(s.size_at_sync, 16);
  assert_string_equal(slurp(f->path), "{\"a\":1}\n{\"b\":2}\n");
  /* the real fsync path too */
  assert_int_equal(rb_journal_append(f->path, "{\"c\":3}", 0, NULL, &err), 0);
  assert_string_equal(slurp(f->path), "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
}

static void test_failed_sync_is_an_error(void **state) {
  fixture *f = *state;
  syncs s = {f->path, 0, 0, 1};
  rb_journal_io io = {fake_sync, &s};
  rb_error err = {0};
  assert_int_equal(rb_journal_append(f->path, "{}", 0, &io, &err), -1);
  assert_string_equal(err.code, "JournalError");
  assert_non_null(strstr(err.message, "cannot flush"));
}

static void test_readable_file_refused(void **state) {
  fixture *f = *state;
  FILE *fp = fopen(f->path, "w");
  fputs("old\n", fp);
  fclose(fp);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(chmod(f->path, i ? 0604 : 0640), 0);
    rb_error err = {0};
    assert_int_equal(rb_journal_append(f->path, "{}", 0, NULL, &err), -1);
    assert_string_equal(err.code, "JournalRefused");
    assert_non_null(strstr(err.message, "chmod 600"));
    assert_null(strchr(err.message, '\n'));
    assert_string_equal(slurp(f->path), "old\n");
  }
}

/* The check before any offer: it creates a missing journal 0600 and writes nothing, and
 * refuses what an append would refuse, with the same message. */
static void test_check_creates_and_refuses_like_append(void **state) {
  fixture *f = *state;
  unlink(f->path);
  rb_error err = {0};
  assert_int_equal(rb_journal_check(f->path, 0, &err), 0);
  struct stat st;
  assert_int_equal(stat(f->path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(st.st_size, 0);
  assert_int_equal(chmod(f->path, 0644), 0);
  assert_int_equal(rb_journal_check(f->path, 0, &err), -1);
  assert_string_equal(err.code, "JournalRefused");
  assert_non_null(strstr(err.message, "chmod 600"));
}

static void test_not_a_regular_file_refused(void **state) {
  fixture *f = *state;
  rb_error err = {0};
  assert_int_equal(mkfifo(f->path, 0600), 0); /* must not block */
  assert_int_equal(rb_journal_append(f->path, "{}", 0, NULL, &err), -1);
  assert_string_equal(err.code, "JournalRefused");
  assert_non_null(strstr(err.message, "not a regular file"));
  unlink(f->path);
  char target[160];
  snprintf(target, sizeof target, "%s/elsewhere", f->dir);
  FILE *fp = fopen(target, "w");
  fclose(fp);
  chmod(target, 0600);
  assert_int_equal(symlink(target, f->path), 0);
  memset(&err, 0, sizeof err);
  assert_int_equal(rb_journal_append(f->path, "{}", 0, NULL, &err), -1);
  assert_string_equal(err.code, "JournalRefused");
  assert_string_equal(slurp(target), "");
  unlink(f->path);
  assert_int_equal(mkdir(f->path, 0700), 0);
  memset(&err, 0, sizeof err);
  assert_int_equal(rb_journal_append(f->path, "{}", 0, NULL, &err), -1);
  assert_string_equal(err.code, "JournalRefused");
  rmdir(f->path);
  memset(&err, 0, sizeof err);
  assert_int_equal(rb_journal_append(f->path, "{}\n{}", 0, NULL, &err), -1);
  assert_string_equal(err.code, "JournalRefused");
}

static void test_directories_made_0700(void **state) {
  fixture *f = *state;
  char path[200], dir[200];
  snprintf(path, sizeof path, "%s/state/runbook/journal.jsonl", f->dir);
  rb_error err = {0};
  assert_int_equal(rb_journal_append(path, "{}", 0, NULL, &err), -1);
  assert_int_equal(rb_journal_append(path, "{}", 1, NULL, &err), 0);
  struct stat st;
  snprintf(dir, sizeof dir, "%s/state/runbook", f->dir);
  assert_int_equal(stat(dir, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0700);
  snprintf(dir, sizeof dir, "%s/state", f->dir);
  assert_int_equal(stat(dir, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0700);
}

static const char *env_xdg(const char *name) {
  return strcmp(name, "XDG_STATE_HOME") == 0 ? "/x/state"
         : strcmp(name, "HOME") == 0         ? "/home/u"
                                             : NULL;
}
static const char *env_relative_xdg(const char *name) {
  return strcmp(name, "XDG_STATE_HOME") == 0 ? "relative"
         : strcmp(name, "HOME") == 0         ? "/home/u"
                                             : NULL;
}
static const char *env_none(const char *name) {
  (void)name;
  return NULL;
}

static void test_default_path(void **state) {
  (void)state;
  rb_error err = {0};
  char *p = rb_journal_default_path(env_xdg, &err);
  assert_string_equal(p, "/x/state/runbook/journal.jsonl");
  free(p);
  p = rb_journal_default_path(env_relative_xdg, &err);
  assert_string_equal(p, "/home/u/.local/state/runbook/journal.jsonl");
  free(p);
  assert_null(rb_journal_default_path(env_none, &err));
  assert_non_null(strstr(err.message, "--journal"));
}

/* fix_scope.journal_append(path, entry) in a bare Lua state. */
static void test_binding_refuses_secrets(void **state) {
  fixture *f = *state;
  setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  rb_lfix_options o = {0, 0, f->path};
  rb_lfix_configure(L, &o);
  luaL_requiref(L, "fix_scope", luaopen_runbook_fix_scope, 1);
  lua_pop(L, 1);
  const char *script =
      "local ok, err = fix_scope.journal_append(nil, {op = 'x', note = 'key "
      "' .. os.getenv('AWS_SECRET_ACCESS_KEY')})\n"
      "assert(ok == nil and err.code == 'SecretInJournal' and err.kind == 'safety', "
      "tostring(err and err.code))\n"
      "assert(not err.message:find(os.getenv('AWS_SECRET_ACCESS_KEY'), 1, true))\n"
      "assert(io.open(fix_scope.options().journal) == nil, 'nothing written')\n"
      "assert(fix_scope.journal_append(nil, {op = 'UpdateFunctionConfiguration', n = "
      "1}))\n"
      "assert(fix_scope.journal_append(nil, {op = 'y'}))\n";
  if (luaL_dostring(L, script) != LUA_OK)
    fail_msg("%s", lua_tostring(L, -1));
  assert_string_equal(slurp(f->path), "{\"n\":1,\"op\":\"UpdateFunctionConfiguration\"}\n"
                                      "{\"op\":\"y\"}\n");
  lua_close(L);
  unsetenv("AWS_SECRET_ACCESS_KEY");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_new_file_is_0600_and_each_line_synced, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_failed_sync_is_an_error, setup, teardown),
      cmocka_unit_test_setup_teardown(test_readable_file_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_check_creates_and_refuses_like_append, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_not_a_regular_file_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_directories_made_0700, setup, teardown),
      cmocka_unit_test(test_default_path),
      cmocka_unit_test_setup_teardown(test_binding_refuses_secrets, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
