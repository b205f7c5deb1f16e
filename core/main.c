/* main.c — the runbook command: parse argv, build the Lua state, run one script as the
 * main task under one protected call, map the outcome to an exit code.
 *
 *   runbook [options] SCRIPT.lua [ARGS...]
 *   runbook [options] call SERVICE OPERATION ['{json params}']
 *
 * Exit codes (one table, also in plugins/triage/exit.lua): 0 ok, 1 findings or a failed
 * call, 2 usage, 3 runtime or credentials, 4 fixes offered but not applied, 5 partial,
 * 130 interrupted by SIGINT, 143 stopped by SIGTERM. A script returns 0-5 itself; 130
 * and 143 are the core's and win over anything the script returned. On either signal
 * every Lua task is stopped (a count hook raises in any running Lua code, core.wait and
 * blocking credential fetches give up; a task that asked with core.catch_interrupt goes
 * on, to print what it has), the --record file is still written atomically, and one line
 * "runbook: interrupted" goes to stderr.
 *
 * Core options are recognised anywhere before "--"; every other argument after the
 * script goes to the script. Uses lua_env.c, l_core.c and interrupt.c; it must never
 * print a secret (the only secrets here are inside the client, which redacts its own
 * traces). */
#include "buf.h"
#include "discovery.h"
#include "interrupt.h"
#include "l_core.h"
#include "l_fix.h"
#include "lua_env.h"
#include "quotas.h"
#include "rb_revision.h" /* RB_GIT_REVISION, generated at build time (cmake/revision.cmake) */
#include "sandbox.h"

#include <lauxlib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
  EXIT_OK = 0,
  EXIT_FINDINGS = 1,      /* findings at or above --fail-on, or a failed call */
  EXIT_USAGE = 2,         /* bad arguments: nothing ran */
  EXIT_RUNTIME = 3,       /* runtime or credential error */
  EXIT_FIXES_PENDING = 4, /* fixes offered, none applied (no terminal, no --yes) */
  EXIT_PARTIAL = 5,       /* some functions, accounts or fixes failed, the rest went on */
  EXIT_SIGNAL_BASE = 128  /* + the signal: 130 SIGINT, 143 SIGTERM */
};

/* Checked every 1000 Lua instructions in every task (coroutines inherit the hook when
 * they are made); after a signal, on every call, return and instruction of the main
 * thread. */
#define HOOK_COUNT 1000

typedef struct options {
  rb_client_config client;
  const char *script;
  const char *command; /* an embedded command ("call", "check-response"), or NULL */
  int nargs;
  char **args;              /* script arguments, in order */
  const char **plugin_dirs; /* --plugins; NULL-terminated, grows */
  int nplugins, plugins_cap;
  int no_sandbox; /* --no-sandbox */
  int yes;        /* --yes: every confirmation answers yes (the client has dry_run) */
  const char *journal; /* --journal FILE */
#ifdef RB_TEST_HOOKS
  int core_script; /* --test-core-script: only in runbook_testhooks (hooks.cmake) */
#endif
} options;

static const char usage[] =
    "usage: runbook [options] SCRIPT.lua [ARGS...]\n"
    "       runbook [options] call SERVICE OPERATION ['{json params}']\n"
    "       runbook check-response FILE|- [--api rest|http] [--payload 1.0|2.0]\n"
    "       runbook trust [--list] [DIR|RUNBOOK.lua]   runbook untrust DIR|RUNBOOK.lua\n"
    "         (./.runbook/ and a runbook named bare in the current directory run only\n"
    "         once trusted; see docs/architecture.md, Plugins and trust)\n"
    "       runbook test [PATH...] [--verbose]   (step tests, docs/testing-steps.md)\n"
    "       runbook list [--steps EXPR] [--format json]   (every step found)\n"
    "       runbook show STEP [--format json]   (one step in full)\n"
    "       runbook iam-policy [RUNBOOK] [--steps EXPR] [--fix]   (its IAM policy)\n"
    "       runbook journal [--run RUN] [--function FN] [--last N] [--format json]\n"
    "       runbook undo ENTRY|--last|--run RUN   (reverse journaled changes)\n"
    "\n"
    "options (accepted anywhere before --; after the script, --help is the script's):\n"
    "  --region REGION       AWS region (else AWS_REGION, AWS_DEFAULT_REGION, profile)\n"
    "  --profile NAME        profile in ~/.aws/config and ~/.aws/credentials\n"
    "  --endpoint-url URL    send every call to URL (e.g. a local fake AWS)\n"
    "  --plugins DIR         look for steps, modules and runbooks in DIR first\n"
    "                        (repeatable; RUNBOOK_PATH=DIR:DIR comes next; both are\n"
    "                        trusted by being named)\n"
    "  --no-sandbox          give plugins Lua's whole library (io.popen, os.execute,\n"
    "                        file writes): for your own tooling, never for plugins you\n"
    "                        have not read\n"
    "  --record FILE         save every AWS exchange (secrets removed) to FILE\n"
    "  --replay FILE         answer every AWS call from FILE, with no network\n"
    "  --debug               trace each request and response to stderr (secrets "
    "redacted)\n"
    "  --yes                 approve every fix without asking (the prompts are on the\n"
    "                        terminal, /dev/tty; without one and without --yes,\n"
    "                        nothing is applied)\n"
    "  --dry-run             show what fixes would do and send no write at all\n"
    "  --journal FILE        record every change in FILE (mode 0600), not in\n"
    "                        $XDG_STATE_HOME/runbook/journal.jsonl\n"
    "  --rate-limit SERVICE.OPERATION=PER_SECOND[/BURST]\n"
    "                        pace that operation to this rate, not the published\n"
    "                        one (core/quotas.txt); SERVICE.* for the service's\n"
    "                        shared bucket, =off to stop pacing (repeatable, comma\n"
    "                        lists too; wins over RUNBOOK_RATE_LIMITS;\n"
    "                        docs/quotas.md)\n"
    "  -h, --help            this help\n"
    "  --version             print the version and the git revision\n"
    "\n"
    "exit codes: 0 ok, 1 findings or a failed call, 2 usage error, 3 runtime or\n"
    "  credential error, 4 fixes offered but not applied, 5 partial (some functions,\n"
    "  accounts or fixes failed), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM);\n"
    "  when several apply: 130/143 > 2 > 3 > 5 > 4 > 1 > 0\n";

/* `what` is quoted after `problem`: usage_error("unknown option", "--x"). */
static int usage_error(const char *problem, const char *what) {
  if (what)
    fprintf(stderr, "runbook: %s '%s'\nTry 'runbook --help'.\n", problem, what);
  else
    fprintf(stderr, "runbook: %s\nTry 'runbook --help'.\n", problem);
  return EXIT_USAGE;
}

/* Matches "--name VALUE" and "--name=VALUE"; returns 1 and advances *i when it matched.
 */
static int take_value(int argc, char **argv, int *i, const char *name, const char **out,
                      int *missing) {
  size_t n = strlen(name);
  if (strncmp(argv[*i], name, n) != 0)
    return 0;
  if (argv[*i][n] == '=') {
    *out = argv[*i] + n + 1;
    return 1;
  }
  if (argv[*i][n] != '\0')
    return 0;
  if (*i + 1 >= argc) {
    *missing = 1;
    return 1;
  }
  *out = argv[++*i];
  return 1;
}

/* The commands built into the binary, each an embedded Lua script of core/lua. */
static const char *embedded_command(const char *word) {
  static const char *const commands[][2] = {{"call", "call"},
                                            {"check-response", "check_response"},
                                            {"test", "test"},
                                            {"journal", "journal_cmd"},
                                            {"undo", "undo"}};
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    if (strcmp(word, commands[i][0]) == 0)
      return commands[i][1];
  return NULL;
}

/* Appends a plugin directory, keeping the list NULL-terminated; -1 when memory runs out.
 */
static int add_plugin_dir(options *o, const char *dir) {
  if (o->nplugins + 2 > o->plugins_cap) {
    int cap = o->plugins_cap ? 2 * o->plugins_cap : 8;
    const char **grown = realloc(o->plugin_dirs, (size_t)cap * sizeof *grown);
    if (!grown)
      return -1;
    o->plugin_dirs = grown;
    o->plugins_cap = cap;
  }
  o->plugin_dirs[o->nplugins++] = dir;
  o->plugin_dirs[o->nplugins] = NULL;
  return 0;
}

/* Applies rate overrides (quotas.h): priority 2 for --rate-limit, 1 for
 * RUNBOOK_RATE_LIMITS. Returns -1 to continue, or the usage error's exit code. */
static int rate_limits(const char *spec, int priority) {
  char err[512];
  rb_quota_table *t = rb_quotas_process(err, sizeof err);
  if (t && rb_quotas_override(t, spec, priority, err, sizeof err) == 0)
    return -1;
  return usage_error(err, NULL);
}

/* Returns -1 to continue, or an exit code. */
static int parse_core_option(int argc, char **argv, int *i, options *o) {
  int missing = 0;
  const char *plugin = NULL, *rate = NULL;
  if (take_value(argc, argv, i, "--region", &o->client.region, &missing) ||
      take_value(argc, argv, i, "--profile", &o->client.profile, &missing) ||
      take_value(argc, argv, i, "--endpoint-url", &o->client.endpoint_url, &missing) ||
      take_value(argc, argv, i, "--record", &o->client.record_path, &missing) ||
      take_value(argc, argv, i, "--replay", &o->client.replay_path, &missing) ||
      take_value(argc, argv, i, "--journal", &o->journal, &missing) ||
      take_value(argc, argv, i, "--plugins", &plugin, &missing) ||
      take_value(argc, argv, i, "--rate-limit", &rate, &missing)) {
    if (missing)
      return usage_error("missing value for option", argv[*i]);
    if (rate && rate_limits(rate, 2) >= 0)
      return EXIT_USAGE;
    if (plugin && add_plugin_dir(o, plugin) != 0) {
      fputs("runbook: out of memory\n", stderr);
      return EXIT_RUNTIME;
    }
    return -2;
  }
  if (strcmp(argv[*i], "--debug") == 0) {
    o->client.debug = 1;
    return -2;
  }
  if (strcmp(argv[*i], "--no-sandbox") == 0) {
    o->no_sandbox = 1;
    return -2;
  }
  if (strcmp(argv[*i], "--yes") == 0) {
    o->yes = 1;
    return -2;
  }
  if (strcmp(argv[*i], "--dry-run") == 0) {
    o->client.dry_run = 1;
    return -2;
  }
#ifdef RB_TEST_HOOKS
  if (strcmp(argv[*i], "--test-core-script") == 0) {
    o->core_script = 1; /* the script runs as core Lua: tests of runbook.fix_scope */
    return -2;
  }
#endif
  if (strcmp(argv[*i], "--help") == 0 || strcmp(argv[*i], "-h") == 0) {
    fputs(usage, stdout);
    return EXIT_OK;
  }
  if (strcmp(argv[*i], "--version") == 0) {
    puts("runbook " RB_VERSION " (git " RB_GIT_REVISION ")");
    return EXIT_OK;
  }
  return -1;
}

static int parse_args(int argc, char **argv, options *o) {
  int passthrough = 0;
  for (int i = 1; i < argc; i++) {
    if (!passthrough && strcmp(argv[i], "--") == 0) {
      passthrough = 1;
      continue;
    }
    /* After the script's name, --help and --version are the script's to answer. */
    int for_script =
        o->script && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
                      strcmp(argv[i], "--version") == 0);
    if (!passthrough && !for_script) {
      int rc = parse_core_option(argc, argv, &i, o);
      if (rc >= 0)
        return rc;
      if (rc == -2)
        continue;
    }
    if (!o->script) {
      if (!passthrough && argv[i][0] == '-' && argv[i][1])
        return usage_error("unknown option", argv[i]);
      o->script = argv[i];
      o->command = embedded_command(argv[i]);
      continue;
    }
    o->args[o->nargs++] = argv[i];
  }
  if (!o->script)
    return usage_error("no script given: runbook SCRIPT.lua [ARGS...]", NULL);
  if (o->client.record_path && o->client.replay_path)
    return usage_error("--record and --replay cannot be used together", NULL);
  return -1;
}

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Where plugins/ and runbooks/ live: beside an installed binary
 * (BINDIR/../share/runbook), else RUNBOOK_DATA_DIR, else, only for the binary of the
 * build tree itself, the source tree. An installed copy never falls back to the source
 * tree it was built from: that tree may be gone or newer than the binary. NULL when none
 * applies. */
static char *find_data_dir(void) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  char *found = NULL;
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
      *slash = '\0';
    rb_buf b = RB_BUF_INIT;
    if (rb_buf_printf(&b, "%s/../share/runbook", exe) == 0 && is_dir(b.data))
      found = realpath(b.data, NULL);
    rb_buf_free(&b);
  }
  const char *env = getenv("RUNBOOK_DATA_DIR");
  if (!found && env && is_dir(env))
    found = realpath(env, NULL);
  char build[PATH_MAX];
  if (!found && n > 0 && realpath(RB_BUILD_DIR, build) && strcmp(build, exe) == 0 &&
      is_dir(RB_SOURCE_DIR "/plugins"))
    found = rb_strdup(RB_SOURCE_DIR);
  return found;
}

static void debug_to_stderr(void *ud, const char *text) {
  (void)ud;
  fputs(text, stderr);
}

static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (!msg && !lua_isnoneornil(L, 1) && !luaL_callmeta(L, 1, "__tostring"))
    return 1; /* keep non-string error objects (tables) as they are */
  luaL_traceback(L, L, msg ? msg : lua_tostring(L, -1), 1);
  return 1;
}

/* os.exit inside a script unwinds instead of exiting on the spot, so the recording is
 * still written and Lua's state closed: it raises {exit_code = N}, which run() turns into
 * N. */
static int script_exit(lua_State *L) {
  lua_Integer code =
      lua_isboolean(L, 1) ? (lua_toboolean(L, 1) ? 0 : 1) : luaL_optinteger(L, 1, 0);
  lua_createtable(L, 0, 1);
  lua_pushinteger(L, code);
  lua_setfield(L, -2, "exit_code");
  return lua_error(L);
}

static void set_arg_table(lua_State *L, const options *o, const char *script) {
  lua_createtable(L, o->nargs, 1);
  lua_pushstring(L, script);
  lua_rawseti(L, -2, 0);
  for (int i = 0; i < o->nargs; i++) {
    lua_pushstring(L, o->args[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setglobal(L, "arg");
  lua_getglobal(L, "os");
  lua_pushcfunction(L, script_exit);
  lua_setfield(L, -2, "exit");
  lua_pop(L, 1);
}

/* "runbook: TEXT" on stderr, with any known secret redacted (sandbox.h): an error
 * message may carry whatever a plugin put in it. */
static void print_error(lua_State *L, const char *text) {
  rb_sandbox_push_redacted(L, text, strlen(text));
  fprintf(stderr, "runbook: %s\n", lua_tostring(L, -1));
  lua_pop(L, 1);
}

/* A failed main task: an error table from the core ({code=, message=}), an exit request,
 * or a plain Lua error with its traceback (the third value). */
static int report_failure(lua_State *L, int err_index) {
  if (lua_istable(L, err_index)) {
    lua_getfield(L, err_index, "exit_code");
    if (lua_isinteger(L, -1))
      return (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, err_index, "code");
    lua_getfield(L, err_index, "message");
    if (lua_isstring(L, -2) && lua_isstring(L, -1)) {
      print_error(L,
                  lua_pushfstring(L, "%s: %s", lua_tostring(L, -2), lua_tostring(L, -1)));
      return EXIT_RUNTIME;
    }
    lua_pop(L, 2);
  }
  const char *tb = lua_tostring(L, err_index + 1);
  const char *msg = luaL_tolstring(L, err_index, NULL);
  print_error(L, tb ? tb : msg);
  return EXIT_RUNTIME;
}

static int exit_code_from(lua_State *L, int base) {
  int top = lua_gettop(L);
  if (top < base || !lua_toboolean(L, base))
    return top < base ? EXIT_RUNTIME : report_failure(L, base + 1);
  if (top == base || lua_isnil(L, base + 1))
    return EXIT_OK;
  if (lua_isboolean(L, base + 1))
    return lua_toboolean(L, base + 1) ? EXIT_OK : EXIT_FINDINGS;
  if (lua_isinteger(L, base + 1))
    return (int)lua_tointeger(L, base + 1);
  return EXIT_OK;
}

/* ---- interruption (the pattern of lua.c's laction/lstop) ---- */

static lua_State *interruptible; /* the main Lua state, for the signal handler */

/* Once interrupted, the hook of the thread it fires in checks every instruction, so an
 * error swallowed by a pcall is raised again at the pcall's very next instruction; but
 * not in a task that asked to report what it has (core.catch_interrupt), nor in the
 * scheduler under it. Until then it stops a task that runs past its deadline
 * (core.set_deadline). */
static void interrupt_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  if (!rb_interrupted()) {
    rb_lcore_check_deadline(L);
    return;
  }
  if (rb_lcore_catches_interrupt(L)) {
    lua_sethook(L, interrupt_hook, LUA_MASKCOUNT, HOOK_COUNT);
    return;
  }
  lua_sethook(L, interrupt_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
  luaL_error(L, "interrupted");
}

/* Called from the signal handler: lua_sethook is safe there (lua.c does the same). */
static void on_interrupt(int signo) {
  (void)signo;
  if (interruptible)
    lua_sethook(interruptible, interrupt_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT,
                1);
}

static void watch_interrupts(lua_State *L) {
  lua_sethook(L, interrupt_hook, LUA_MASKCOUNT, HOOK_COUNT);
  interruptible = L;
  rb_interrupt_install(on_interrupt);
}

static void unwatch_interrupts(lua_State *L) {
  interruptible = NULL;
  lua_sethook(L, NULL, 0, 0); /* nothing raises while the recording is saved */
}

static int load_script(lua_State *L, const options *o, const char *path) {
  int rc =
      o->command ? rb_lua_env_load_embedded(L, o->command) : luaL_loadfilex(L, path, "t");
  if (rc != LUA_OK) {
    fprintf(stderr, "runbook: cannot load '%s': %s\n", path, lua_tostring(L, -1));
    return EXIT_RUNTIME;
  }
#ifdef RB_TEST_HOOKS
  if (o->core_script)
    rb_sandbox_use_core_env(L);
#endif
  return -1;
}

static int run(lua_State *L, const options *o, const char *path) {
  lua_pushcfunction(L, traceback);
  int handler = lua_gettop(L);
  lua_getglobal(L, "runbook");
  lua_getfield(L, -1, "main");
  lua_remove(L, -2);
  int rc = load_script(L, o, path);
  if (rc >= 0)
    return rc;
  set_arg_table(L, o, path);
  for (int i = 0; i < o->nargs; i++)
    lua_pushstring(L, o->args[i]);
  if (lua_pcall(L, o->nargs + 1, LUA_MULTRET, handler) != LUA_OK)
    return rb_interrupted() ? EXIT_SIGNAL_BASE + rb_interrupted()
                            : report_failure(L, handler + 1);
  return exit_code_from(L, handler + 1);
}

/* The script's arguments that name existing files or directories: plugins may read
 * them (sandbox.h). Also the current directory's .runbook/suppressions.json, the
 * project's triage suppressions (docs/suppressions.md): data the user keeps beside the
 * code, read by default. NULL-terminated; NULL when memory runs out. */
static const char **named_paths(const options *o) {
  static const char suppressions[] = ".runbook/suppressions.json";
  const char **paths = calloc((size_t)o->nargs + 2, sizeof *paths);
  struct stat st;
  int n = 0;
  for (int i = 0; paths && i < o->nargs; i++)
    if (stat(o->args[i], &st) == 0)
      paths[n++] = o->args[i];
  if (paths && stat(suppressions, &st) == 0 && S_ISREG(st.st_mode))
    paths[n] = suppressions;
  return paths;
}

int main(int argc, char **argv) {
  options o;
  memset(&o, 0, sizeof o);
  o.args = calloc((size_t)argc, sizeof *o.args);
  if (!o.args)
    return EXIT_RUNTIME;
  int rc = parse_args(argc, argv, &o);
  if (rc < 0)
    rc = rate_limits(getenv("RUNBOOK_RATE_LIMITS"), 1);
  char *data_dir = NULL, *script = NULL;
  const char **read_paths = NULL;
  rb_discovery found;
  memset(&found, 0, sizeof found);
  lua_State *L = NULL;
  if (rc >= 0)
    goto done;
  if (!o.command && rb_is_trust_command(o.script)) {
    rc = rb_trust_command(o.script, o.nargs, o.args);
    goto done;
  }
  data_dir = find_data_dir();
  rb_discovery_input where = {o.plugin_dirs, getenv("RUNBOOK_PATH"),
                              o.command ? NULL : o.script, data_dir};
  int drc = rb_discovery_build(&found, &where);
  if (drc == 1 && !data_dir) {
    fprintf(stderr,
            "runbook: cannot find '%s': no built-in runbooks (share/runbook beside the "
            "binary); reinstall runbook or set RUNBOOK_DATA_DIR\n",
            o.script);
    rc = EXIT_RUNTIME;
    goto done;
  }
  if (drc == 1) {
    rc = usage_error("cannot find the script (give a path, or a name in runbooks/):",
                     o.script);
    goto done;
  }
  script = drc == 0 ? rb_strdup(o.command ? o.script : found.script) : NULL;
  if (!script || !(read_paths = named_paths(&o))) {
    fputs("runbook: out of memory\n", stderr);
    rc = EXIT_RUNTIME;
    goto done;
  }
  rb_lua_env_options env = {data_dir, found.dirs, found.origins, read_paths,
                            o.no_sandbox};
  o.client.debug_write = debug_to_stderr;
  if (!(L = rb_lua_env_new(&env))) {
    fprintf(stderr, "runbook: cannot start Lua: out of memory\n");
    rc = EXIT_RUNTIME;
    goto done;
  }
  rb_lcore_configure(L, &o.client);
  rb_lfix_options fix = {o.yes, o.client.dry_run, o.journal};
  rb_lfix_configure(L, &fix);
  rb_error err;
  rb_error_clear(&err);
  if ((o.client.replay_path || o.client.record_path) && rb_lcore_start(L, &err) != 0) {
    fprintf(stderr, "runbook: %s\n", err.message);
    rc = EXIT_RUNTIME;
    goto done;
  }
  watch_interrupts(L);
  rc = run(L, &o, script);
  unwatch_interrupts(L);
  if (rb_lcore_finish(L, &err) != 0) {
    fprintf(stderr, "runbook: %s\n", err.message);
    rc = EXIT_RUNTIME;
  }
  if (rb_interrupted()) {
    fputs("runbook: interrupted\n", stderr);
    rc = EXIT_SIGNAL_BASE + rb_interrupted();
  }
done:
  if (L)
    lua_close(L);
  free(data_dir);
  free(script);
  free(read_paths);
  rb_discovery_free(&found);
  free(o.args);
  free(o.plugin_dirs);
  fflush(stdout);
  return rc;
}
