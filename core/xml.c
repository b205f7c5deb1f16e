/* xml.c — expat-based DOM for AWS XML responses (see xml.h).
 *
 * Uses expat (without namespace processing: names are split at ':' here) and rb_buf for
 * text. It must never expand a document type declaration, never recurse deeper than the
 * depth limit and never hold more than the element limit: a response body is untrusted.
 */
#include "xml.h"

#include "buf.h"

#include <expat.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

const rb_xml_limits rb_xml_default_limits = {100, 1000000, 64u * 1024 * 1024};

enum { XML_OK, XML_LIMIT, XML_DOCTYPE, XML_NOMEM };

typedef struct parse_ctx {
  XML_Parser parser;
  const rb_xml_limits *limits;
  rb_xml_node *root;
  rb_xml_node *cur; /* innermost open element */
  rb_buf *texts;    /* one text buffer per open depth */
  size_t depth;
  size_t nodes;
  int status;
  const char *limit_what;
} parse_ctx;

static void stop(parse_ctx *c, int status) {
  if (c->status == XML_OK)
    c->status = status;
  XML_StopParser(c->parser, XML_FALSE);
}

static rb_xml_node *node_new(const char *qname) {
  const char *colon = strrchr(qname, ':');
  rb_xml_node *n = calloc(1, sizeof *n);
  if (!n)
    return NULL;
  n->name = rb_strdup(colon ? colon + 1 : qname);
  if (!n->name) {
    free(n);
    return NULL;
  }
  return n;
}

static void link_child(rb_xml_node *parent, rb_xml_node *n) {
  n->parent = parent;
  if (parent->last_child)
    parent->last_child->next = n;
  else
    parent->children = n;
  parent->last_child = n;
  parent->child_count++;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs) {
  (void)attrs;
  parse_ctx *c = ud;
  if (c->status != XML_OK)
    return;
  if (c->depth >= c->limits->max_depth || c->nodes >= c->limits->max_nodes) {
    c->limit_what = c->depth >= c->limits->max_depth ? "nesting depth" : "element count";
    stop(c, XML_LIMIT);
    return;
  }
  rb_xml_node *n = node_new(name);
  if (!n) {
    stop(c, XML_NOMEM);
    return;
  }
  if (c->cur)
    link_child(c->cur, n);
  else
    c->root = n;
  c->cur = n;
  c->nodes++;
  rb_buf_reset(&c->texts[c->depth]);
  c->depth++;
}

static void XMLCALL on_end(void *ud, const XML_Char *name) {
  (void)name;
  parse_ctx *c = ud;
  if (c->status != XML_OK || c->depth == 0)
    return;
  rb_buf *t = &c->texts[c->depth - 1];
  c->cur->text_len = t->len;
  c->cur->text = t->len ? rb_buf_detach(t) : rb_strdup("");
  if (!c->cur->text) {
    stop(c, XML_NOMEM);
    return;
  }
  c->cur = c->cur->parent;
  c->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len) {
  parse_ctx *c = ud;
  if (c->status != XML_OK || c->depth == 0 || len <= 0)
    return;
  if (rb_buf_append(&c->texts[c->depth - 1], s, (size_t)len) != 0)
    stop(c, XML_NOMEM);
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal_subset) {
  (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
  stop(ud, XML_DOCTYPE);
}

static int feed(parse_ctx *c, const char *data, size_t len) {
  const size_t chunk = 1u << 20;
  do {
    size_t n = len < chunk ? len : chunk;
    if (XML_Parse(c->parser, data, (int)n, n == len) != XML_STATUS_OK)
      return -1;
    data += n;
    len -= n;
  } while (len > 0);
  return 0;
}

static int report(parse_ctx *c, rb_error *err) {
  switch (c->status) {
    case XML_LIMIT:
      return rb_error_set(err, "XmlTooLarge", "xml document exceeds the %s limit",
                          c->limit_what);
    case XML_NOMEM:
      return rb_error_set(err, "OutOfMemory", "cannot parse xml: out of memory");
    case XML_DOCTYPE:
      return rb_error_set(
          err, "XmlParseError",
          "invalid xml at line %lu, column %lu: document type declarations "
          "are not accepted",
          (unsigned long)XML_GetCurrentLineNumber(c->parser),
          (unsigned long)XML_GetCurrentColumnNumber(c->parser) + 1);
    default:
      return rb_error_set(err, "XmlParseError", "invalid xml at line %lu, column %lu: %s",
                          (unsigned long)XML_GetCurrentLineNumber(c->parser),
                          (unsigned long)XML_GetCurrentColumnNumber(c->parser) + 1,
                          XML_ErrorString(XML_GetErrorCode(c->parser)));
  }
}

static void ctx_free_texts(parse_ctx *c) {
  if (!c->texts)
    return;
  for (size_t i = 0; i < c->limits->max_depth; i++)
    rb_buf_free(&c->texts[i]);
  free(c->texts);
  c->texts = NULL;
}

int rb_xml_parse(const char *data, size_t len, const rb_xml_limits *limits,
                 rb_xml_node **out, rb_error *err) {
  parse_ctx c = {0};
  c.limits = limits ? limits : &rb_xml_default_limits;
  *out = NULL;
  if (len > c.limits->max_bytes)
    return rb_error_set(err, "XmlTooLarge",
                        "xml document exceeds the size limit (%zu bytes)",
                        c.limits->max_bytes);
  c.texts = calloc(c.limits->max_depth ? c.limits->max_depth : 1, sizeof *c.texts);
  c.parser = XML_ParserCreate("UTF-8");
  if (!c.texts || !c.parser) {
    free(c.texts);
    if (c.parser)
      XML_ParserFree(c.parser);
    return rb_error_set(err, "OutOfMemory", "cannot parse xml: out of memory");
  }
  XML_SetUserData(c.parser, &c);
  XML_SetElementHandler(c.parser, on_start, on_end);
  XML_SetCharacterDataHandler(c.parser, on_text);
  XML_SetStartDoctypeDeclHandler(c.parser, on_doctype);
  int rc = 0;
  if (feed(&c, data ? data : "", len) != 0 || c.status != XML_OK) {
    rc = report(&c, err);
    rb_xml_free(c.root);
    c.root = NULL;
  }
  XML_ParserFree(c.parser);
  ctx_free_texts(&c);
  *out = c.root;
  return rc;
}

void rb_xml_free(rb_xml_node *root) {
  if (!root)
    return;
  rb_xml_node *child = root->children;
  while (child) {
    rb_xml_node *next = child->next;
    rb_xml_free(child);
    child = next;
  }
  free(root->name);
  free(root->text);
  free(root);
}

const rb_xml_node *rb_xml_child(const rb_xml_node *n, const char *name) {
  if (!n)
    return NULL;
  for (const rb_xml_node *c = n->children; c; c = c->next)
    if (strcmp(c->name, name) == 0)
      return c;
  return NULL;
}

const rb_xml_node *rb_xml_next_same(const rb_xml_node *n) {
  for (const rb_xml_node *c = n ? n->next : NULL; c; c = c->next)
    if (strcmp(c->name, n->name) == 0)
      return c;
  return NULL;
}

const char *rb_xml_child_text(const rb_xml_node *n, const char *name) {
  const rb_xml_node *c = rb_xml_child(n, name);
  return c ? c->text : NULL;
}

const rb_xml_node *rb_xml_path(const rb_xml_node *n, const char *path) {
  while (n && *path) {
    const char *slash = strchr(path, '/');
    size_t len = slash ? (size_t)(slash - path) : strlen(path);
    const rb_xml_node *found = NULL;
    for (const rb_xml_node *c = n->children; c && !found; c = c->next)
      if (strlen(c->name) == len && memcmp(c->name, path, len) == 0)
        found = c;
    n = found;
    path += len + (slash ? 1 : 0);
  }
  return n;
}
