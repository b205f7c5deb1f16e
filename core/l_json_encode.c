/* l_json_encode.c — Lua values to cJSON trees (rb_lua_to_cjson) and cJSON trees to JSON
 * text (json.encode), for l_json.c.
 *
 * Uses cJSON to hold the tree, lauxlib, buf.c. The conversion sorts keys, detects cycles,
 * limits depth, checks UTF-8 and keeps integers beyond 2^53 exact; the writer owns number
 * formatting (shortest text that reads back as the same double) and escaping.
 *
 * It must never raise for unencodable values (they fill an rb_error naming the path) and
 * never leave malloc'ed memory unreachable if Lua raises a memory error: every node is
 * attached to the tree in the caller's box before the next Lua call. */
#include "l_json.h"

#include "l_json_int.h"

#include <lauxlib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Byte offset of the first invalid sequence, or len when all of s is valid. */
static size_t utf8_invalid_at(const char *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    size_t n = ljson_utf8_seq((const unsigned char *)s + i, len - i);
    if (!n)
      return i;
    i += n;
  }
  return len;
}

/* ---- Lua -> cJSON ---- */

typedef struct path_elem {
  const char *key; /* NULL for an array index */
  size_t len;
  lua_Integer index;
} path_elem;

/* Lives in a userdata so a memory error cannot leak it. */
typedef struct enc {
  lua_State *L;
  json_box *box;
  rb_error *err;
  int sort;
  int depth;                               /* tables being converted */
  const void *open[RB_JSON_MAX_DEPTH + 1]; /* ... for cycle detection */
  int plen;                                /* where the current value is: */
  path_elem path[RB_JSON_MAX_DEPTH + 1];
} enc;

static int is_ident(const char *s, size_t len) {
  if (!len || len > 64)
    return 0;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
          (i > 0 && c >= '0' && c <= '9')))
      return 0;
  }
  return 1;
}

/* "$.Tags[2].Key", or $["odd key"] for keys that are not identifiers. */
static void path_text(const enc *e, char *out, size_t n) {
  size_t used = (size_t)snprintf(out, n, "$");
  for (int i = 0; i < e->plen && used < n; i++) {
    const path_elem *p = &e->path[i];
    if (!p->key)
      used += (size_t)snprintf(out + used, n - used, "[%lld]", (long long)p->index);
    else if (is_ident(p->key, p->len))
      used += (size_t)snprintf(out + used, n - used, ".%.*s", (int)p->len, p->key);
    else
      used += (size_t)snprintf(out + used, n - used, "[\"%.*s\"]",
                               (int)(p->len > 40 ? 40 : p->len), p->key);
  }
}

static int enc_fail(enc *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int enc_fail(enc *e, const char *fmt, ...) {
  char path[256], why[256];
  path_text(e, path, sizeof path);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  rb_error_set(e->err, "InvalidJSONValue", "cannot encode '%s': %s", path, why);
  return -1;
}

/* Hangs `node` under its parent (or makes it the root) before anything else can fail. */
static int attach(enc *e, cJSON *parent, const char *key, cJSON *node) {
  int ok = node != NULL;
  if (ok && !parent)
    e->box->root = node;
  else if (ok)
    ok = key ? cJSON_AddItemToObject(parent, key, node)
             : cJSON_AddItemToArray(parent, node);
  if (ok)
    return 0;
  cJSON_Delete(node);
  rb_error_set(e->err, "OutOfMemory", "cannot encode JSON: out of memory");
  return -1;
}

/* A UTF-8, NUL-free Lua string: the only kind JSON strings and cJSON keys can hold. */
static int check_text(enc *e, const char *s, size_t len, const char *what) {
  if (memchr(s, '\0', len))
    return enc_fail(e, "%s contains a NUL byte", what);
  size_t bad = utf8_invalid_at(s, len);
  if (bad < len)
    return enc_fail(e, "invalid UTF-8 in %s at byte %zu", what, bad + 1);
  return 0;
}

static int convert(enc *e, cJSON *parent, const char *key);

static int convert_number(enc *e, cJSON *parent, const char *key) {
  lua_State *L = e->L;
  if (!lua_isinteger(L, -1)) {
    double d = lua_tonumber(L, -1);
    if (!isfinite(d))
      return enc_fail(e, "NaN and infinity are not JSON");
    return attach(e, parent, key, cJSON_CreateNumber(d));
  }
  lua_Integer i = lua_tointeger(L, -1);
  cJSON *node = cJSON_CreateNumber((double)i);
  if (node && (i > SAFE_INT || i < -SAFE_INT)) {
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%lld", (long long)i);
    node->valuestring = cJSON_malloc((size_t)n + 1);
    if (!node->valuestring) {
      cJSON_Delete(node);
      node = NULL;
    } else {
      memcpy(node->valuestring, digits, (size_t)n + 1);
    }
  }
  return attach(e, parent, key, node);
}

static int convert_string(enc *e, cJSON *parent, const char *key) {
  size_t len;
  const char *s = lua_tolstring(e->L, -1, &len);
  if (check_text(e, s, len, "string") != 0)
    return -1;
  return attach(e, parent, key, cJSON_CreateString(s));
}

static int convert_array(enc *e, cJSON *parent, const char *key, lua_Integer n) {
  lua_State *L = e->L;
  cJSON *node = cJSON_CreateArray();
  if (attach(e, parent, key, node) != 0)
    return -1;
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, i);
    e->path[e->plen++] = (path_elem){NULL, 0, i};
    if (convert(e, node, NULL) != 0)
      return -1;
    e->plen--;
    lua_pop(L, 1);
  }
  return 0;
}

typedef struct keyref {
  const char *s; /* anchored in the keys table */
  size_t len;
  int slot;   /* index in the keys table */
  int is_int; /* the Lua key is the integer `ival`, not the string */
  lua_Integer ival;
} keyref;

static int keyref_cmp(const void *a, const void *b) {
  const keyref *x = a, *y = b;
  int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
  return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Collects the keys of the table at `t` as strings into refs (n of them). */
static int collect_keys(enc *e, int t, int kt, keyref *refs, size_t n) {
  lua_State *L = e->L;
  size_t i = 0;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    lua_pop(L, 1);
    if (i == n) { /* cannot happen: the table was counted just before */
      lua_pop(L, 1);
      break;
    }
    keyref r = {0};
    if (lua_type(L, -1) == LUA_TSTRING) {
      lua_pushvalue(L, -1);
    } else if (lua_isinteger(L, -1)) {
      r.is_int = 1;
      r.ival = lua_tointeger(L, -1);
      lua_pushfstring(L, "%I", (LUAI_UACINT)r.ival);
    } else if (lua_type(L, -1) == LUA_TNUMBER) {
      return enc_fail(e, "keys must be strings or integers, got %.17g",
                      lua_tonumber(L, -1));
    } else {
      return enc_fail(e, "keys must be strings or integers, got a %s",
                      luaL_typename(L, -1));
    }
    r.s = lua_tolstring(L, -1, &r.len);
    if (check_text(e, r.s, r.len, "key") != 0)
      return -1;
    r.slot = (int)i + 1;
    refs[i++] = r;
    lua_rawseti(L, kt, r.slot);
  }
  return 0;
}

/* 1 and "1" would both become the member "1". */
static int check_unique(enc *e, keyref *refs, size_t n) {
  keyref *sorted = refs;
  if (!e->sort) {
    sorted = lua_newuserdatauv(e->L, n * sizeof *refs, 0);
    memcpy(sorted, refs, n * sizeof *refs);
    qsort(sorted, n, sizeof *sorted, keyref_cmp);
  }
  for (size_t i = 1; i < n; i++)
    if (keyref_cmp(&sorted[i - 1], &sorted[i]) == 0)
      return enc_fail(e, "keys %.*s and \"%.*s\" collide", (int)sorted[i].len,
                      sorted[i].s, (int)sorted[i].len, sorted[i].s);
  return 0;
}

static int convert_object(enc *e, cJSON *parent, const char *key, size_t n, int mixed) {
  lua_State *L = e->L;
  int t = lua_absindex(L, -1);
  lua_createtable(L, (int)n, 0);
  int kt = lua_gettop(L);
  keyref *refs = lua_newuserdatauv(L, n ? n * sizeof *refs : 1, 0);
  if (collect_keys(e, t, kt, refs, n) != 0)
    return -1;
  if (e->sort)
    qsort(refs, n, sizeof *refs, keyref_cmp);
  if (mixed && check_unique(e, refs, n) != 0)
    return -1;
  cJSON *node = cJSON_CreateObject();
  if (attach(e, parent, key, node) != 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    if (refs[i].is_int) {
      lua_rawgeti(L, t, refs[i].ival);
    } else {
      lua_rawgeti(L, kt, refs[i].slot);
      lua_rawget(L, t);
    }
    e->path[e->plen++] = (path_elem){refs[i].s, refs[i].len, 0};
    if (convert(e, node, refs[i].s) != 0)
      return -1;
    e->plen--;
    lua_pop(L, 1);
  }
  lua_settop(L, t);
  return 0;
}

static int convert_table(enc *e, cJSON *parent, const char *key) {
  lua_State *L = e->L;
  if (rb_lua_is_json_null(L, -1))
    return attach(e, parent, key, cJSON_CreateNull());
  const void *self = lua_topointer(L, -1);
  for (int i = 0; i < e->depth; i++)
    if (e->open[i] == self)
      return enc_fail(e, "the table contains itself (a cycle)");
  if (e->depth >= RB_JSON_MAX_DEPTH)
    return enc_fail(e, "nesting deeper than %d levels", RB_JSON_MAX_DEPTH);
  luaL_checkstack(L, 8, "JSON nested too deeply");
  /* Keys 1..n and nothing else make a sequence. */
  size_t n = 0;
  lua_Integer max = 0;
  int ints = 0, others = 0;
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    n++;
    if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1) {
      ints++;
      if (lua_tointeger(L, -1) > max)
        max = lua_tointeger(L, -1);
    } else {
      others++;
    }
  }
  int sequence = n > 0 && !others && (size_t)max == n;
  int shape = ljson_marked_shape(L, -1);
  if (shape == SHAPE_ARRAY && n > 0 && !sequence)
    return enc_fail(e, "a json.array table has keys other than 1..n");
  e->open[e->depth++] = self;
  int rc = shape == SHAPE_ARRAY || (shape == SHAPE_NONE && sequence)
               ? convert_array(e, parent, key, (lua_Integer)n)
               : convert_object(e, parent, key, n, ints && others);
  e->depth--;
  return rc;
}

/* Converts the value on top of the stack (leaves it there). */
static int convert(enc *e, cJSON *parent, const char *key) {
  lua_State *L = e->L;
  switch (lua_type(L, -1)) {
    case LUA_TNIL:
      return attach(e, parent, key, cJSON_CreateNull());
    case LUA_TBOOLEAN:
      return attach(e, parent, key, cJSON_CreateBool(lua_toboolean(L, -1)));
    case LUA_TNUMBER:
      return convert_number(e, parent, key);
    case LUA_TSTRING:
      return convert_string(e, parent, key);
    case LUA_TTABLE:
      return convert_table(e, parent, key);
    default:
      return enc_fail(e, "values of type '%s' are not JSON", luaL_typename(L, -1));
  }
}

/* Builds box->root from the value at idx; the stack is restored either way. */
int ljson_build_tree(lua_State *L, int idx, json_box *box, int sort, rb_error *err) {
  int top = lua_gettop(L);
  enc *e = lua_newuserdatauv(L, sizeof *e, 0);
  e->L = L;
  e->box = box;
  e->err = err;
  e->sort = sort;
  e->depth = 0;
  e->plen = 0;
  lua_pushvalue(L, idx);
  int rc = convert(e, NULL, NULL);
  lua_settop(L, top);
  if (rc != 0) {
    cJSON_Delete(box->root);
    box->root = NULL;
  }
  return rc;
}

cJSON *rb_lua_to_cjson(lua_State *L, int idx, rb_error *err) {
  idx = lua_absindex(L, idx);
  json_box *box = ljson_box_push(L);
  cJSON *root = NULL;
  if (ljson_build_tree(L, idx, box, 1, err) == 0) {
    root = box->root;
    box->root = NULL;
  }
  lua_pop(L, 1);
  return root;
}

/* ---- writing JSON text ---- */

static int write_string(rb_buf *b, const char *s) {
  static const char hex[] = "0123456789abcdef";
  int rc = rb_buf_putc(b, '"');
  const char *run = s;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    const char *esc = c == '"'    ? "\\\""
                      : c == '\\' ? "\\\\"
                      : c == '\n' ? "\\n"
                      : c == '\r' ? "\\r"
                      : c == '\t' ? "\\t"
                      : c == '\b' ? "\\b"
                      : c == '\f' ? "\\f"
                                  : NULL;
    if (!esc && c >= 0x20)
      continue;
    rc |= rb_buf_append(b, run, (size_t)(s - run));
    run = s + 1;
    if (esc) {
      rc |= rb_buf_puts(b, esc);
    } else {
      char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
      rc |= rb_buf_puts(b, u);
    }
  }
  rc |= rb_buf_append(b, run, (size_t)(s - run));
  return rc | rb_buf_putc(b, '"');
}

/* The shortest of %.15g..%.17g that reads back as the same double; '.' whatever the
 * locale says. */
static int write_double(rb_buf *b, double d) {
  char tmp[40];
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*g", prec, d);
    if (strtod(tmp, NULL) == d)
      break;
  }
  for (char *p = tmp; *p; p++)
    if (!strchr("0123456789eE+-", *p))
      *p = '.';
  return rb_buf_puts(b, tmp);
}

static int write_indent(rb_buf *b, int pretty, int level) {
  int rc = 0;
  if (!pretty)
    return 0;
  rc |= rb_buf_putc(b, '\n');
  for (int i = 0; i < level; i++)
    rc |= rb_buf_puts(b, "  ");
  return rc;
}

static int write_value(rb_buf *b, const cJSON *v, int pretty, int level);

static int write_container(rb_buf *b, const cJSON *v, int pretty, int level) {
  int object = cJSON_IsObject(v);
  int rc = rb_buf_putc(b, object ? '{' : '[');
  for (const cJSON *c = v->child; c; c = c->next) {
    if (c != v->child)
      rc |= rb_buf_putc(b, ',');
    rc |= write_indent(b, pretty, level + 1);
    if (object) {
      rc |= write_string(b, c->string ? c->string : "");
      rc |= rb_buf_puts(b, pretty ? ": " : ":");
    }
    rc |= write_value(b, c, pretty, level + 1);
  }
  if (v->child)
    rc |= write_indent(b, pretty, level);
  return rc | rb_buf_putc(b, object ? '}' : ']');
}

static int write_value(rb_buf *b, const cJSON *v, int pretty, int level) {
  switch (v->type & 0xFF) {
    case cJSON_False:
      return rb_buf_puts(b, "false");
    case cJSON_True:
      return rb_buf_puts(b, "true");
    case cJSON_Number:
      return v->valuestring ? rb_buf_puts(b, v->valuestring)
                            : write_double(b, v->valuedouble);
    case cJSON_String:
      return write_string(b, v->valuestring ? v->valuestring : "");
    case cJSON_Raw:
      return rb_buf_puts(b, v->valuestring ? v->valuestring : "null");
    case cJSON_Array:
    case cJSON_Object:
      return write_container(b, v, pretty, level);
    default:
      return rb_buf_puts(b, "null");
  }
}

int ljson_write(rb_buf *b, const cJSON *v, int pretty) {
  return write_value(b, v, pretty, 0);
}
