//! The `weiquan` binary as a user runs it.

use crate::common;

use std::process::{Command, Output};

use common::fixture;

fn weiquan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_weiquan")).args(args).env_remove("WEIQUAN_CONTENT").output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[test]
fn index_then_search_as_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    let content = fixture("content");
    let output = weiquan(&["index", "--content", content.to_str().unwrap(), "--index", index.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("索引完成：文档 8 篇，条目 15 个，问题 0 个"), "{}", stdout(&output));

    let output = weiquan(&["search", "七日内退货", "--index", index.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("1. 《示例消费者保护法》 第二十五条"), "{text}");
    assert!(text.contains("【七日内退货】"), "{text}");

    let output = weiquan(&["search", "预付卡", "--index", index.to_str().unwrap(), "--kind", "warning,case", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["total"], 2);
    let hits = json["hits"].as_array().unwrap();
    for hit in hits {
        for key in ["id", "kind", "title", "article", "chapter", "snippet", "score", "date", "status", "level"] {
            assert!(hit.get(key).is_some(), "{key} missing in {hit}");
        }
        assert!(["warning", "case"].contains(&hit["kind"].as_str().unwrap()));
    }
    let output = weiquan(&["search", "第二十五条", "--index", index.to_str().unwrap(), "--json", "--limit", "1"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["hits"][0]["title"], "示例消费者保护法");
    assert_eq!(json["hits"][0]["article"], "第二十五条");
}

#[test]
fn search_builds_a_missing_index_from_the_content_given() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    let content = fixture("content");
    let output =
        weiquan(&["search", "人民大会堂", "--index", index.to_str().unwrap(), "--content", content.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("已重建索引"), "{}", stderr(&output));
    assert!(stdout(&output).contains("《参观指南》"), "{}", stdout(&output));
}

#[test]
fn search_refuses_bad_flags_with_a_message() {
    let output = weiquan(&["search", "预付卡", "--kind", "blog"]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("unknown kind `blog`"), "{}", stderr(&output));
    let output = weiquan(&["search", "预付卡", "--limit", "0"]);
    assert!(!output.status.success());
}

#[test]
fn check_lists_every_problem_and_fails() {
    let invalid = fixture("invalid");
    let output = weiquan(&["check", "--content", invalid.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let problems = stderr(&output);
    assert_eq!(problems.lines().count(), 17, "{problems}");
    assert!(problems.contains("bad.txt:2: no `=>`"), "{problems}");
    assert!(problems.contains("few-questions.md:4: 消费警示 has only 2 questions"), "{problems}");
    assert!(problems.contains("unknown-field.md:3: invalid front matter: unknown field `sevrity`"), "{problems}");
    assert!(problems.contains("bad-bytes.md:4: the file is not valid UTF-8 text"), "{problems}");
    assert!(problems.contains("glossary.toml:8: `格式条款` is defined twice"), "{problems}");
    assert!(problems.contains("glossary.toml:16: `仲裁`: `basis` (仲裁法的规定) cites no article"), "{problems}");
    assert!(problems.contains("unchecked.md:2: 消费警示 has no `checked` date"), "{problems}");
    assert!(stdout(&output).contains("问题 17 个"), "{}", stdout(&output));
}

#[test]
fn check_passes_on_the_shipped_content() {
    let content = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let output = weiquan(&["check", "--content", content.to_str().unwrap()]);
    assert!(output.status.success(), "{}{}", stdout(&output), stderr(&output));
}

#[test]
fn a_missing_index_without_content_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-content");
    let output = weiquan(&[
        "search",
        "预付卡",
        "--index",
        dir.path().join("index").to_str().unwrap(),
        "--content",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("does not exist or is not a folder"), "{}", stderr(&output));
}

#[test]
fn serve_answers_and_stops_cleanly_on_sigterm() {
    use std::io::{BufRead, BufReader, Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let content = fixture("content");
    let static_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static");
    let mut server = Command::new(env!("CARGO_BIN_EXE_weiquan"))
        .args(["serve", "--addr", "127.0.0.1:0", "--content", content.to_str().unwrap()])
        .args(["--index", dir.path().join("index").to_str().unwrap(), "--static", static_dir.to_str().unwrap()])
        .args(["--data", dir.path().join("data").to_str().unwrap()])
        .env_remove("WEIQUAN_CONTENT")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let address = line.trim().rsplit("http://").next().unwrap().to_string();
    assert!(line.starts_with("消费维权知识库已启动"), "{line}");

    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200") && response.contains("\"status\":\"ok\""), "{response}");

    let killed = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = server.wait().unwrap();
    assert!(status.success(), "a clean exit after SIGTERM: {status}");
}

#[test]
fn a_damaged_or_half_deleted_index_is_rebuilt_with_a_log_line() {
    let content = fixture("content");
    type Damage = fn(&std::path::Path);
    let damages: [(&str, Damage); 2] = [
        ("flipped bytes", |file| {
            let mut bytes = std::fs::read(file).unwrap();
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0xff;
            std::fs::write(file, bytes).unwrap();
        }),
        ("deleted file", |file| std::fs::remove_file(file).unwrap()),
    ];
    for (what, damage) in damages {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join("index");
        let (index_arg, content_arg) = (index.to_str().unwrap(), content.to_str().unwrap());
        assert!(weiquan(&["index", "--content", content_arg, "--index", index_arg]).status.success());
        // The largest file of the generation in use: a segment's postings or store.
        let current = std::fs::read_to_string(index.join("CURRENT")).unwrap();
        let largest = std::fs::read_dir(index.join(current.trim()))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .max_by_key(|path| std::fs::metadata(path).unwrap().len())
            .unwrap();
        damage(&largest);
        let output = Command::new(env!("CARGO_BIN_EXE_weiquan"))
            .args(["search", "七日内退货", "--index", index_arg, "--content", content_arg])
            .env("WEIQUAN_LOG", "warn")
            .output()
            .unwrap();
        assert!(output.status.success(), "{what}: {}", stderr(&output));
        assert!(stderr(&output).contains("damaged or unreadable: rebuilding"), "{what}: {}", stderr(&output));
        assert!(stdout(&output).contains("第二十五条"), "{what}: {}", stdout(&output));
    }
}

#[test]
fn eval_scores_one_fixed_half_with_recall_at_100() {
    use weiquan::search::eval::Split;

    let dir = tempfile::tempdir().unwrap();
    let questions = ["七日内退货", "格式条款", "预付款不退", "欺诈 三倍赔偿", "网购退货", "霸王条款无效"];
    let law = |article: &str| format!(r#"{{"title": "示例消费者保护法", "article": "{article}", "grade": 3}}"#);
    let lines: Vec<String> = questions
        .iter()
        .zip(["第二十五条", "第二十六条", "第二十六条之一", "第五十五条", "第二十五条", "第二十六条"])
        .map(|(q, article)| format!(r#"{{"q": "{q}", "relevant": [{}]}}"#, law(article)))
        .collect();
    let judged = dir.path().join("judged.jsonl");
    std::fs::write(&judged, lines.join("\n")).unwrap();
    let content = fixture("content");
    let index = dir.path().join("index");
    let eval = |extra: &[&str]| {
        let args = [
            &["eval", judged.to_str().unwrap(), "--content", content.to_str().unwrap()][..],
            &["--index", index.to_str().unwrap()],
            extra,
        ]
        .concat();
        weiquan(&args)
    };

    let mut seen = Vec::new();
    for (flag, half) in [("tune", Split::Tune), ("check", Split::Check)] {
        let output = eval(&["--split", flag, "--json"]);
        assert!(output.status.success(), "{}", stderr(&output));
        let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        let asked: Vec<&str> =
            report["queries"].as_array().unwrap().iter().map(|q| q["query"].as_str().unwrap()).collect();
        let expected: Vec<&str> = questions.iter().copied().filter(|q| Split::of(q) == half).collect();
        assert!(!expected.is_empty(), "the questions fall in both halves");
        assert_eq!(asked, expected, "{flag}");
        assert!(report["recall100"].as_f64().unwrap() >= report["recall"].as_f64().unwrap(), "{report}");
        seen.extend(asked.iter().map(|q| q.to_string()));
    }
    seen.sort();
    let mut all: Vec<String> = questions.iter().map(|q| q.to_string()).collect();
    all.sort();
    assert_eq!(seen, all, "the two halves together are the whole file, once");

    let output = eval(&[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(table.lines().next().unwrap().contains("R@100"), "{table}");
    assert!(table.contains(&format!("（{} 个查询；", questions.len())), "{table}");
    assert!(table.contains("七日内退货 → 示例消费者保护法第二十五条"), "{table}");

    let output = eval(&["--split", "all"]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("unknown half `all`: use tune or check"), "{}", stderr(&output));

    // The ablation table has a row per feature; a fit writes weights that
    // read back, with the figures before and after.
    let output = eval(&["--ablate"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    for feature in weiquan::search::rank::Feature::ALL {
        assert!(table.contains(&format!("| {} |", feature.name())), "{table}");
    }
    let weights = dir.path().join("weights.toml");
    let output = eval(&["--fit", weights.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let written = std::fs::read_to_string(&weights).unwrap();
    assert!(written.contains("# Before") && written.contains("# After"), "{written}");
    weiquan::search::rank::Model::parse(&written).unwrap();
    let output = eval(&["--weights", weights.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
}

/// `weiquan user …` with `password` piped in as one line.
fn user(data: &std::path::Path, args: &[&str], password: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_weiquan"))
        .arg("user")
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("WEIQUAN_DATA")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // A command that refuses before asking for the password closes its input early.
    let _ = stdin.write_all(format!("{password}\n").as_bytes());
    drop(stdin);
    child.wait_with_output().unwrap()
}

#[test]
fn user_commands_refuse_weak_passwords_look_alike_names_and_losing_the_last_admin() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let refused = |output: &Output, reason: &str| {
        assert_eq!(output.status.code(), Some(2), "{}", stdout(output));
        assert!(stderr(output).contains(reason), "{reason} missing from: {}", stderr(output));
    };
    refused(&user(data, &["add", "boss", "--role", "admin"], "12345678"), "密码太短：至少需要 10 个字符");
    refused(&user(data, &["add", "boss", "--role", "admin"], "1234567890"), "密码太简单");
    refused(&user(data, &["add", "boss", "--role", "admin"], "Password123"), "这个密码太常见");
    // A Cyrillic о, a zero-width space: names that pass for `boss`.
    refused(&user(data, &["add", "b\u{043E}ss", "--role", "admin"], "admin-pass12"), "名称只能用英文字母");
    refused(&user(data, &["add", "bo\u{200B}ss", "--role", "admin"], "admin-pass12"), "名称只能用英文字母");
    let list = user(data, &["list"], "");
    assert!(stdout(&list).starts_with("还没有用户"), "nothing was added: {}", stdout(&list));

    let added = user(data, &["add", "boss", "--role", "admin"], "admin-pass12");
    assert!(added.status.success(), "{}", stderr(&added));
    refused(&user(data, &["disable", "boss"], ""), "boss 是最后一个启用的管理员，不能停用");
    assert!(user(data, &["add", "ed", "--role", "editor"], "editor-pass1").status.success());
    assert!(user(data, &["disable", "ed"], "").status.success());
    let enabled = user(data, &["enable", "ed"], "");
    assert!(enabled.status.success(), "{}", stderr(&enabled));
    assert_eq!(stdout(&enabled), "已启用用户 ed，需重新登录\n");
    let list = stdout(&user(data, &["list"], ""));
    let states: Vec<Vec<&str>> = list.lines().skip(1).map(|line| line.split_whitespace().take(3).collect()).collect();
    assert_eq!(states, [["boss", "管理员", "启用"], ["ed", "编辑", "启用"]], "{list}");
}
