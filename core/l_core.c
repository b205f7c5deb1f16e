/* l_core.c — `runbook.core`: queue AWS calls, collect their completions, describe
 * operations.
 *
 * Uses client.c, model.c, l_json.c and l_util.c (the error table). The Lua scheduler
 * (core/lua/runbook.lua) parks a task on the id returned by submit and resumes it when
 * poll reports that id; code outside a task calls wait, which drives the loop until that
 * one call is done. Completions are queued in C and never call into Lua from a libcurl
 * callback. Expected failures return nil, err; only misuse (wrong argument types)
 * raises.
 *
 * The client lives in a userdata in the registry, so it is freed by __gc even when a
 * script raises; rb_lcore_finish frees it earlier to write the recording before exit.
 *
 * It also keeps what the count hook of main.c asks about a task (a coroutine): its
 * deadline (set_deadline: a task that runs past it without yielding is stopped, as Redis
 * stops a runaway script), and whether an interrupt is left to Lua in it
 * (catch_interrupt). A deadline lives in the thread's extra space, so the hook reads it
 * without touching the Lua stack; the hook must never allocate on its fast path. */
#include "l_core.h"

#include "buf.h"
#include "interrupt.h"
#include "l_json.h"
#include "l_model.h"
#include "l_util.h"
#include "model.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define CATCHER_KEY "runbook.core.interrupt_catcher" /* registry slot of that task */

/* A thread's deadline (monotonic seconds): 0 none, < 0 passed (the hook keeps raising) */
_Static_assert(LUA_EXTRASPACE >= sizeof(double), "a deadline fits in the extra space");

#define STATE_KEY "runbook.core.state"       /* registry slot of the state */
#define STATE_META "runbook.core.state_meta" /* its metatable */

typedef struct completion {
  lua_Integer id;
  cJSON *result;
  rb_error err;
  int done;
  double paced_from, paced_until; /* when it was told to wait for a published rate
                                     (quotas.h), and until when (core.clock seconds) */
  struct completion *next;
} completion;

typedef struct core_state {
  rb_client_config cfg;
  char *strings[5]; /* owned copies of cfg's strings */
  rb_client *client;
  rb_error client_err; /* why the client could not be made, reported on each call */
  int client_failed;
  lua_Integer next_id;
  completion *pending; /* submitted, not yet collected by poll or wait */
} core_state;

static core_state *state_get(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, STATE_KEY);
  core_state *s = luaL_testudata(L, -1, STATE_META);
  lua_pop(L, 1);
  if (!s)
    luaL_error(L, "runbook.core used before rb_lcore_configure");
  return s;
}

static void state_release(core_state *s) {
  rb_client_free(s->client);
  s->client = NULL;
  while (s->pending) {
    completion *c = s->pending;
    s->pending = c->next;
    cJSON_Delete(c->result);
    free(c);
  }
}

static int state_gc(lua_State *L) {
  core_state *s = luaL_checkudata(L, 1, STATE_META);
  state_release(s);
  for (size_t i = 0; i < sizeof s->strings / sizeof *s->strings; i++)
    free(s->strings[i]);
  memset(s->strings, 0, sizeof s->strings);
  return 0;
}

static double deadline_get(lua_State *L) {
  double d;
  memcpy(&d, lua_getextraspace(L), sizeof d);
  return d;
}

static void deadline_put(lua_State *L, double d) {
  memcpy(lua_getextraspace(L), &d, sizeof d);
}

static double monotonic(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* New threads copy the main thread's extra space: start it with "no deadline". */
static void clear_main_deadline(lua_State *L) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  deadline_put(lua_tothread(L, -1), 0);
  lua_pop(L, 1);
}

void rb_lcore_configure(lua_State *L, const rb_client_config *cfg) {
  clear_main_deadline(L);
  core_state *s = lua_newuserdatauv(L, sizeof *s, 0);
  memset(s, 0, sizeof *s);
  if (luaL_newmetatable(L, STATE_META)) {
    lua_pushcfunction(L, state_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  s->cfg = *cfg;
  const char **fields[] = {&s->cfg.region, &s->cfg.profile, &s->cfg.endpoint_url,
                           &s->cfg.record_path, &s->cfg.replay_path};
  for (size_t i = 0; i < 5; i++)
    *fields[i] = s->strings[i] = rb_strdup(*fields[i]);
  s->next_id = 1;
  lua_setfield(L, LUA_REGISTRYINDEX, STATE_KEY);
}

static double wall_clock(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* The client's word that a call will wait for its operation's published rate. */
static void on_paced(void *ud, double seconds) {
  completion *c = ud;
  double now = wall_clock();
  if (c->paced_until == 0)
    c->paced_from = now;
  if (now + seconds > c->paced_until)
    c->paced_until = now + seconds;
}

static rb_client *client_get(lua_State *L, core_state *s, rb_error *err) {
  if (s->client)
    return s->client;
  if (s->client_failed) {
    *err = s->client_err;
    return NULL;
  }
  s->cfg.paced = on_paced;
  s->client = rb_client_new(&s->cfg, &s->client_err);
  if (!s->client) {
    s->client_failed = 1;
    *err = s->client_err;
  }
  (void)L;
  return s->client;
}

rb_client *rb_lcore_client(lua_State *L, rb_error *err) {
  return client_get(L, state_get(L), err);
}

int rb_lcore_start(lua_State *L, rb_error *err) {
  lua_getfield(L, LUA_REGISTRYINDEX, STATE_KEY);
  core_state *s = luaL_testudata(L, -1, STATE_META);
  lua_pop(L, 1);
  if (!s)
    return rb_error_set(err, "NotConfigured", "the AWS client is not configured");
  return client_get(L, s, err) ? 0 : -1;
}

void rb_lcore_each_secret(lua_State *L, void (*fn)(void *ud, const char *secret),
                          void *ud) {
  lua_getfield(L, LUA_REGISTRYINDEX, STATE_KEY);
  core_state *s = luaL_testudata(L, -1, STATE_META);
  lua_pop(L, 1);
  if (s && s->client)
    rb_client_each_secret(s->client, fn, ud);
}

int rb_lcore_finish(lua_State *L, rb_error *err) {
  lua_getfield(L, LUA_REGISTRYINDEX, STATE_KEY);
  core_state *s = luaL_testudata(L, -1, STATE_META);
  lua_pop(L, 1);
  int rc = 0;
  if (s && s->client)
    rc = rb_client_save_recording(s->client, err);
  if (s)
    state_release(s);
  return rc;
}

static void on_done(void *ud, cJSON *result, const rb_error *err) {
  completion *c = ud;
  c->done = 1;
  c->result = result;
  if (err)
    c->err = *err;
}

/* Reads the target options table at `idx` (may be nil) into `to`; the strings stay
 * owned by the table. Unknown keys and non-string values are misuse and raise. */
static const rb_client_target *check_target(lua_State *L, int idx, rb_client_target *to) {
  static const char *const names[] = {"region",      "profile",      "role_arn",
                                      "external_id", "session_name", "source_profile",
                                      NULL};
  memset(to, 0, sizeof *to);
  if (lua_isnoneornil(L, idx))
    return NULL;
  luaL_checktype(L, idx, LUA_TTABLE);
  const char **fields[] = {&to->region,      &to->profile,      &to->role_arn,
                           &to->external_id, &to->session_name, &to->source_profile};
  for (int i = 0; names[i]; i++) {
    int t = lua_getfield(L, idx, names[i]);
    if (t != LUA_TNIL && t != LUA_TSTRING)
      luaL_error(L, "option '%s' must be a string, not %s", names[i],
                 luaL_typename(L, -1));
    *fields[i] = lua_tostring(L, -1);
    lua_pop(L, 1);
  }
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    const char *key = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    int known = 0;
    for (int i = 0; key && names[i]; i++)
      known |= strcmp(key, names[i]) == 0;
    if (!known)
      luaL_error(L,
                 "unknown call option '%s': use region, profile, role_arn, external_id, "
                 "session_name or source_profile",
                 key ? key : luaL_typename(L, -1));
  }
  return to;
}

/* core.submit(service, operation [, params [, target]]) -> id | nil, err
 * target: {region=, profile=, role_arn=, external_id=, session_name=, source_profile=} */
static int core_submit(lua_State *L) {
  const char *service = luaL_checkstring(L, 1);
  const char *operation = luaL_checkstring(L, 2);
  if (!lua_isnoneornil(L, 3))
    luaL_checktype(L, 3, LUA_TTABLE);
  rb_client_target target_buf;
  const rb_client_target *to = check_target(L, 4, &target_buf);
  core_state *s = state_get(L);
  rb_error err;
  rb_error_clear(&err);
  cJSON *params =
      lua_isnoneornil(L, 3) ? cJSON_CreateObject() : rb_lua_to_cjson(L, 3, &err);
  if (!params)
    return rb_lua_fail(L, &err);
  if (!cJSON_IsObject(params)) {
    cJSON_Delete(params);
    rb_error_set(&err, "InvalidParameter", "parameters of %s %s must be a table of names",
                 service, operation);
    return rb_lua_fail(L, &err);
  }
  completion *c = calloc(1, sizeof *c);
  rb_client *client = c ? client_get(L, s, &err) : NULL;
  if (!c && !err.code[0])
    rb_error_set(&err, "OutOfMemory", "cannot queue %s %s", service, operation);
  if (!client ||
      rb_client_call_to(client, to, service, operation, params, on_done, c, &err) != 0) {
    cJSON_Delete(params);
    free(c);
    return rb_lua_fail(L, &err);
  }
  cJSON_Delete(params);
  c->id = s->next_id++;
  c->next = s->pending;
  s->pending = c;
  lua_pushinteger(L, c->id);
  return 1;
}

static void push_completion(lua_State *L, const completion *c) {
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, c->id);
  lua_setfield(L, -2, "id");
  if (c->paced_until > 0) {
    lua_pushnumber(L, c->paced_from);
    lua_setfield(L, -2, "paced_from");
    lua_pushnumber(L, c->paced_until);
    lua_setfield(L, -2, "paced_until");
  }
  if (c->result) {
    rb_lua_push_cjson(L, c->result);
    lua_setfield(L, -2, "result");
  } else {
    rb_lua_push_error(L, &c->err);
    lua_setfield(L, -2, "err");
  }
}

/* Moves finished completions to a Lua array on the stack; returns how many. */
static int collect(lua_State *L, core_state *s, lua_Integer only_id) {
  int n = 0;
  for (completion **p = &s->pending; *p;) {
    completion *c = *p;
    if (!c->done || (only_id && c->id != only_id)) {
      p = &c->next;
      continue;
    }
    push_completion(L, c);
    lua_rawseti(L, -2, ++n);
    *p = c->next;
    cJSON_Delete(c->result);
    free(c);
  }
  return n;
}

/* core.poll(max_wait_ms) -> {completion...}, pending_count */
static int core_poll(lua_State *L) {
  lua_Integer wait = luaL_optinteger(L, 1, 0);
  core_state *s = state_get(L);
  lua_newtable(L);
  if (!s->client) {
    lua_pushinteger(L, 0);
    return 2;
  }
  if (collect(L, s, 0) == 0) {
    rb_client_run_once(s->client, (long)wait);
    collect(L, s, 0);
  }
  lua_pushinteger(L, rb_client_pending(s->client));
  return 2;
}

/* core.wait(id) -> completion: drives the loop until that call is done (for code that is
 * not running as a task); other completions stay queued for poll. */
static int core_wait(lua_State *L) {
  lua_Integer id = luaL_checkinteger(L, 1);
  core_state *s = state_get(L);
  completion *c = s->pending;
  while (c && c->id != id)
    c = c->next;
  if (!c)
    return luaL_error(L, "no pending call with id %d", (int)id);
  while (!c->done) {
    if (rb_interrupted())
      return luaL_error(L, "interrupted");
    rb_client_run_once(s->client, 100);
  }
  lua_newtable(L);
  collect(L, s, id);
  lua_rawgeti(L, -1, 1);
  return 1;
}

static int core_now(lua_State *L) {
  core_state *s = state_get(L);
  rb_error err;
  rb_client *client = client_get(L, s, &err);
  lua_pushinteger(L,
                  client ? (lua_Integer)rb_client_now(client) : (lua_Integer)time(NULL));
  return 1;
}

static int core_region(lua_State *L) {
  core_state *s = state_get(L);
  rb_error err;
  rb_error_clear(&err);
  rb_client *client = client_get(L, s, &err);
  const char *r = client ? rb_client_region(client, &err) : NULL;
  if (!r)
    return rb_lua_fail(L, &err);
  lua_pushstring(L, r);
  return 1;
}

/* core.use_region(region) -> true | nil, err (see rb_client_use_region) */
static int core_use_region(lua_State *L) {
  const char *region = luaL_checkstring(L, 1);
  core_state *s = state_get(L);
  rb_error err;
  rb_error_clear(&err);
  rb_client *client = client_get(L, s, &err);
  if (!client || rb_client_use_region(client, region, &err) != 0)
    return rb_lua_fail(L, &err);
  lua_pushboolean(L, 1);
  return 1;
}

static int core_stats(lua_State *L) {
  core_state *s = state_get(L);
  rb_client_stats st = {0};
  if (s->client)
    st = rb_client_get_stats(s->client);
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, st.calls);
  lua_setfield(L, -2, "calls");
  lua_pushinteger(L, st.shared);
  lua_setfield(L, -2, "shared");
  lua_pushinteger(L, st.attempts);
  lua_setfield(L, -2, "attempts");
  lua_pushinteger(L, st.retries);
  lua_setfield(L, -2, "retries");
  lua_pushinteger(L, st.throttles);
  lua_setfield(L, -2, "throttles");
  return 1;
}

/* core.limiter_stats() -> {waited = seconds calls were given to wait by published rates,
 * paced = how many attempts waited, throttles = throttling answers retried, attempts} */
static int core_limiter_stats(lua_State *L) {
  core_state *s = state_get(L);
  rb_client_stats st = {0};
  if (s->client)
    st = rb_client_get_stats(s->client);
  lua_createtable(L, 0, 4);
  lua_pushnumber(L, st.waited);
  lua_setfield(L, -2, "waited");
  lua_pushinteger(L, st.paced);
  lua_setfield(L, -2, "paced");
  lua_pushinteger(L, st.throttles);
  lua_setfield(L, -2, "throttles");
  lua_pushinteger(L, st.attempts);
  lua_setfield(L, -2, "attempts");
  return 1;
}

/* core.paced(id) -> from, until: when the pending call `id` was told to wait for its
 * operation's published rate and until when (core.clock seconds); nil when it was not
 * (or no such call is pending) */
static int core_paced(lua_State *L) {
  lua_Integer id = luaL_checkinteger(L, 1);
  core_state *s = state_get(L);
  for (const completion *c = s->pending; c; c = c->next)
    if (c->id == id && c->paced_until > 0) {
      lua_pushnumber(L, c->paced_from);
      lua_pushnumber(L, c->paced_until);
      return 2;
    }
  lua_pushnil(L);
  return 1;
}

/* core.retry_mode() -> "standard" | "adaptive" | "legacy", chosen (true when
 * AWS_RETRY_MODE or the profile set it) | nil, err */
static int core_retry_mode(lua_State *L) {
  core_state *s = state_get(L);
  rb_error err;
  rb_error_clear(&err);
  rb_client *client = client_get(L, s, &err);
  if (!client)
    return rb_lua_fail(L, &err);
  int chosen = 0;
  lua_pushstring(L, rb_client_retry_mode(client, &chosen));
  lua_pushboolean(L, chosen);
  return 2;
}

/* core.set_retry_mode("adaptive"|"standard") -> true | false, why (the environment or
 * the profile chose a mode, which stands) | nil, err; a bad mode is misuse and raises */
static int core_set_retry_mode(lua_State *L) {
  const char *mode = luaL_checkstring(L, 1);
  luaL_argcheck(L, strcmp(mode, "standard") == 0 || strcmp(mode, "adaptive") == 0, 1,
                "retry mode must be 'standard' or 'adaptive'");
  core_state *s = state_get(L);
  rb_error err;
  rb_error_clear(&err);
  rb_client *client = client_get(L, s, &err);
  if (!client)
    return rb_lua_fail(L, &err);
  int rc = rb_client_set_retry_mode(client, mode, &err);
  if (rc < 0)
    return rb_lua_fail(L, &err);
  lua_pushboolean(L, rc == 0);
  if (rc == 0)
    return 1;
  lua_pushfstring(L, "retry mode %s was chosen by AWS_RETRY_MODE or the profile",
                  rb_client_retry_mode(client, NULL));
  return 2;
}

/* core.clock() -> wall-clock seconds as a float, for measuring durations */
static int core_clock(lua_State *L) {
  lua_pushnumber(L, wall_clock());
  return 1;
}

/* ---- what the count hook asks (see l_core.h) ---- */

void rb_lcore_check_deadline(lua_State *L) {
  double d = deadline_get(L);
  if (d == 0 || (d > 0 && monotonic() < d))
    return;
  deadline_put(L, -1);
  /* from now on every instruction raises, so a pcall in the task cannot swallow it */
  lua_sethook(L, lua_gethook(L), LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
  luaL_where(L, 0);
  lua_pushstring(L, "ran past its time limit without yielding (a CPU loop?)");
  lua_concat(L, 2);
  lua_error(L);
}

int rb_lcore_catches_interrupt(lua_State *L) {
  int top = lua_gettop(L), caught = 0;
  if (lua_getfield(L, LUA_REGISTRYINDEX, CATCHER_KEY) == LUA_TTHREAD)
    caught = lua_pushthread(L) || lua_rawequal(L, -1, -2);
  lua_settop(L, top);
  return caught;
}

/* core.set_deadline(co, seconds|nil): co may run `seconds` from now without yielding;
 * after that the count hook raises in it. nil clears. */
static int core_set_deadline(lua_State *L) {
  lua_State *co = lua_tothread(L, 1);
  luaL_argexpected(L, co != NULL, 1, "thread");
  double d = 0;
  if (!lua_isnoneornil(L, 2))
    d = monotonic() + luaL_checknumber(L, 2);
  deadline_put(co, d > 0 ? d : 0);
  return 0;
}

/* core.overran(co) -> whether co was stopped by its deadline (until it is set again) */
static int core_overran(lua_State *L) {
  lua_State *co = lua_tothread(L, 1);
  luaL_argexpected(L, co != NULL, 1, "thread");
  lua_pushboolean(L, deadline_get(co) < 0);
  return 1;
}

/* core.catch_interrupt(co|nil): after Ctrl-C or SIGTERM the count hook raises in every
 * task but co and the main thread (the scheduler), which go on to report; nil: in all. */
static int core_catch_interrupt(lua_State *L) {
  luaL_argexpected(L, lua_isnoneornil(L, 1) || lua_isthread(L, 1), 1, "thread or nil");
  lua_settop(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, CATCHER_KEY);
  return 0;
}

/* core.interrupted() -> the signal that asked the run to stop (2 SIGINT, 15 SIGTERM), or
 * false */
static int core_interrupted(lua_State *L) {
  if (rb_interrupted())
    lua_pushinteger(L, rb_interrupted());
  else
    lua_pushboolean(L, 0);
  return 1;
}

int luaopen_runbook_core(lua_State *L) {
  static const luaL_Reg funcs[] = {{"submit", core_submit},
                                   {"poll", core_poll},
                                   {"wait", core_wait},
                                   {"now", core_now},
                                   {"use_region", core_use_region},
                                   {"region", core_region},
                                   {"stats", core_stats},
                                   {"limiter_stats", core_limiter_stats},
                                   {"paced", core_paced},
                                   {"retry_mode", core_retry_mode},
                                   {"set_retry_mode", core_set_retry_mode},
                                   {"clock", core_clock},
                                   {"set_deadline", core_set_deadline},
                                   {"overran", core_overran},
                                   {"catch_interrupt", core_catch_interrupt},
                                   {"interrupted", core_interrupted},
                                   {NULL, NULL}};
  clear_main_deadline(L);
  luaL_newlib(L, funcs);
  rb_lmodel_register(L);
  return 1;
}
