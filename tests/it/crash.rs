//! Crash safety: the real `weiquan serve` process is killed with SIGKILL in
//! the middle of a stream of saves. Afterwards every file is whole (its old
//! or its new text), every acknowledged save is on disk and in the audit log,
//! and after a restart the index agrees with the files.

use crate::common;

use std::path::Path;
use std::process::{Command, Stdio};

use weiquan::clock::Clock;
use weiquan::publish::{Role, Scope, Store};

#[tokio::test(flavor = "multi_thread")]
async fn a_server_killed_during_saves_loses_nothing_it_acknowledged() {
    let (content, index, data) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    common::copy_tree(&common::fixture("content"), content.path());
    let token = {
        let store = Store::open(data.path()).unwrap();
        store.add_user(None, "pub", Role::Publisher, "publisher-pass").unwrap();
        store.create_token("crash", &[Scope::WarningsWrite, Scope::WarningsPublish], "pub").unwrap().1
    };
    let server = common::serve_process(content.path(), index.path(), data.path(), &[]);
    let client = reqwest::Client::new();

    // A stream of saves: each round creates a new warning and updates a shared one.
    let mut acknowledged = Vec::new();
    let mut shared: Option<(String, String)> = None; // (fingerprint, title) last acknowledged
    let killer = {
        let child = server.child.clone();
        tokio::spawn(async move {
            // A fixed time on purpose: the kill lands at a moment the saves do not choose.
            tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
            let _ = child.lock().unwrap().kill();
        })
    };
    for round in 0..10_000 {
        let slug = format!("crash-{round}");
        let title = format!("崩溃测试第{round}条");
        if common::save_warning(&client, &server.base, &token, None, &slug, &title, "").await.is_none() {
            break;
        }
        acknowledged.push((format!("warnings/{slug}"), title));
        let shared_title = format!("共享警示第{round}版");
        let (id, old) = match &shared {
            Some((fingerprint, _)) => (Some("warnings/crash-shared"), fingerprint.clone()),
            None => (None, String::new()),
        };
        match common::save_warning(&client, &server.base, &token, id, "crash-shared", &shared_title, &old).await {
            Some(fingerprint) => shared = Some((fingerprint, shared_title)),
            None => break,
        }
    }
    killer.await.unwrap();
    server.kill();
    assert!(
        (3..10_000).contains(&acknowledged.len()),
        "the kill came in the middle of the stream ({} saves)",
        acknowledged.len()
    );

    // Every file is whole: the folder loads without a problem.
    let loaded = weiquan::content::load(&[content.path().to_path_buf()], Clock::default().today(), &|_, _| {}).unwrap();
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    let title_of = |id: &str| loaded.documents.iter().find(|d| d.id == id).map(|d| d.meta.title.clone());
    for (id, title) in &acknowledged {
        assert_eq!(title_of(id).as_deref(), Some(title.as_str()), "{id} was acknowledged");
    }
    // The shared warning holds the last acknowledged text or the one in flight.
    let (_, last_shared) = shared.expect("the shared warning was saved");
    let on_disk = title_of("warnings/crash-shared").unwrap();
    // The shared save in flight, if any, is that of the last round whose new warning was acknowledged.
    let next = format!("共享警示第{}版", acknowledged.len() - 1);
    assert!(on_disk == last_shared || on_disk == next, "{on_disk} is neither {last_shared} nor {next}");

    // The audit log has every acknowledged save.
    let audit = Store::open(data.path()).unwrap().audit_log(100_000).unwrap();
    for (id, _) in &acknowledged {
        assert!(audit.iter().any(|e| e.target == *id && e.action == "create"), "no audit entry for {id}");
    }

    // After a restart the index agrees with the files.
    let server = common::serve_process(content.path(), index.path(), data.path(), &[]);
    let url = format!("{}/api/search?q=%22%E5%B4%A9%E6%BA%83%E6%B5%8B%E8%AF%95%22&per_page=100", server.base);
    let results: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    let found: Vec<&str> = results["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap()).collect();
    let crash_files: Vec<&str> =
        loaded.documents.iter().map(|d| d.id.as_str()).filter(|id| id.starts_with("warnings/crash-")).collect();
    // Every warning of the stream (and the shared one, by its summary) is found, and nothing else.
    assert_eq!(results["total"].as_u64().unwrap() as usize, crash_files.len());
    assert!(found.iter().all(|id| crash_files.contains(id)), "{found:?}");
}

/// SIGKILL during a full rebuild: the index in use keeps answering, and the
/// next rebuild completes and leaves a single generation.
#[test]
fn a_rebuild_killed_at_any_moment_leaves_the_old_index_serving() {
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    let weiquan = || Command::new(env!("CARGO_BIN_EXE_weiquan"));
    let build = || weiquan().arg("index").arg("--content").arg(&content).arg("--index").arg(&index).output().unwrap();
    let search = || {
        let output = weiquan().args(["search", "预付卡", "--json", "--index"]).arg(&index).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        (json["total"].clone(), json["hits"][0]["id"].clone())
    };
    let started = std::time::Instant::now();
    assert!(build().status.success());
    let duration = started.elapsed();
    let before = search();
    let mut killed_midway = 0;
    for tenth in 1..=9 {
        let mut child = weiquan()
            .arg("index")
            .arg("--content")
            .arg(&content)
            .arg("--index")
            .arg(&index)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // A fixed time on purpose: the kill lands at this fraction of a build.
        std::thread::sleep(duration * tenth / 10);
        if child.try_wait().unwrap().is_none() {
            killed_midway += 1;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(search(), before, "after a kill at {tenth}/10 of a build");
    }
    assert!(killed_midway >= 3, "only {killed_midway} of 9 kills landed during a build");
    assert!(build().status.success(), "the next rebuild completes");
    assert_eq!(search(), before);
    let generations =
        std::fs::read_dir(&index).unwrap().filter(|e| e.as_ref().unwrap().file_name() != "CURRENT").count();
    assert_eq!(generations, 1, "half-written generations are cleared by the next build");
}
