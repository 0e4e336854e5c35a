//! Specification of the response's field lines: what a handler may set, how each is written, and what is refused.

use super::*;

fn written(fields: &ResponseFields, keep_connection: bool) -> String {
    let mut out = Vec::new();
    fields.write(&mut out, keep_connection);
    String::from_utf8(out).unwrap()
}

fn lines() -> ResponseFields {
    let mut fields =
        ResponseFields::with_content_type(ContentTypeLine::new(b"content-type: text/plain\r\n"));
    for (name, value) in [("Server", "tide"), ("x-a", "1"), ("X-A", "2")] {
        fields.append(name, value).unwrap();
    }
    fields
}

#[test]
fn lines_are_read_back_by_any_case_and_written_in_order() {
    let fields = lines();
    assert_eq!(fields.get("SERVER"), Some(&b"tide"[..]));
    assert_eq!(fields.get("Content-Type"), Some(&b"text/plain"[..]));
    assert_eq!(fields.values("x-a").collect::<Vec<_>>(), [b"1", b"2"]);
    assert_eq!(
        written(&fields, false),
        "content-type: text/plain\r\nserver: tide\r\nx-a: 1\r\nx-a: 2\r\n"
    );
    assert_eq!(fields.facts(), FieldFacts::default());
}

#[test]
fn removing_keeps_the_others() {
    let mut fields = lines();
    fields.remove("X-a");
    fields.remove("content-type");
    assert_eq!(fields.get("x-a"), None);
    assert_eq!(written(&fields, false), "server: tide\r\n");
}

#[test]
fn framing_and_connection_fields_are_left_to_the_engine() {
    let mut fields = ResponseFields::default();
    for (name, value) in [
        ("content-length", "3"),
        ("Transfer-Encoding", "chunked"),
        ("connection", "close"),
        ("date", "today"),
    ] {
        fields.append(name, value).unwrap();
    }
    assert_eq!(
        fields.facts(),
        FieldFacts {
            has_date: true,
            says_close: true
        }
    );
    assert_eq!(written(&fields, false), "date: today\r\n");
    assert_eq!(
        written(&fields, true),
        "connection: close\r\ndate: today\r\n"
    );
}

#[test]
fn the_map_holds_the_same_fields_and_is_then_what_is_kept() {
    let mut fields = lines();
    let map = fields.map_mut();
    assert_eq!(map.len(), 4);
    assert_eq!(map["server"], "tide");
    map.insert("x-b", HeaderValue::from_static("3"));
    assert_eq!(fields.get("x-b"), Some(&b"3"[..]));
    fields.append("x-c", "4").unwrap();
    assert_eq!(
        written(&fields, false),
        "content-type: text/plain\r\nserver: tide\r\nx-a: 1\r\nx-a: 2\r\nx-b: 3\r\nx-c: 4\r\n"
    );
}

#[test]
fn names_and_values_are_checked_as_http_checks_them() {
    for name in ["x-a", "X_A", "a!#$%&'*+-.^_`|~9"] {
        assert_eq!(
            is_field_name(name.as_bytes()),
            HeaderName::from_bytes(name.as_bytes()).is_ok(),
            "{name}"
        );
    }
    for name in ["", "a b", "a:b", "a\u{e9}", "(a)"] {
        assert!(!is_field_name(name.as_bytes()), "{name}");
    }
    for value in ["", "a b\tc", "~", "\u{e9}", "a\r\nb", "\u{7f}", "\0"] {
        assert_eq!(
            is_field_value(value.as_bytes()),
            HeaderValue::from_str(value).is_ok(),
            "{value:?}"
        );
    }
}

/// A `Lines` and a `Map` holding the same fields as [`lines`].
fn both_forms() -> [ResponseFields; 2] {
    let mut map = lines();
    map.map_mut();
    [lines(), map]
}

#[test]
fn a_refused_field_changes_nothing_and_the_name_is_checked_first() {
    for mut fields in both_forms() {
        let before = written(&fields, false);
        let cases = [
            ("", "v", InvalidField::Name),
            ("a b", "v", InvalidField::Name),
            ("x-\u{e9}", "v", InvalidField::Name),
            ("x-ok", "a\r\nb", InvalidField::Value),
            ("x-ok", "\0", InvalidField::Value),
            ("bad:name", "a\nb", InvalidField::Name),
        ];
        for (name, value, refused) in cases {
            assert_eq!(
                fields.append(name, value),
                Err(refused),
                "{name:?} {value:?}"
            );
            assert_eq!(
                fields.insert(name, value),
                Err(refused),
                "{name:?} {value:?}"
            );
            assert_eq!(written(&fields, false), before, "{name:?} {value:?}");
        }
        // A refused value for a name already set leaves its values as they were.
        assert_eq!(fields.insert("x-a", "1\r\n2"), Err(InvalidField::Value));
        assert_eq!(written(&fields, false), before);
    }
}

#[test]
fn inserting_replaces_every_earlier_value_in_any_case_and_keeps_the_rest_in_order() {
    for mut fields in both_forms() {
        fields.insert("X-a", "3").unwrap();
        assert_eq!(fields.values("x-A").collect::<Vec<_>>(), [b"3"]);
        assert_eq!(fields.get("server"), Some(&b"tide"[..]));
    }
    let mut fields = lines();
    fields.append("x-b", "4").unwrap();
    fields.insert("X-A", "5").unwrap();
    assert_eq!(
        written(&fields, false),
        "content-type: text/plain\r\nserver: tide\r\nx-b: 4\r\nx-a: 5\r\n"
    );
    // The first field set by name has nothing before it to look through.
    let mut fields = ResponseFields::default();
    fields.insert("X-Only", "1").unwrap();
    fields.insert("x-only", "2").unwrap();
    assert_eq!(written(&fields, false), "x-only: 2\r\n");
}

#[test]
fn a_content_type_set_by_name_replaces_the_constant_one() {
    let mut fields = lines();
    fields.insert("Content-Type", "text/html").unwrap();
    assert_eq!(
        fields.values("content-type").collect::<Vec<_>>(),
        [b"text/html"]
    );
    assert_eq!(
        written(&fields, false),
        "server: tide\r\nx-a: 1\r\nx-a: 2\r\ncontent-type: text/html\r\n"
    );
    fields.remove("CONTENT-TYPE");
    assert_eq!(fields.get("content-type"), None);
    let map = lines().to_map();
    assert_eq!(map[CONTENT_TYPE], "text/plain");
}

#[test]
fn the_fields_the_engine_cares_about_are_noticed_however_they_are_set() {
    let mut fields = lines();
    assert!(
        fields.plain_lines().is_some(),
        "nothing special: written as kept"
    );
    fields.insert("Date", "today").unwrap();
    assert!(fields.plain_lines().is_none());
    assert!(fields.facts().has_date);
    fields.insert("date", "tomorrow").unwrap();
    assert_eq!(fields.values("date").collect::<Vec<_>>(), [b"tomorrow"]);
    fields.remove("DATE");
    assert_eq!(fields.facts(), FieldFacts::default());
    assert!(fields.plain_lines().is_some(), "no special line left");
    fields.append("Connection", "close").unwrap();
    fields.append("x-c", "1").unwrap();
    fields.remove("x-c");
    assert!(
        fields.facts().says_close,
        "the special line that stays is still seen"
    );
    let mut map = lines();
    map.map_mut();
    assert!(
        map.plain_lines().is_none(),
        "a map is always looked through"
    );
}

#[test]
fn the_name_table_and_the_text_rule_agree_with_the_scan_on_every_byte() {
    for b in 0..=255u8 {
        let expected = if is_token(b) {
            b.to_ascii_lowercase()
        } else {
            NOT_IN_NAMES
        };
        assert_eq!(NAME_BYTES[b as usize], expected, "{b:#x}");
        assert_eq!(is_text(b), is_value_byte(b), "{b:#x}");
    }
}

#[test]
fn a_content_type_line_holds_its_value() {
    const JSON: ContentTypeLine = ContentTypeLine::new(b"content-type: application/json\r\n");
    assert_eq!(JSON.value(), b"application/json");
    assert_eq!(JSON.header_value().unwrap(), "application/json");
}

#[test]
#[should_panic(expected = "not a content-type line")]
fn a_line_of_another_field_is_no_content_type_line() {
    ContentTypeLine::new(b"content-length: 3\r\n");
}

#[test]
#[should_panic(expected = "not a content-type value")]
fn a_content_type_line_holds_one_line() {
    ContentTypeLine::new(b"content-type: a\r\nx-injected: 1\r\n");
}
