/* test_prompt.c — prompt.c: answers parsed, the default is no, garbage asks again, end of
 * input is no, an interrupted run is no without waiting for input. Through pipes (the
 * terminal itself is tests/cli/test_confirm_cli.py and test_fix_prompt_cli.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "interrupt.h"
#include "prompt.h"

/* Feeds `input` (then end of input) and asks; `shown` gets what was written. */
static rb_answer ask(const char *input, const char *choices, char *shown, size_t size) {
  int in[2], out[2];
  assert_int_equal(pipe(in), 0);
  assert_int_equal(pipe(out), 0);
  assert_int_equal(write(in[1], input, strlen(input)), (ssize_t)strlen(input));
  close(in[1]);
  rb_answer a = rb_prompt_ask(in[0], out[1], "Apply?", choices);
  close(out[1]);
  ssize_t n = read(out[0], shown, size - 1);
  shown[n > 0 ? n : 0] = '\0';
  close(in[0]);
  close(out[0]);
  return a;
}

static void test_answers(void **state) {
  (void)state;
  char shown[1024];
  assert_int_equal(ask("y\n", "ynaq", shown, sizeof shown), RB_ANSWER_YES);
  assert_string_equal(shown, "Apply? [y/N/a/q] ");
  assert_int_equal(ask(" YES \n", "ynaq", shown, sizeof shown), RB_ANSWER_YES);
  assert_int_equal(ask("n\n", "ynaq", shown, sizeof shown), RB_ANSWER_NO);
  assert_int_equal(ask("a\n", "ynaq", shown, sizeof shown), RB_ANSWER_ALL);
  assert_int_equal(ask("quit\n", "ynaq", shown, sizeof shown), RB_ANSWER_QUIT);
  assert_int_equal(ask("\n", "ynaq", shown, sizeof shown), RB_ANSWER_NO);
  assert_int_equal(ask("y", "ynaq", shown, sizeof shown), RB_ANSWER_YES);
}

static void test_end_of_input_is_no(void **state) {
  (void)state;
  char shown[1024];
  assert_int_equal(ask("", "ynaq", shown, sizeof shown), RB_ANSWER_NO);
  assert_string_equal(shown, "Apply? [y/N/a/q] \n");
}

static void test_garbage_asks_again(void **state) {
  (void)state;
  char shown[1024];
  assert_int_equal(ask("maybe\ny\n", "ynaq", shown, sizeof shown), RB_ANSWER_YES);
  assert_non_null(strstr(shown, "please answer one of y/N/a/q"));
  assert_non_null(strstr(strstr(shown, "please"), "Apply? [y/N/a/q] "));
  /* a choice not offered is garbage too; five bad answers end in no */
  assert_int_equal(ask("a\n", "yn", shown, sizeof shown), RB_ANSWER_NO);
  assert_string_equal(shown, "Apply? [y/N] please answer one of y/N (empty: no)\n"
                             "Apply? [y/N] \n");
  assert_int_equal(ask("x\nx\nx\nx\nx\ny\n", "ynaq", shown, sizeof shown), RB_ANSWER_NO);
}

/* A SIGINT that arrived before the read (the flag is set, no input ever comes, the pipe
 * stays open): the question is answered no at once instead of waiting for a line. */
static void test_interrupted_is_no_without_input(void **state) {
  (void)state;
  int in[2], out[2];
  assert_int_equal(pipe(in), 0);
  assert_int_equal(pipe(out), 0);
  rb_interrupt_set(SIGINT);
  assert_int_equal(rb_prompt_ask(in[0], out[1], "Apply?", "ynaq"), RB_ANSWER_NO);
  char line[16];
  assert_int_equal(rb_prompt_line(in[0], out[1], "Version?", line, sizeof line), -1);
  rb_interrupt_clear();
  for (int i = 0; i < 2; i++) {
    close(in[i]);
    close(out[i]);
  }
}

static void test_parse(void **state) {
  (void)state;
  assert_int_equal(rb_prompt_parse("", NULL), RB_ANSWER_NO);
  assert_int_equal(rb_prompt_parse("Y", NULL), RB_ANSWER_YES);
  assert_int_equal(rb_prompt_parse("all", NULL), 0);
  assert_int_equal(rb_prompt_parse("All", "ynaq"), RB_ANSWER_ALL);
  assert_int_equal(rb_prompt_parse("yess", "ynaq"), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_answers),
      cmocka_unit_test(test_end_of_input_is_no),
      cmocka_unit_test(test_garbage_asks_again),
      cmocka_unit_test(test_interrupted_is_no_without_input),
      cmocka_unit_test(test_parse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
