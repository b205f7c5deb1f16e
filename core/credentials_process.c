/* credentials_process.c — the credential_process source: runs the profile's command with
 * /bin/sh -c, reads its standard output and parses the JSON the AWS CLI documents
 * ({"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}).
 *
 * Uses posix_spawn and a pipe; the command inherits the process environment, stdin and
 * stderr (so its own diagnostics reach the user directly). Must never put the command's
 * output, or the command line itself, into a message: either may carry secrets. Output is
 * wiped once parsed. */
#include "credentials_int.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_OUTPUT (1024 * 1024)

extern char **environ;

/* Reads fd to EOF into out, stopping with *too_big set past MAX_OUTPUT. 0, or -1. */
static int read_all(int fd, rb_buf *out, int *too_big) {
  char chunk[4096];
  *too_big = 0;
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n == 0)
      return 0;
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (out->len + (size_t)n > MAX_OUTPUT) {
      *too_big = 1;
      return 0;
    }
    if (rb_buf_append(out, chunk, (size_t)n) != 0)
      return -1;
  }
}

static int spawn_shell(const char *command, int out_fd, int close_fd, pid_t *pid) {
  posix_spawn_file_actions_t fa;
  int rc = posix_spawn_file_actions_init(&fa);
  if (rc != 0)
    return rc;
  rc = posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
  if (rc == 0)
    rc = posix_spawn_file_actions_addclose(&fa, close_fd);
  if (rc == 0 && out_fd != STDOUT_FILENO)
    rc = posix_spawn_file_actions_addclose(&fa, out_fd);
  char *argv[] = {"sh", "-c", (char *)command, NULL};
  if (rc == 0)
    rc = posix_spawn(pid, "/bin/sh", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc;
}

/* Runs the command; fills `out` with its stdout and *wstatus. 0, or -1 with err set. */
static int run_command(const char *command, const char *profile, rb_buf *out,
                       int *wstatus, rb_error *err) {
  int fds[2];
  if (pipe(fds) != 0)
    return rb_error_set(err, "CredentialProcessError",
                        "cannot run credential_process of profile '%s': %s", profile,
                        strerror(errno));
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  pid_t pid;
  int rc = spawn_shell(command, fds[1], fds[0], &pid);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return rb_error_set(err, "CredentialProcessError",
                        "cannot run credential_process of profile '%s': %s", profile,
                        strerror(rc));
  }
  int too_big = 0, rd = read_all(fds[0], out, &too_big);
  close(fds[0]); /* a writer still going gets SIGPIPE */
  while (waitpid(pid, wstatus, 0) < 0)
    if (errno != EINTR)
      return rb_error_set(err, "CredentialProcessError",
                          "cannot wait for credential_process of profile '%s': %s",
                          profile, strerror(errno));
  if (rd != 0 || too_big)
    return rb_error_set(err, "CredentialProcessError",
                        too_big
                            ? "credential_process of profile '%s' printed more than 1 MiB"
                            : "cannot read the output of credential_process of profile "
                              "'%s'",
                        profile);
  return 0;
}

static int check_status(int wstatus, const char *profile, rb_error *err) {
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
    return 0;
  if (WIFSIGNALED(wstatus))
    return rb_error_set(err, "CredentialProcessError",
                        "credential_process of profile '%s' was killed by signal %d",
                        profile, WTERMSIG(wstatus));
  return rb_error_set(err, "CredentialProcessError",
                      "credential_process of profile '%s' failed with exit status %d",
                      profile, WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
}

static int parse_output(const rb_cred_ctx *ctx, const char *profile, const rb_buf *text,
                        rb_credentials *out, rb_error *err) {
  cJSON *json = text->len ? cJSON_ParseWithLength(text->data, text->len) : NULL;
  int rc = -1;
  char what[192], source[sizeof out->source];
  snprintf(what, sizeof what, "credential_process of profile '%s'", profile);
  snprintf(source, sizeof source, "process:%s", profile);
  const cJSON *version = cJSON_GetObjectItemCaseSensitive(json, "Version");
  if (!cJSON_IsObject(json))
    rb_error_set(err, "CredentialProcessError", "%s did not print a JSON object", what);
  else if (!cJSON_IsNumber(version) || version->valuedouble != 1)
    rb_error_set(err, "CredentialProcessError", "%s printed no \"Version\": 1", what);
  else
    rc = rb_cred_from_json(json, "SessionToken", what, "CredentialProcessError", source,
                           out, err);
  rb_cred_json_free(json);
  if (rc == 0 && out->expiration && out->expiration <= rb_cred_now(ctx->env)) {
    char when[32];
    rb_cred_format_time(out->expiration, when);
    rb_credentials_free(out);
    rc = rb_error_set(err, "ExpiredCredentials",
                      "%s returned credentials that expired at %s", what, when);
  }
  return rc;
}

int rb_cred_from_process(const rb_cred_ctx *ctx, const char *profile, const char *command,
                         rb_credentials *out, rb_error *err) {
  rb_buf text = RB_BUF_INIT;
  int wstatus = 0;
  int rc = run_command(command, profile, &text, &wstatus, err);
  if (rc == 0)
    rc = check_status(wstatus, profile, err);
  if (rc == 0)
    rc = parse_output(ctx, profile, &text, out, err);
  rb_buf_free_secure(&text);
  return rc == 0 ? 1 : -1;
}
