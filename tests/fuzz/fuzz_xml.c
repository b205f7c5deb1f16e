/* fuzz_xml.c — fuzzes the expat-based XML DOM (xml.c) with whole response bodies.
 *
 * Parses each input twice: with the default limits (then walks the whole tree through
 * the lookup helpers, checking the invariants xml.h promises) and with tight limits, so
 * the depth, element-count and size refusals run too. Must never write anywhere: the
 * input is read-only and the tree is freed before returning. */
#include "fuzz_util.h"
#include "xml.h"

#include <string.h>

static void check(int ok) {
  if (!ok)
    abort(); /* a broken invariant is a bug: let the fuzzer record the input */
}

/* Visits every node: names are never NULL, text_len matches, children link back. */
static size_t walk(const rb_xml_node *n, const rb_xml_node *parent, size_t depth) {
  size_t count = 1, kids = 0;
  check(n->name && n->text && strlen(n->text) <= n->text_len && n->parent == parent);
  check(depth <= rb_xml_default_limits.max_depth);
  for (const rb_xml_node *c = n->children; c; c = c->next) {
    count += walk(c, n, depth + 1);
    kids++;
    check(c->next || c == n->last_child);
    /* the lookups must find something for every name that is there */
    const rb_xml_node *first = rb_xml_child(n, c->name);
    check(first != NULL && strcmp(first->name, c->name) == 0);
    const rb_xml_node *same = rb_xml_next_same(first);
    check(!same || strcmp(same->name, c->name) == 0);
    check(rb_xml_child_text(n, c->name) == first->text);
    /* "a:" has the empty local name, and the empty path is the node itself */
    check(!c->name[0] || rb_xml_path(n, c->name) == first);
  }
  check(kids == n->child_count);
  return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rb_xml_node *root = (rb_xml_node *)1;
  rb_error err;
  memset(&err, 0, sizeof err);
  if (rb_xml_parse((const char *)data, size, NULL, &root, &err) == 0) {
    check(root != NULL);
    walk(root, NULL, 1);
    rb_xml_path(root, "Errors/Error/Code");
    rb_xml_path(root, "ResponseMetadata/RequestId");
    rb_xml_free(root);
  } else {
    check(root == NULL && err.code[0] && err.message[0]);
  }

  const rb_xml_limits tight = {4, 32, 2048};
  root = (rb_xml_node *)1;
  if (rb_xml_parse((const char *)data, size, &tight, &root, &err) == 0)
    rb_xml_free(root);
  else
    check(root == NULL);
  return 0;
}
