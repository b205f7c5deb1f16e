/* test_xml.c — the expat DOM: local names, text and entities, child lookups, error
 * positions, and the limits that keep a hostile body from exhausting memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "xml.h"

#include <stdlib.h>
#include <string.h>

static rb_xml_node *parse_ok(const char *text) {
  rb_xml_node *root = NULL;
  rb_error err;
  if (rb_xml_parse(text, strlen(text), NULL, &root, &err) != 0)
    fail_msg("parse failed: %s: %s", err.code, err.message);
  return root;
}

static void parse_fails(const char *text, const rb_xml_limits *limits, const char *code,
                        const char *message) {
  rb_xml_node *root = (rb_xml_node *)1;
  rb_error err;
  assert_int_equal(rb_xml_parse(text, strlen(text), limits, &root, &err), -1);
  assert_null(root);
  assert_string_equal(err.code, code);
  if (message[0] == '~') /* a part of the message (positions vary with expat versions) */
    assert_non_null(strstr(err.message, message + 1));
  else
    assert_string_equal(err.message, message);
}

static void elements_keep_local_names_and_text(void **state) {
  (void)state;
  rb_xml_node *root = parse_ok(
      "<?xml version=\"1.0\"?>\n<ns:GetRoleResponse "
      "xmlns:ns=\"https://iam.amazonaws.com/\">"
      "<ns:GetRoleResult><Role><RoleName>orders &amp; more</RoleName>"
      "<Description><![CDATA[a <b> c]]></Description><Tags/></Role></ns:GetRoleResult>"
      "</ns:GetRoleResponse>");
  assert_string_equal(root->name, "GetRoleResponse");
  assert_null(root->parent);
  const rb_xml_node *role = rb_xml_path(root, "GetRoleResult/Role");
  assert_non_null(role);
  assert_int_equal(role->child_count, 3);
  assert_string_equal(rb_xml_child_text(role, "RoleName"), "orders & more");
  assert_string_equal(rb_xml_child_text(role, "Description"), "a <b> c");
  const rb_xml_node *tags = rb_xml_child(role, "Tags");
  assert_string_equal(tags->text, "");
  assert_int_equal(tags->text_len, 0);
  assert_null(tags->children);
  assert_ptr_equal(tags->parent, role);
  rb_xml_free(root);
}

static void repeated_elements_are_iterated_in_order(void **state) {
  (void)state;
  rb_xml_node *root = parse_ok("<Datapoints><member>1</member><other/><member>2</member>"
                               "<member>3</member></Datapoints>");
  const rb_xml_node *m = rb_xml_child(root, "member");
  assert_string_equal(m->text, "1");
  m = rb_xml_next_same(m);
  assert_string_equal(m->text, "2");
  m = rb_xml_next_same(m);
  assert_string_equal(m->text, "3");
  assert_null(rb_xml_next_same(m));
  rb_xml_free(root);
}

static void lookups_of_missing_children_return_null(void **state) {
  (void)state;
  rb_xml_node *root = parse_ok("<a><b><c>x</c></b></a>");
  assert_null(rb_xml_child(root, "c"));
  assert_null(rb_xml_child_text(root, "zz"));
  assert_null(rb_xml_path(root, "b/zz"));
  assert_null(rb_xml_path(root, "b/c/d"));
  assert_string_equal(rb_xml_path(root, "b/c")->text, "x");
  assert_null(rb_xml_child(NULL, "a"));
  assert_null(rb_xml_next_same(NULL));
  rb_xml_free(root);
}

static void text_of_an_element_with_children_is_only_its_own(void **state) {
  (void)state;
  rb_xml_node *root = parse_ok("<a>\n  <b>inner</b>\n  tail</a>");
  assert_string_equal(root->text, "\n  \n  tail");
  assert_string_equal(rb_xml_child_text(root, "b"), "inner");
  rb_xml_free(root);
}

static void utf8_text_is_kept(void **state) {
  (void)state;
  rb_xml_node *root = parse_ok("<m>caf\xc3\xa9 &#x2603;</m>");
  assert_string_equal(root->text, "caf\xc3\xa9 \xe2\x98\x83");
  rb_xml_free(root);
}

static void mismatched_tag_reports_line_and_column(void **state) {
  (void)state;
  parse_fails("<a>\n  <b></a>", NULL, "XmlParseError",
              "invalid xml at line 2, column 8: mismatched tag");
}

static void truncated_document_is_an_error(void **state) {
  (void)state;
  parse_fails("<a><b>", NULL, "XmlParseError",
              "invalid xml at line 1, column 7: no element found");
}

static void empty_document_is_an_error(void **state) {
  (void)state;
  parse_fails("", NULL, "XmlParseError",
              "invalid xml at line 1, column 1: no element found");
}

static void junk_after_root_is_an_error(void **state) {
  (void)state;
  parse_fails("<a/><b/>", NULL, "XmlParseError",
              "invalid xml at line 1, column 5: junk after document element");
}

static void doctype_is_refused(void **state) {
  (void)state;
  parse_fails("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
              "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]>\n<lolz>&lol2;</lolz>",
              NULL, "XmlParseError", "~document type declarations are not accepted");
  parse_fails("<!DOCTYPE a SYSTEM \"file:///etc/passwd\"><a/>", NULL, "XmlParseError",
              "~invalid xml at line 1, column");
}

static void depth_limit_stops_deep_nesting(void **state) {
  (void)state;
  rb_xml_limits limits = {3, 100, 1000};
  rb_xml_node *root = NULL;
  rb_error err;
  assert_int_equal(rb_xml_parse("<a><b><c/></b></a>", 18, &limits, &root, &err), 0);
  rb_xml_free(root);
  parse_fails("<a><b><c><d/></c></b></a>", &limits, "XmlTooLarge",
              "xml document exceeds the nesting depth limit");
}

static void element_limit_stops_wide_documents(void **state) {
  (void)state;
  rb_xml_limits limits = {10, 3, 1000};
  parse_fails("<a><b/><b/><b/></a>", &limits, "XmlTooLarge",
              "xml document exceeds the element count limit");
}

static void size_limit_is_checked_before_parsing(void **state) {
  (void)state;
  rb_xml_limits limits = {10, 10, 8};
  parse_fails("<abc></abc>", &limits, "XmlTooLarge",
              "xml document exceeds the size limit (8 bytes)");
}

static void default_limits_refuse_a_very_deep_document(void **state) {
  (void)state;
  rb_buf b = RB_BUF_INIT;
  for (int i = 0; i < 200; i++)
    assert_int_equal(rb_buf_puts(&b, "<x>"), 0);
  rb_xml_node *root = (rb_xml_node *)1;
  rb_error err;
  assert_int_equal(rb_xml_parse(b.data, b.len, NULL, &root, &err), -1);
  assert_null(root);
  assert_string_equal(err.code, "XmlTooLarge");
  rb_buf_free(&b);
}

static void large_flat_document_parses_in_chunks(void **state) {
  (void)state;
  rb_buf b = RB_BUF_INIT;
  assert_int_equal(rb_buf_puts(&b, "<events>"), 0);
  for (int i = 0; i < 60000; i++)
    assert_int_equal(rb_buf_printf(&b, "<member><message>line %d</message></member>", i),
                     0);
  assert_int_equal(rb_buf_puts(&b, "</events>"), 0);
  assert_true(b.len > (1u << 21));
  rb_xml_node *root = NULL;
  rb_error err;
  assert_int_equal(rb_xml_parse(b.data, b.len, NULL, &root, &err), 0);
  assert_int_equal(root->child_count, 60000);
  assert_string_equal(rb_xml_child_text(root->last_child, "message"), "line 59999");
  rb_xml_free(root);
  rb_buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(elements_keep_local_names_and_text),
      cmocka_unit_test(repeated_elements_are_iterated_in_order),
      cmocka_unit_test(lookups_of_missing_children_return_null),
      cmocka_unit_test(text_of_an_element_with_children_is_only_its_own),
      cmocka_unit_test(utf8_text_is_kept),
      cmocka_unit_test(mismatched_tag_reports_line_and_column),
      cmocka_unit_test(truncated_document_is_an_error),
      cmocka_unit_test(empty_document_is_an_error),
      cmocka_unit_test(junk_after_root_is_an_error),
      cmocka_unit_test(doctype_is_refused),
      cmocka_unit_test(depth_limit_stops_deep_nesting),
      cmocka_unit_test(element_limit_stops_wide_documents),
      cmocka_unit_test(size_limit_is_checked_before_parsing),
      cmocka_unit_test(default_limits_refuse_a_very_deep_document),
      cmocka_unit_test(large_flat_document_parses_in_chunks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
