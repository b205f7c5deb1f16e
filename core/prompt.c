/* prompt.c — one confirmation question on a terminal (see prompt.h).
 *
 * Uses read(2) and write(2) on the descriptors it is handed, a byte at a time so that it
 * never consumes input past the answer's line. It must never open a file, never read
 * stdin or write stdout on its own, and never treat anything but an explicit yes (or
 * all) as consent: the default, end of input and errors are all "no". A Ctrl-C (the
 * interrupt flag, interrupt.h) is "no" too: it is checked while waiting for input, so a
 * SIGINT that lands between the question and the read(2) is not lost. Input typed before
 * the question is discarded (tcflush): a "y" typed ahead, or left over from another
 * program, must not approve a plan its operator has not seen yet. */
#include "prompt.h"

#include "interrupt.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#define MAX_LINE 256
#define MAX_ASKS 5

static const char *effective(const char *choices) {
  return choices && *choices ? choices : "yn";
}

int rb_prompt_parse(const char *line, const char *choices) {
  static const char *const words[][2] = {
      {"y", "yes"}, {"n", "no"}, {"a", "all"}, {"q", "quit"}};
  choices = effective(choices);
  while (isspace((unsigned char)*line))
    line++;
  size_t n = strlen(line);
  while (n && isspace((unsigned char)line[n - 1]))
    n--;
  if (n == 0)
    return RB_ANSWER_NO;
  for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
    char c = words[i][0][0];
    if (!strchr(choices, c))
      continue;
    for (int w = 0; w < 2; w++)
      if (strlen(words[i][w]) == n && strncasecmp(line, words[i][w], n) == 0)
        return c;
  }
  return 0;
}

static void put(int fd, const char *s) {
  size_t n = strlen(s);
  while (n) {
    ssize_t w = write(fd, s, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return;
    s += w;
    n -= (size_t)w;
  }
}

/* Waits until fd has input: 0, or -1 once the run is interrupted or on error. Polls in
 * short slices because a signal that arrives before poll(2) does not interrupt it. */
static int wait_input(int fd) {
  for (;;) {
    if (rb_interrupted())
      return -1;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, 100);
    if (r > 0)
      return 0;
    if (r < 0 && errno != EINTR)
      return -1;
  }
}

/* One line without its newline; returns its length, or -1 at end of input, on error or
 * when the run is interrupted. A line longer than the buffer is cut (and so is no
 * answer). */
static int read_line(int fd, char *buf, size_t size) {
  size_t n = 0;
  for (;;) {
    char c;
    if (wait_input(fd) < 0)
      return -1;
    ssize_t r = read(fd, &c, 1);
    if (r <= 0 && !(r == 0 && n)) /* a last line without newline still counts */
      return -1;
    if (r <= 0 || c == '\n')
      break;
    if (n + 1 < size)
      buf[n++] = c;
  }
  buf[n] = '\0';
  return (int)n;
}

/* Drops what was typed on the terminal before the question (not a terminal: nothing). */
static void discard_typeahead(int fd) {
  (void)tcflush(fd, TCIFLUSH);
}

static void format_choices(const char *choices, char *out, size_t size) {
  size_t n = 0;
  for (const char *c = choices; *c && n + 3 < size; c++) {
    if (c != choices)
      out[n++] = '/';
    out[n++] = *c == 'n' ? 'N' : *c; /* the default, shown in capitals */
  }
  out[n] = '\0';
}

rb_answer rb_prompt_ask(int in_fd, int out_fd, const char *question,
                        const char *choices) {
  choices = effective(choices);
  char shown[16], line[MAX_LINE], ask[MAX_LINE + 64];
  format_choices(choices, shown, sizeof shown);
  snprintf(ask, sizeof ask, "%s [%s] ", question ? question : "", shown);
  discard_typeahead(in_fd);
  for (int i = 0; i < MAX_ASKS; i++) {
    put(out_fd, ask);
    if (read_line(in_fd, line, sizeof line) < 0) {
      put(out_fd, "\n");
      return RB_ANSWER_NO;
    }
    int a = rb_prompt_parse(line, choices);
    if (a)
      return (rb_answer)a;
    char help[96];
    snprintf(help, sizeof help, "please answer one of %s (empty: no)\n", shown);
    put(out_fd, help);
  }
  return RB_ANSWER_NO;
}

int rb_prompt_line(int in_fd, int out_fd, const char *question, char *out, size_t size) {
  discard_typeahead(in_fd);
  put(out_fd, question ? question : "");
  put(out_fd, " ");
  if (!out || size == 0 || read_line(in_fd, out, size) < 0) {
    put(out_fd, "\n");
    return -1;
  }
  return 0;
}
