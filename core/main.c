/* main.c — placeholder entry point until the CLI lands. */
#include <stdio.h>
int main(void) {
  puts("runbook " RB_VERSION);
  return 0;
}
