/* prompt.h — ask a yes/no/all/quit question on a terminal and read the answer.
 *
 * Pure I/O on the descriptors it is given: the caller opens the terminal (l_fix.c opens
 * /dev/tty, never stdin or stdout). */
#ifndef RB_PROMPT_H
#define RB_PROMPT_H

#include <stddef.h>

typedef enum rb_answer {
  RB_ANSWER_NO = 'n',
  RB_ANSWER_YES = 'y',
  RB_ANSWER_ALL = 'a',
  RB_ANSWER_QUIT = 'q'
} rb_answer;

/* Writes `question` and the choices ("Apply? [y/N/a/q] ": `choices` is a subset of
 * "ynaq", in that order; NULL or "" means "yn") to out_fd and reads one line from in_fd.
 * "y"/"yes", "n"/"no", "a"/"all", "q"/"quit" (any case, blanks around ignored) among the
 * choices are answers; an empty line is no (the default); anything else says what to type
 * and asks again (at most 5 times, then no). End of input, a read error or an interrupted
 * read answer no. */
rb_answer rb_prompt_ask(int in_fd, int out_fd, const char *question, const char *choices);

/* The answer for a line ("" is the default, no); 0 when the line is not one of the
 * choices. */
int rb_prompt_parse(const char *line, const char *choices);

/* Writes `question` and a blank to out_fd and reads one line (without its newline, cut at
 * size - 1 bytes) into out. Returns 0, or -1 at end of input or on a read error (an
 * interrupted read included). */
int rb_prompt_line(int in_fd, int out_fd, const char *question, char *out, size_t size);

#endif
