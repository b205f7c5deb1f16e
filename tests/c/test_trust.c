/* test_trust.c — trust.c: the store's decisions (trusted, changed, unknown), its text
 * format, where it lives, the hash of a plugin tree (which files count, and that any
 * change to one changes it), and the atomic save with mode 0600. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trust.h"

static const char H1[] =
    "1111111111111111111111111111111111111111111111111111111111111111";
static const char H2[] =
    "2222222222222222222222222222222222222222222222222222222222222222";

static void a_recorded_path_is_trusted_only_with_its_hash(void **state) {
  (void)state;
  rb_trust_store s = RB_TRUST_STORE_INIT;
  assert_int_equal(rb_trust_check(&s, "/team/.runbook", H1), RB_TRUST_UNKNOWN);
  assert_int_equal(rb_trust_set(&s, "/team/.runbook", H1), 0);
  assert_int_equal(rb_trust_check(&s, "/team/.runbook", H1), RB_TRUST_OK);
  assert_int_equal(rb_trust_check(&s, "/team/.runbook", H2), RB_TRUST_CHANGED);
  assert_int_equal(rb_trust_check(&s, "/team", H1), RB_TRUST_UNKNOWN);
  assert_int_equal(rb_trust_check(&s, "/team/.runbook/steps", H1), RB_TRUST_UNKNOWN);
  assert_int_equal(rb_trust_set(&s, "/team/.runbook", H2), 0); /* trusted again */
  assert_int_equal(s.n, 1);
  assert_int_equal(rb_trust_check(&s, "/team/.runbook", H2), RB_TRUST_OK);
  assert_int_equal(rb_trust_remove(&s, "/team/.runbook"), 1);
  assert_int_equal(rb_trust_remove(&s, "/team/.runbook"), 0);
  assert_int_equal(rb_trust_check(&s, "/team/.runbook", H2), RB_TRUST_UNKNOWN);
  rb_trust_free(&s);
}

static void bad_entries_are_refused(void **state) {
  (void)state;
  rb_trust_store s = RB_TRUST_STORE_INIT;
  assert_int_equal(rb_trust_set(&s, "/a\nb", H1), -1);
  assert_int_equal(rb_trust_set(&s, "", H1), -1);
  assert_int_equal(rb_trust_set(&s, "/a", "abc"), -1);
  assert_int_equal(rb_trust_set(&s, "/a",
                                "G111111111111111111111111111111111111111111111111111"
                                "111111111111"),
                   -1);
  assert_int_equal(s.n, 0);
  rb_trust_free(&s);
}

static void the_store_text_round_trips(void **state) {
  (void)state;
  rb_trust_store s = RB_TRUST_STORE_INIT, back = RB_TRUST_STORE_INIT;
  assert_int_equal(rb_trust_set(&s, "/a dir/with spaces", H1), 0);
  assert_int_equal(rb_trust_set(&s, "/b/triage.lua", H2), 0);
  rb_buf text = RB_BUF_INIT;
  assert_int_equal(rb_trust_format(&s, &text), 0);
  assert_non_null(strstr(text.data, H1));
  assert_int_equal(rb_trust_parse(&back, text.data, text.len, NULL), 0);
  assert_int_equal(back.n, 2);
  assert_int_equal(rb_trust_check(&back, "/a dir/with spaces", H1), RB_TRUST_OK);
  assert_int_equal(rb_trust_check(&back, "/b/triage.lua", H2), RB_TRUST_OK);
  rb_buf_free(&text);
  rb_trust_free(&s);
  rb_trust_free(&back);
}

static void a_malformed_line_is_named(void **state) {
  (void)state;
  rb_trust_store s = RB_TRUST_STORE_INIT;
  rb_error err;
  const char text[] = "# comment\n\nnot-a-hash /x\n";
  assert_int_not_equal(rb_trust_parse(&s, text, strlen(text), &err), 0);
  assert_string_equal(err.message, "malformed line 3");
  rb_trust_free(&s);
}

static void the_store_lives_under_xdg_state_home_else_home(void **state) {
  (void)state;
  char *p = rb_trust_store_path("/x/state", "/home/u");
  assert_string_equal(p, "/x/state/runbook/trust");
  free(p);
  p = rb_trust_store_path("", "/home/u");
  assert_string_equal(p, "/home/u/.local/state/runbook/trust");
  free(p);
  assert_null(rb_trust_store_path(NULL, NULL));
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void hash(const char *path, char out[RB_TRUST_HASH_HEX + 1]) {
  rb_error err;
  assert_int_equal(rb_trust_hash_path(path, out, &err), 0);
  assert_int_equal(strlen(out), RB_TRUST_HASH_HEX);
}

static void the_tree_hash_covers_every_lua_file_and_only_those(void **state) {
  (void)state;
  char root[] = "/tmp/rb-trust-test.XXXXXX";
  assert_non_null(mkdtemp(root));
  char path[512], h0[65], h[65];
  snprintf(path, sizeof path, "%s/steps", root);
  assert_int_equal(mkdir(path, 0700), 0);
  snprintf(path, sizeof path, "%s/steps/team.lua", root);
  write_file(path, "return {}\n");
  hash(root, h0);
  hash(root, h);
  assert_string_equal(h0, h); /* stable */
  snprintf(path, sizeof path, "%s/README.md", root);
  write_file(path, "notes\n");
  hash(root, h);
  assert_string_equal(h0, h); /* not a Lua file */
  snprintf(path, sizeof path, "%s/steps/team.lua", root);
  write_file(path, "return { changed = true }\n");
  hash(root, h);
  assert_string_not_equal(h0, h); /* an edit */
  write_file(path, "return {}\n");
  hash(root, h);
  assert_string_equal(h0, h);
  snprintf(path, sizeof path, "%s/steps/new.lua", root);
  write_file(path, "return {}\n");
  hash(root, h);
  assert_string_not_equal(h0, h); /* a new file */
  unlink(path);
  snprintf(path, sizeof path, "%s/steps/team.lua", root);
  char moved[512];
  snprintf(moved, sizeof moved, "%s/team.lua", root);
  assert_int_equal(rename(path, moved), 0);
  hash(root, h);
  assert_string_not_equal(h0, h); /* a move */
  unlink(moved);
  snprintf(path, sizeof path, "%s/README.md", root);
  unlink(path);
  snprintf(path, sizeof path, "%s/steps", root);
  rmdir(path);
  rmdir(root);
}

static void save_is_private_and_load_reads_it_back(void **state) {
  (void)state;
  char root[] = "/tmp/rb-trust-store.XXXXXX";
  assert_non_null(mkdtemp(root));
  char file[512];
  snprintf(file, sizeof file, "%s/state/runbook/trust", root);
  rb_trust_store s = RB_TRUST_STORE_INIT, back = RB_TRUST_STORE_INIT;
  rb_error err;
  assert_int_equal(rb_trust_load(file, &back, &err), 0); /* missing: empty */
  assert_int_equal(back.n, 0);
  assert_int_equal(rb_trust_set(&s, "/p", H1), 0);
  assert_int_equal(rb_trust_save(file, &s, &err), 0);
  struct stat st;
  assert_int_equal(stat(file, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(rb_trust_load(file, &back, &err), 0);
  assert_int_equal(rb_trust_check(&back, "/p", H1), RB_TRUST_OK);
  rb_trust_free(&s);
  rb_trust_free(&back);
  unlink(file);
  char dir[512];
  snprintf(dir, sizeof dir, "%s/state/runbook", root);
  rmdir(dir);
  snprintf(dir, sizeof dir, "%s/state", root);
  rmdir(dir);
  rmdir(root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_recorded_path_is_trusted_only_with_its_hash),
      cmocka_unit_test(bad_entries_are_refused),
      cmocka_unit_test(the_store_text_round_trips),
      cmocka_unit_test(a_malformed_line_is_named),
      cmocka_unit_test(the_store_lives_under_xdg_state_home_else_home),
      cmocka_unit_test(the_tree_hash_covers_every_lua_file_and_only_those),
      cmocka_unit_test(save_is_private_and_load_reads_it_back),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
