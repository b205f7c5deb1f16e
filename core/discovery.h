/* discovery.h — where steps, modules and runbooks are found, and which of those places
 * may run code.
 *
 * In order: every --plugins DIR, every RUNBOOK_PATH entry, the runbook script's own
 * directory, ./.runbook/ (once trusted), $XDG_CONFIG_HOME/runbook/ (default
 * ~/.config/runbook/), then the built-ins (added by lua_env.c). A runbook named bare
 * ("triage.lua") is looked up as runbooks/NAME in the same order, with a file of that
 * name in the current directory taking the place of ./.runbook/ — and used only once
 * trusted. A name with a slash is a path, trusted by being typed. */
#ifndef RB_DISCOVERY_H
#define RB_DISCOVERY_H

typedef struct rb_discovery {
  const char **dirs;    /* NULL-terminated, searched in this order before the built-ins */
  const char **origins; /* parallel: "--plugins", "RUNBOOK_PATH", "script", ".runbook",
                           "config" */
  int n, cap;
  char *script; /* the runbook's path, when one was looked up and found */
  char **owned; /* strings the lists point into */
  int nowned, owned_cap;
} rb_discovery;

typedef struct rb_discovery_input {
  const char *const *cli_dirs; /* --plugins, NULL-terminated (may be NULL) */
  const char *runbook_path;    /* $RUNBOOK_PATH or NULL */
  const char *script;          /* the runbook as given, or NULL for a built-in command */
  const char *data_dir;        /* the built-ins (plugins/, runbooks/), or NULL */
} rb_discovery_input;

/* Fills d (zeroed by the caller). One-line notes about untrusted or changed places go to
 * stderr. Returns 0; 1 when a script was asked for and not found (nothing else is
 * printed); -1 when memory ran out. Free d with rb_discovery_free in every case. */
int rb_discovery_build(rb_discovery *d, const rb_discovery_input *in);
void rb_discovery_free(rb_discovery *d);

/* `runbook trust [--list] [PATH]` and `runbook untrust PATH`: cmd is "trust" or
 * "untrust", args what followed it. Returns the exit code. */
int rb_trust_command(const char *cmd, int argc, char **argv);
/* 1 when word is one of the trust commands. */
int rb_is_trust_command(const char *word);

#endif
