/* xml.h — a small read-only XML DOM for AWS query/ec2 responses, built with expat.
 *
 * Elements keep their local name (any "prefix:" is dropped), the character data directly
 * inside them (concatenated, entities decoded) and their child elements in document
 * order. Attributes, comments and processing instructions are dropped. A document type
 * declaration is refused (AWS never sends one; it is the door to entity tricks). Limits
 * on depth, element count and input size keep a hostile body from exhausting memory. */
#ifndef RB_XML_H
#define RB_XML_H

#include "error.h"

#include <stddef.h>

typedef struct rb_xml_node {
  char *name;                     /* local name, never NULL */
  char *text;                     /* character data directly inside, "" when none */
  size_t text_len;                /* bytes in text (no NUL counted) */
  struct rb_xml_node *parent;     /* NULL for the root */
  struct rb_xml_node *children;   /* first child element or NULL */
  struct rb_xml_node *last_child; /* for appending; NULL when no children */
  struct rb_xml_node *next;       /* next sibling element or NULL */
  size_t child_count;
} rb_xml_node;

typedef struct rb_xml_limits {
  size_t max_depth; /* deepest element nesting accepted */
  size_t max_nodes; /* elements in the whole document */
  size_t max_bytes; /* input size */
} rb_xml_limits;

/* The defaults used when rb_xml_parse gets limits == NULL: depth 100, 1,000,000
 * elements, 64 MiB of input. */
extern const rb_xml_limits rb_xml_default_limits;

/* Parses `len` bytes into a tree; *out receives the root (free with rb_xml_free).
 * On failure returns -1, *out is NULL and err has code "XmlParseError" (message names
 * the line and column: "invalid xml at line 3, column 7: mismatched tag") or
 * "XmlTooLarge" (a limit was hit). */
int rb_xml_parse(const char *data, size_t len, const rb_xml_limits *limits,
                 rb_xml_node **out, rb_error *err);
void rb_xml_free(rb_xml_node *root);

/* The first child element named `name` (local name, case-sensitive) or NULL. */
const rb_xml_node *rb_xml_child(const rb_xml_node *n, const char *name);
/* The next sibling after `n` with the same name, or NULL: iterates repeated elements. */
const rb_xml_node *rb_xml_next_same(const rb_xml_node *n);
/* The text of the first child named `name`, or NULL when there is no such child. */
const char *rb_xml_child_text(const rb_xml_node *n, const char *name);
/* Follows a '/'-separated path of child names ("Errors/Error/Code"); NULL if absent. */
const rb_xml_node *rb_xml_path(const rb_xml_node *n, const char *path);

#endif
