//! The JSON of the API, pinned byte for byte: field names and their order,
//! the lowercase names of kinds, levels, statuses and severities, dates as
//! `YYYY-MM-DD`, the `null`s, and the OpenAPI description of it all. The
//! answers of the router over the shared fixture index are compared with
//! the files in `tests/it/snapshots/`, stored indented (one value a line, so
//! a change shows as a readable diff) but compared exactly.
//!
//! Only what changes from run to run is masked: `took_ms`, and `score`,
//! which the ranking's tuning moves without changing the contract. After a
//! deliberate change of the API, rewrite the files with
//! `UPDATE_SNAPSHOTS=1 cargo test --test it -- api_json::` and review the diff.

use std::path::{Path, PathBuf};

use crate::common::App;

/// Each pinned answer: its snapshot's name and the request.
const PINNED: &[(&str, &str)] = &[
    ("search-return-goods", "/api/search?q=七日内退货"),
    ("search-prepaid-card", "/api/search?q=预付卡"),
    ("search-prepaid-card-by-date", "/api/search?q=预付卡&sort=date&per_page=3"),
    ("search-nothing-found", "/api/search?q=yfk"),
    ("warnings", "/api/warnings"),
    ("warnings-all", "/api/warnings?active=false"),
    ("document-law", "/api/docs/laws/sample-consumer-law"),
    ("document-guide", "/api/docs/guides/return-goods"),
    ("compare-law", "/api/docs/laws/sample-consumer-law/compare"),
    ("openapi", "/api/openapi.json"),
];

#[tokio::test]
async fn api_answers_keep_their_exact_json() {
    let app = App::fixture().await;
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut differ = Vec::new();
    for (name, uri) in PINNED {
        let answer = app.get(uri).await;
        assert_eq!(answer.status, 200, "{uri}: {}", answer.text);
        let actual = indent(&mask(&answer.text, &["took_ms", "score"]));
        let path = snapshot(name);
        if update {
            std::fs::write(&path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("{}: {error} (UPDATE_SNAPSHOTS=1 writes it)", path.display()));
        if actual != expected {
            differ.push(format!("{uri} differs from {}:\n{}", path.display(), first_difference(&expected, &actual)));
        }
    }
    assert!(differ.is_empty(), "{}\n(UPDATE_SNAPSHOTS=1 accepts the new JSON)", differ.join("\n\n"));
}

#[test]
fn masking_and_indenting_keep_everything_else() {
    let raw = r#"{"a":[1,{"score":0.125,"b":"x,\"{y}\":[z]"}],"took_ms":3.5,"c":null,"d":[],"score":-2e-3}"#;
    let masked = mask(raw, &["took_ms", "score"]);
    assert_eq!(masked, r#"{"a":[1,{"score":"…","b":"x,\"{y}\":[z]"}],"took_ms":"…","c":null,"d":[],"score":"…"}"#);
    let indented = indent(&masked);
    assert_eq!(
        indented,
        "{\n  \"a\": [\n    1,\n    {\n      \"score\": \"…\",\n      \"b\": \"x,\\\"{y}\\\":[z]\"\n    }\n  ],\n  \
         \"took_ms\": \"…\",\n  \"c\": null,\n  \"d\": [],\n  \"score\": \"…\"\n}\n"
    );
    // Nothing but whitespace outside strings was added: the raw text comes back.
    let squeezed = squeeze(&indented);
    assert_eq!(squeezed, masked);
}

fn snapshot(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots").join(format!("{name}.json"))
}

/// `json` (compact, as the API writes it) with the number after each key
/// named in `keys` replaced by `"…"`.
fn mask(json: &str, keys: &[&str]) -> String {
    let mut out = String::with_capacity(json.len());
    let mut rest = json;
    'scan: while !rest.is_empty() {
        for key in keys {
            let pattern = format!("\"{key}\":");
            if let Some(after) = rest.strip_prefix(pattern.as_str()) {
                let end = after.find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c))).unwrap_or(after.len());
                if end > 0 {
                    out.push_str(&pattern);
                    out.push_str("\"…\"");
                    rest = &after[end..];
                    continue 'scan;
                }
            }
        }
        let skip = if rest.starts_with('"') { string_len(rest) } else { rest.chars().next().map_or(1, char::len_utf8) };
        out.push_str(&rest[..skip]);
        rest = &rest[skip..];
    }
    out
}

/// Byte length of the JSON string at the start of `text`, quotes included.
fn string_len(text: &str) -> usize {
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return i + 1,
            _ => {}
        }
    }
    text.len()
}

/// Compact JSON indented by two spaces, one value a line; only whitespace
/// outside strings is added, so [`squeeze`] gives the compact text back.
fn indent(json: &str) -> String {
    let mut out = String::with_capacity(json.len() * 2);
    let mut depth = 0usize;
    let mut rest = json;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    while let Some(c) = rest.chars().next() {
        let len = if c == '"' { string_len(rest) } else { c.len_utf8() };
        let token = &rest[..len];
        rest = &rest[len..];
        match c {
            '{' | '[' if rest.starts_with(['}', ']']) => {
                out.push_str(token);
                out.push_str(&rest[..1]);
                rest = &rest[1..];
            }
            '{' | '[' => {
                out.push_str(token);
                depth += 1;
                newline(&mut out, depth);
            }
            '}' | ']' => {
                depth -= 1;
                newline(&mut out, depth);
                out.push_str(token);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            _ => out.push_str(token),
        }
    }
    out.push('\n');
    out
}

/// [`indent`] undone: the whitespace outside strings taken out.
fn squeeze(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut rest = json;
    while let Some(c) = rest.chars().next() {
        let len = if c == '"' { string_len(rest) } else { c.len_utf8() };
        if !c.is_whitespace() {
            out.push_str(&rest[..len]);
        }
        rest = &rest[len..];
    }
    out
}

/// The first line where `actual` departs from `expected`, with its neighbours.
fn first_difference(expected: &str, actual: &str) -> String {
    let (expected, actual): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let at = expected.iter().zip(&actual).position(|(e, a)| e != a).unwrap_or(expected.len().min(actual.len()));
    let from = at.saturating_sub(3);
    let show = |lines: &[&str]| lines.iter().skip(from).take(7).copied().collect::<Vec<_>>().join("\n");
    format!("line {}\n--- expected\n{}\n+++ actual\n{}", at + 1, show(&expected), show(&actual))
}
