//! What changed in the official texts: `weiquan corpus update` and
//! `weiquan check --stale` on two small snapshots of made-up laws
//! (`tests/fixtures/corpus-old`, `corpus-new`) and made-up content citing
//! them (`tests/fixtures/corpus-content`), and the admin list's 需复核 mark
//! through a real server.
//!
//! From the old snapshot to the new one, 《虚构消费者保障法》 gets a new
//! version in force from 2024-10-01 (第三条 amended, 第五条 moved to 第六条,
//! 第八条 deleted), 《虚构网购纠纷解释》 is added and 《虚构产品标识条例》
//! is gone. The guide (2020) and the warning (2024-08-01, before the new
//! version took effect) cite the old version; the case (2025) cites the new
//! one and the other warning an unchanged law, so they are not listed.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{fixture, signed_in, spawn_staff_server_over};
use weiquan::clock::Clock;
use weiquan::content;
use weiquan::corpus::changes;

/// The report from the old snapshot to the new one.
const REPORT: &str = "\
法规文本：原有 3 个，更新后 4 个
新增法规：1 部
  《虚构网购纠纷解释》2025-01-01 版，2025-03-01 施行
新版本：1 个
  《虚构消费者保障法》2024-06-01 版，2024-10-01 施行
删除或废止：1 个
  《虚构产品标识条例》2010-05-01 版：文件已删除
需复核：2 篇内容引用的条文已改变
  维权指南 guides/return-goods《网购退货怎么办》
    《虚构消费者保障法》第三条：条文内容已修改（所引 2014-03-15 版，现行 2024-06-01 版）
    《虚构消费者保障法》第五条：条文序号已变，现为第六条（所引 2014-03-15 版，现行 2024-06-01 版）
  消费警示 warnings/fraud-refund《警惕虚假宣传》
    《虚构消费者保障法》第八条：现行版本已没有这一条（所引 2014-03-15 版，现行 2024-06-01 版）
    《虚构产品标识条例》第四条：法规文本已删除（所引 2010-05-01 版）
";

/// The documents to review over the new snapshot alone, which no longer
/// has 《虚构产品标识条例》.
const REVIEW: &str = "\
需复核：2 篇内容引用的条文已改变
  维权指南 guides/return-goods《网购退货怎么办》
    《虚构消费者保障法》第三条：条文内容已修改（所引 2014-03-15 版，现行 2024-06-01 版）
    《虚构消费者保障法》第五条：条文序号已变，现为第六条（所引 2014-03-15 版，现行 2024-06-01 版）
  消费警示 warnings/fraud-refund《警惕虚假宣传》
    《虚构消费者保障法》第八条：现行版本已没有这一条（所引 2014-03-15 版，现行 2024-06-01 版）
";

fn weiquan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_weiquan"))
        .args(args)
        .env_remove("WEIQUAN_CONTENT")
        .env_remove("WEIQUAN_DATA")
        .env_remove("WEIQUAN_CORPUS")
        .env_remove("WEIQUAN_CONFIG")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Every file under `root` (hidden ones too) by relative path, with its bytes.
fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().strip_prefix(root).unwrap().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect()
}

/// The names in a folder.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// A data folder holding a copy of the old snapshot as its corpus.
fn data_with_old_corpus() -> tempfile::TempDir {
    let data = tempfile::tempdir().unwrap();
    common::copy_tree(&fixture("corpus-old"), &data.path().join("corpus"));
    data
}

#[test]
fn the_report_is_exact() {
    let today = Clock::default().today();
    let load = |name: &str| content::load(&[fixture(name)], today, &|_, _| {}).unwrap();
    let changes = changes::compare(&load("corpus-old"), &load("corpus-new"), &load("corpus-content"));
    assert_eq!(changes.to_string(), REPORT);
}

#[test]
fn update_prints_the_report_and_replaces_the_corpus() {
    let data = data_with_old_corpus();
    let corpus = data.path().join("corpus");
    let (new, ours) = (fixture("corpus-new"), fixture("corpus-content"));
    let update =
        || weiquan(&["corpus", "update", "--from", arg(&new), "--data", arg(data.path()), "--content", arg(&ours)]);

    let output = update();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let done = format!("已更新法规文本：{}（4 个文本；serve、index、search 会据此重建索引）\n", corpus.display());
    assert_eq!(text(&output.stdout), format!("{REPORT}{done}"));
    assert_eq!(files(&corpus), files(&new), "the corpus is now the new snapshot");
    assert_eq!(names(data.path()), ["corpus"], "no copy and no old corpus left behind");

    // Again from the same texts: nothing changed, the same documents to review.
    let output = update();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let unchanged = "法规文本：原有 4 个，更新后 4 个\n新增法规：无\n新版本：无\n删除或废止：无\n";
    assert_eq!(text(&output.stdout), format!("{unchanged}{REVIEW}{done}"));
    assert_eq!(files(&corpus), files(&new));
}

#[test]
fn a_failed_update_leaves_the_old_corpus_untouched() {
    let data = data_with_old_corpus();
    let corpus = data.path().join("corpus");
    let before = files(&corpus);
    let ours = fixture("corpus-content");

    // A folder with a link in it: refused while copying, after other files were copied.
    let linked = tempfile::tempdir().unwrap();
    common::copy_tree(&fixture("corpus-new"), linked.path());
    std::os::unix::fs::symlink("/etc/passwd", linked.path().join("部门规章/链接.md")).unwrap();
    // This project's layout, and a LawRefBook folder without a law text.
    let empty = tempfile::tempdir().unwrap();
    std::fs::create_dir(empty.path().join("民法商法")).unwrap();
    let cases = [
        (linked.path().to_path_buf(), "链接.md 是链接"),
        (fixture("content"), "is not in the LawRefBook layout"),
        (empty.path().to_path_buf(), "holds no law texts"),
    ];
    for (from, reason) in cases {
        let output =
            weiquan(&["corpus", "update", "--from", arg(&from), "--corpus", arg(&corpus), "--content", arg(&ours)]);
        assert_eq!(output.status.code(), Some(2), "{}", text(&output.stdout));
        assert!(text(&output.stderr).contains(reason), "{}", text(&output.stderr));
        assert_eq!(files(&corpus), before, "{reason}: the old corpus is as it was");
        assert_eq!(names(data.path()), ["corpus"], "{reason}: no half copy left behind");
    }
}

#[test]
fn check_stale_prints_the_same_list() {
    let (new, ours) = (fixture("corpus-new"), fixture("corpus-content"));
    let output = weiquan(&["check", "--stale", "--content", arg(&ours), "--content", arg(&new)]);
    // Changed articles are listed for review, not failures; a citation of a
    // law the new snapshot no longer has would link nowhere, so it fails.
    assert_eq!(text(&output.stdout), format!("{REVIEW}检查完成：文档 8 篇，条目 25 个，问题 1 个\n"));
    assert_eq!(output.status.code(), Some(1));
    let problem = text(&output.stderr);
    assert!(
        problem.contains("warnings/fraud-refund.md: cites 《虚构产品标识条例》, which names no loaded law"),
        "{problem}"
    );
}

/// The row of document `id` in the admin list.
fn row<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page.find(&format!("data-id=\"{id}\"")).unwrap_or_else(|| panic!("no row for {id}"));
    &page[start..start + page[start..].find("</tr>").unwrap()]
}

#[tokio::test]
async fn the_admin_list_marks_documents_to_review() {
    let staff = spawn_staff_server_over(&fixture("corpus-content"), vec![fixture("corpus-new")]).await;
    let client = signed_in(&staff.base, "ed", "editor-pass1").await;
    let list = || async { client.get(format!("{}/admin", staff.base)).send().await.unwrap().text().await.unwrap() };

    let page = list().await;
    let guide = row(&page, "guides/return-goods");
    assert!(guide.contains("需复核"), "{guide}");
    assert!(guide.contains("《虚构消费者保障法》第五条：条文序号已变，现为第六条"), "{guide}");
    assert!(row(&page, "warnings/fraud-refund").contains("需复核"));
    assert!(!row(&page, "warnings/card-contract").contains("需复核"), "an unchanged law is not marked");

    // Dated after the new version took effect, the guide cites it: no longer marked.
    let path = staff.content.join("guides/return-goods.md");
    let source = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, source.replace("date = 2020-05-01", "date = 2025-01-01")).unwrap();
    let page = list().await;
    assert!(!row(&page, "guides/return-goods").contains("需复核"), "{}", row(&page, "guides/return-goods"));
    assert!(row(&page, "warnings/fraud-refund").contains("需复核"));
}
