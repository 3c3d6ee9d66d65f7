//! The official texts: `weiquan corpus fetch` and the first start of
//! `serve` against an HTTP server on loopback that serves archives made
//! here (a good one laid out as upstream's under one top folder, one that
//! escapes its folder, one with a link, a truncated one, one without the
//! layout, and a second fetch over an existing corpus); texts added by hand;
//! and what the texts are known not to cover.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use weiquan::corpus::fetch::{self, FetchError, Limits, MIN_LAW_FILES};

/// A tar.gz of `files` (path, text) in the order given.
fn archive(files: &[(String, String)]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (path, text) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, path, text.as_bytes()).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap()
}

/// The collection in upstream's layout: `count` laws under `Laws-<rev>/`,
/// with the repository's other files beside them.
fn collection(rev: &str, count: usize, title_of_first: &str) -> Vec<(String, String)> {
    let mut files = vec![
        (format!("Laws-{rev}/README.md"), "# Laws\n".to_string()),
        (format!("Laws-{rev}/scripts/build.py"), "print('not content')\n".to_string()),
        (format!("Laws-{rev}/民法商法/_index.md"), "---\ntitle: 民法商法\n---\n".to_string()),
    ];
    for i in 0..count {
        let title = if i == 0 { title_of_first.to_string() } else { format!("测试法第{i}号") };
        let text = format!("# {title}\n\n2020年1月1日通过\n\n<!-- INFO END -->\n\n第一条 本法用于测试第{i}号。\n");
        files.push((format!("Laws-{rev}/民法商法/{title}(2020-01-01).md"), text));
    }
    files
}

/// An HTTP server on loopback answering `path` with its bytes (404 else),
/// until the test process ends.
fn serve_files(routes: Vec<(&'static str, Vec<u8>)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let routes = Arc::new(routes);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let routes = routes.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(&stream);
                let mut request_line = String::new();
                reader.read_line(&mut request_line).unwrap_or_default();
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let path = request_line.split(' ').nth(1).unwrap_or("/").to_string();
                let mut stream = &stream;
                match routes.iter().find(|(route, _)| *route == path) {
                    Some((_, body)) => {
                        let head =
                            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                        let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body));
                    }
                    None => {
                        let _ = stream
                            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    }
                }
            });
        }
    });
    base
}

fn weiquan(args: &[&str], url: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_weiquan"))
        .args(args)
        .env("WEIQUAN_CORPUS_URL", url)
        .env_remove("WEIQUAN_CORPUS")
        .env_remove("WEIQUAN_DATA")
        .env_remove("WEIQUAN_CONTENT")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn law_files(corpus: &Path) -> usize {
    std::fs::read_dir(corpus.join("民法商法")).map_or(0, |dir| dir.count())
}

/// Nothing of a fetch is left beside the corpus.
fn no_leftovers(data: &Path) {
    let names: Vec<String> =
        std::fs::read_dir(data).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["corpus"], "only the corpus stays in the data folder");
}

#[test]
fn fetch_installs_the_texts_and_a_second_fetch_replaces_them() {
    let first = archive(&collection("aaa", MIN_LAW_FILES, "第一版测试法"));
    let second = archive(&collection("bbb", MIN_LAW_FILES + 1, "第二版测试法"));
    let base = serve_files(vec![("/first.tar.gz", first), ("/second.tar.gz", second)]);
    let data = tempfile::tempdir().unwrap();
    let data_arg = data.path().to_str().unwrap();

    let output = weiquan(&["corpus", "fetch", "--data", data_arg], &format!("{base}/first.tar.gz"));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains(&format!("已下载法律文本：{MIN_LAW_FILES} 个文件")),
        "{}",
        text(&output.stdout)
    );
    let corpus = data.path().join("corpus");
    assert_eq!(law_files(&corpus), MIN_LAW_FILES + 1, "the laws and the folder marker");
    assert!(corpus.join("民法商法/第一版测试法(2020-01-01).md").is_file(), "the top folder is stripped");
    assert!(!corpus.join("scripts").exists(), "only Markdown texts are kept");
    no_leftovers(data.path());

    // The fetched texts load as documents.
    let output = Command::new(env!("CARGO_BIN_EXE_weiquan"))
        .args(["check", "--content", corpus.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(text(&output.stdout).contains(&format!("文档 {MIN_LAW_FILES} 篇")), "{}", text(&output.stdout));

    let output = weiquan(&["corpus", "fetch", "--data", data_arg], &format!("{base}/second.tar.gz"));
    assert!(output.status.success(), "{}", text(&output.stderr));
    // The fetch over texts already there reports what changed.
    let report = text(&output.stdout);
    let expected = format!("法规文本：原有 {MIN_LAW_FILES} 个，更新后 {} 个\n新增法规：2 部\n", MIN_LAW_FILES + 1);
    assert!(report.starts_with(&expected), "{report}");
    assert!(
        report.contains("  《第二版测试法》2020-01-01 版")
            && report.contains("删除或废止：1 个\n  《第一版测试法》2020-01-01 版：文件已删除"),
        "{report}"
    );
    assert_eq!(law_files(&corpus), MIN_LAW_FILES + 2);
    assert!(corpus.join("民法商法/第二版测试法(2020-01-01).md").is_file());
    assert!(!corpus.join("民法商法/第一版测试法(2020-01-01).md").exists(), "the old texts are gone");
    no_leftovers(data.path());
}

/// A corpus installed from a good archive, for the failure cases to keep.
fn installed_corpus(base: &str) -> tempfile::TempDir {
    let data = tempfile::tempdir().unwrap();
    fetch::fetch(&format!("{base}/good.tar.gz"), data.path(), Limits::default(), &|_, _| {}).unwrap();
    data
}

fn assert_untouched(data: &Path) {
    let corpus = data.join("corpus");
    assert_eq!(law_files(&corpus), MIN_LAW_FILES + 1, "the previous corpus is untouched");
    assert!(corpus.join("民法商法/第一版测试法(2020-01-01).md").is_file());
    no_leftovers(data);
}

#[test]
fn bad_archives_are_refused_and_leave_the_previous_corpus() {
    let good = archive(&collection("aaa", MIN_LAW_FILES, "第一版测试法"));
    let mut escaping = collection("ccc", MIN_LAW_FILES, "逃逸测试法");
    escaping.push(("Laws-ccc/../../escaped.md".into(), "# 逃逸\n".into()));
    let escaping = raw_archive(&escaping);
    let truncated = good[..good.len() / 2].to_vec();
    let no_layout: Vec<(String, String)> =
        (0..MIN_LAW_FILES).map(|i| (format!("Laws-ddd/docs/page{i}.md"), format!("# 第{i}页\n"))).collect();
    let no_layout = archive(&no_layout);
    let linked = linked_archive();
    let base = serve_files(vec![
        ("/good.tar.gz", good),
        ("/escaping.tar.gz", escaping),
        ("/truncated.tar.gz", truncated),
        ("/no-layout.tar.gz", no_layout),
        ("/linked.tar.gz", linked),
    ]);
    let data = installed_corpus(&base);
    let fetch = |name: &str, limits: Limits| {
        fetch::fetch(&format!("{base}/{name}"), data.path(), limits, &|_, _| {}).unwrap_err()
    };

    let error = fetch("escaping.tar.gz", Limits::default());
    assert!(matches!(error, FetchError::UnsafeEntry { .. }), "{error}");
    assert!(error.to_string().contains("escaped.md"), "{error}");
    assert!(!data.path().parent().unwrap().join("escaped.md").exists());
    assert_untouched(data.path());

    let error = fetch("linked.tar.gz", Limits::default());
    assert!(matches!(error, FetchError::UnsafeEntry { .. }), "{error}");
    assert!(error.to_string().contains("链接"), "{error}");
    assert_untouched(data.path());

    let error = fetch("truncated.tar.gz", Limits::default());
    assert!(matches!(error, FetchError::Damaged(_)), "{error}");
    assert_untouched(data.path());

    let error = fetch("no-layout.tar.gz", Limits::default());
    assert!(matches!(error, FetchError::NotTheCorpus(_)), "{error}");
    assert_untouched(data.path());

    let error = fetch("good.tar.gz", Limits { max_download: 1000, ..Limits::default() });
    assert!(matches!(error, FetchError::TooLarge { limit: 1000 }), "{error}");
    let error = fetch("good.tar.gz", Limits { max_unpacked: 10_000, ..Limits::default() });
    assert!(matches!(error, FetchError::TooLarge { limit: 10_000 }), "{error}");
    let error = fetch("missing.tar.gz", Limits::default());
    assert!(matches!(error, FetchError::Download { .. }), "{error}");
    assert_untouched(data.path());

    // The command says why in Chinese and English and exits non-zero.
    let output =
        weiquan(&["corpus", "fetch", "--data", data.path().to_str().unwrap()], &format!("{base}/truncated.tar.gz"));
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("压缩包不完整或已损坏"), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("truncated or damaged"), "{}", text(&output.stderr));
    let output =
        weiquan(&["corpus", "fetch", "--data", data.path().to_str().unwrap()], "http://mirror.example.cn/laws.tar.gz");
    assert!(text(&output.stderr).contains("must be HTTPS"), "{}", text(&output.stderr));
    assert_untouched(data.path());
}

/// An archive whose entry names are written as given, `..` included (the
/// tar crate refuses to write such names itself).
fn raw_archive(files: &[(String, String)]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (path, text) in files {
        let mut header = tar::Header::new_old();
        let name = path.as_bytes();
        header.as_old_mut().name[..name.len()].copy_from_slice(name);
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        tar.append(&header, text.as_bytes()).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap()
}

/// The collection plus a symbolic link to a file outside it.
fn linked_archive() -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (path, text) in collection("eee", MIN_LAW_FILES, "链接测试法") {
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        tar.append_data(&mut header, &path, text.as_bytes()).unwrap();
    }
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Symlink);
    header.set_size(0);
    tar.append_link(&mut header, "Laws-eee/民法商法/passwd.md", "/etc/passwd").unwrap();
    tar.into_inner().unwrap().finish().unwrap()
}

/// `weiquan serve` from the repository folder with a fresh data folder;
/// returns its address, and its stderr once stopped.
struct Serve {
    child: std::process::Child,
    base: String,
}

impl Serve {
    fn start(data: &Path, url: &str, extra: &[&str]) -> Serve {
        let repository = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_weiquan"))
            .current_dir(repository)
            .args(["serve", "--addr", "127.0.0.1:0", "--data"])
            .arg(data)
            .arg("--index")
            .arg(data.join("index"))
            .args(extra)
            .env("WEIQUAN_CORPUS_URL", url)
            .env_remove("WEIQUAN_CORPUS")
            .env_remove("WEIQUAN_CONTENT")
            .env_remove("WEIQUAN_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("weiquan serve starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let line = lines.find_map(|l| l.ok().filter(|l| l.contains("http://"))).expect("serve prints its address");
        let base = line[line.find("http://").unwrap()..].trim().to_string();
        Serve { child, base }
    }

    fn get(&self, path: &str) -> String {
        let url = format!("{}{path}", self.base);
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async { reqwest::get(url).await.unwrap().text().await.unwrap() })
    }

    fn stop(mut self) -> String {
        self.child.kill().unwrap();
        let mut stderr = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        self.child.wait().unwrap();
        stderr
    }
}

fn documents(health: &str) -> u64 {
    serde_json::from_str::<serde_json::Value>(health).unwrap()["documents"].as_u64().unwrap()
}

#[test]
fn first_start_fetches_the_texts_or_serves_the_content_with_a_notice() {
    let base = serve_files(vec![("/good.tar.gz", archive(&collection("aaa", MIN_LAW_FILES, "第一版测试法")))]);
    let data = tempfile::tempdir().unwrap();
    let server = Serve::start(data.path(), &format!("{base}/good.tar.gz"), &[]);
    let with_texts = documents(&server.get("/healthz"));
    assert!(with_texts > MIN_LAW_FILES as u64, "content/ and the fetched texts: {with_texts}");
    assert!(!server.get("/about").contains("no-corpus"), "no notice with the texts");
    let stderr = server.stop();
    assert!(stderr.contains("正在下载法律文本"), "{stderr}");
    assert!(data.path().join("corpus/民法商法").is_dir());

    // The next start finds them and downloads nothing (the archive is gone).
    let server = Serve::start(data.path(), &format!("{base}/gone.tar.gz"), &[]);
    assert_eq!(documents(&server.get("/healthz")), with_texts);
    assert!(!server.stop().contains("正在下载"));

    // No network: content/ alone, and the notice at start and on /about.
    let offline = tempfile::tempdir().unwrap();
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let server = Serve::start(offline.path(), &format!("http://{closed}/laws.tar.gz"), &[]);
    let content_only = documents(&server.get("/healthz"));
    assert_eq!(content_only + MIN_LAW_FILES as u64, with_texts);
    let about = server.get("/about");
    assert!(about.contains("id=\"no-corpus\"") && about.contains("weiquan corpus fetch"), "{about}");
    let stderr = server.stop();
    assert!(stderr.contains("下载失败") && stderr.contains("weiquan corpus fetch"), "{stderr}");
    assert!(stderr.contains("The official law texts are not loaded"), "{stderr}");

    // Offline by choice: no download is tried.
    let server = Serve::start(offline.path(), &format!("{base}/good.tar.gz"), &["--offline"]);
    assert_eq!(documents(&server.get("/healthz")), content_only);
    let stderr = server.stop();
    assert!(!stderr.contains("正在下载") && stderr.contains("weiquan corpus fetch"), "{stderr}");
}

#[tokio::test]
async fn about_lists_the_known_gaps_and_hand_added_laws_name_their_source() {
    let app = common::App::fixture().await;
    let about = app.get("/about").await.text;
    let gaps = about.split("id=\"known-gaps\"").nth(1).expect("a known-gaps section");
    for title in ["仲裁法", "食品安全法", "反不正当竞争法", "消费者权益保护法实施条例"] {
        assert!(gaps.contains(&format!("《中华人民共和国{title}》")), "{title} missing from {gaps}");
    }
    assert!(gaps.contains("《市场监督管理投诉举报处理办法》"), "the 12315 rules of 2026 missing from {gaps}");
    assert!(gaps.contains("2026年3月1日起施行") && gaps.contains("2024年7月1日起施行"));
    assert!(about.contains("id=\"no-corpus\""), "the fixture server has no official texts");

    let page = app.get("/docs/laws/old-regulation").await.text;
    assert!(page.contains("来源：示例公报（2012年第1期），由本站工作人员录入"), "{page}");
}

/// A shipped guide or warning that cites a law revised after the snapshot
/// says so in one line.
#[test]
fn shipped_texts_relying_on_a_revised_law_say_so() {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let clock = weiquan::clock::Clock::default();
    let loaded = weiquan::content::load(&[shipped], clock.today(), &|_, _| {}).unwrap();
    let mut checked = 0;
    for doc in loaded
        .documents
        .iter()
        .filter(|d| matches!(d.kind, weiquan::content::Kind::Guide | weiquan::content::Kind::Warning))
    {
        for law in ["仲裁法", "食品安全法", "反不正当竞争法"] {
            if doc.body.contains(&format!("《{law}》第")) {
                assert!(
                    doc.body.contains(&format!("> 提示：《{law}》已于2025年")),
                    "{} cites {law} without the note",
                    doc.id
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 8, "the guides and warnings citing those laws: {checked}");
}
