//! The content folder on disk: files changed by other means are reindexed,
//! and a full disk or a read-only folder refuses a save and keeps the file.

use crate::common;

use std::path::PathBuf;
use std::time::Duration;

use common::{cookie_client, eventually, page_containing, sign_in, signed_in, spawn_staff_server};

use super::{WARNING, editor_page, save, search_ids};

#[tokio::test]
async fn files_changed_on_disk_are_reindexed_and_a_broken_one_keeps_its_last_good_version() {
    let staff = spawn_staff_server().await;
    let path = staff.content.join("warnings/from-git.md");
    let finds = |query: &'static str, expected: &'static [&'static str]| {
        let base = &staff.base;
        eventually(
            Duration::from_secs(5),
            move || async move { (search_ids(base, query).await == expected).then_some(()) },
        )
    };
    std::fs::write(
        &path,
        "+++\ntitle = \"杨桃牌电热毯警示\"\nsummary = \"杨桃牌电热毯可能漏电。\"\n+++\n\n杨桃牌电热毯可能漏电。\n",
    )
    .unwrap();
    assert!(finds("杨桃牌电热毯", &["warnings/from-git"]).await.is_some(), "a new file is found");
    std::fs::write(&path, "+++\ntitle = \n+++\n坏文件\n").unwrap();
    let browser = signed_in(&staff.base, "pub", "publisher-pass").await;
    // The watcher has read the broken file once the list names it among the problems.
    let list = page_containing(&browser, &format!("{}/admin", staff.base), "<code>warnings/from-git.md:").await;
    assert_eq!(search_ids(&staff.base, "杨桃牌电热毯").await, ["warnings/from-git"], "the last good version stays");
    assert!(list.contains("有问题的文件") && list.contains("from-git.md"), "{list}");
    std::fs::remove_file(&path).unwrap();
    assert!(finds("杨桃牌电热毯", &[]).await.is_some(), "a removed file leaves the index");
}

/// Lookups of the page cache that hit, from the public metrics.
async fn page_cache_hits(base: &str) -> u64 {
    let metrics = reqwest::get(format!("{base}/metrics")).await.unwrap().text().await.unwrap();
    let line = metrics.lines().find(|l| l.starts_with("weiquan_cache_lookups_total{cache=\"pages\",outcome=\"hit\"}"));
    line.and_then(|l| l.rsplit(' ').next()).unwrap().parse().unwrap()
}

#[tokio::test]
async fn files_read_or_saved_by_the_server_are_not_reindexed_again_and_pages_a_save_leaves_alone_are_kept() {
    let staff = spawn_staff_server().await;
    let opened = |id: &'static str| {
        let base = staff.base.clone();
        async move {
            let response = reqwest::get(format!("{base}/api/docs/{id}")).await.unwrap();
            assert_eq!(response.status(), 200);
            let page: serde_json::Value = response.json().await.unwrap();
            tokio::time::sleep(Duration::from_millis(900)).await; // past the watcher's debounce
            (page_cache_hits(&base).await, page)
        }
    };
    // Opening a page reads its file, and the watcher is told of every file
    // opened: that must not start a new index generation.
    let (first, _) = opened("guides/return-goods").await;
    assert_eq!(opened("guides/return-goods").await.0, first + 1, "the second opening is a hit");
    let (before, law) = opened("laws/sample-consumer-law").await;
    assert_eq!(before, first + 1, "a miss");
    let citing = |law: &serde_json::Value| law["cited_by"].to_string().contains("warnings/test-oven");
    assert!(!citing(&law));

    // A save that cites the law: its page is made again and lists the new
    // warning at once; the guide's page, which the save left alone, is kept.
    let browser = signed_in(&staff.base, "pub", "publisher-pass").await;
    let page = editor_page(&staff, &browser, "kind=warning").await;
    let body = "## 发生了什么\n\n火龙果牌烤箱可能过热。依据《示例消费者保护法》第二条处理。";
    let mut fields: Vec<_> = WARNING.iter().filter(|(name, _)| *name != "body").copied().collect();
    fields.extend([("action", "publish"), ("body", body)]);
    assert_eq!(save(&staff, &browser, &page, &fields).await.status(), 200);
    assert!(search_ids(&staff.base, "火龙果牌烤箱").await.contains(&"warnings/test-oven".to_string()));
    let (after_save, law) = opened("laws/sample-consumer-law").await;
    assert_eq!(after_save, before, "the law's page is made again");
    assert!(citing(&law), "and lists the new warning: {}", law["cited_by"]);
    assert_eq!(opened("guides/return-goods").await.0, after_save + 1, "the guide's page is kept");
    // The watcher, told of the publisher's write, indexed nothing again.
    assert_eq!(opened("laws/sample-consumer-law").await.0, after_save + 2);
}

/// A small tmpfs mounted over a folder, with the folder's files copied in;
/// unmounted when dropped. `None` outside CI when mounting is not allowed
/// (it needs root); in CI (`CI=true`) that fails the test.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(folder: &std::path::Path, kilobytes: u32) -> Option<SmallDisk> {
        let files: Vec<_> = std::fs::read_dir(folder)
            .unwrap()
            .map(|entry| {
                let path = entry.unwrap().path();
                (path.file_name().unwrap().to_owned(), std::fs::read(&path).unwrap())
            })
            .collect();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kilobytes}k"), "tmpfs"])
            .arg(folder)
            .status()
            .is_ok_and(|status| status.success());
        if !mounted {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true"),
                "cannot mount a tmpfs at {}: this test needs root (CI runs as root)",
                folder.display()
            );
            eprintln!("NOTICE: full-disk test not run: cannot mount a tmpfs (needs root)");
            return None;
        }
        for (name, bytes) in files {
            std::fs::write(folder.join(name), bytes).unwrap();
        }
        Some(SmallDisk(folder.to_path_buf()))
    }

    /// Writes a filler file until the disk is full.
    fn fill(&self) {
        use std::io::Write;
        let mut filler = std::fs::File::create(self.0.join("filler.bin")).unwrap();
        let chunk = [0u8; 4096];
        while filler.write_all(&chunk).is_ok() {}
        let _ = filler.sync_all();
    }

    fn remount(&self, options: &str) {
        let status = std::process::Command::new("mount").args(["-o", options]).arg(&self.0).status().unwrap();
        assert!(status.success(), "remount {options}");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test]
async fn a_full_disk_or_read_only_folder_refuses_the_save_and_keeps_the_file() {
    let staff = spawn_staff_server().await;
    let folder = staff.content.join("warnings");
    let Some(disk) = SmallDisk::mount(&folder, 256) else { return };
    let path = folder.join("prepaid-card.md");
    let before = std::fs::read_to_string(&path).unwrap();
    let browser = cookie_client();
    assert_eq!(sign_in(&browser, &staff.base, "pub", "publisher-pass").await.status(), 200);
    let mut fields: Vec<_> = WARNING.iter().filter(|(name, _)| *name != "slug").copied().collect();
    fields.push(("action", "publish"));
    let leftovers = || -> Vec<String> {
        std::fs::read_dir(&folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(".saving-"))
            .collect()
    };

    disk.fill();
    let page = editor_page(&staff, &browser, "id=warnings/prepaid-card").await;
    let refused = save(&staff, &browser, &page, &fields).await;
    assert_eq!(refused.status(), 507);
    let answer = refused.text().await.unwrap();
    assert!(answer.contains("保存失败，原文件未改动：服务器磁盘已满"), "{answer}");
    assert!(answer.contains("火龙果牌烤箱存在过热隐患"), "the editor keeps what was typed");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    assert_eq!(leftovers(), Vec::<String>::new(), "no half-written file is left");
    assert!(!search_ids(&staff.base, "火龙果牌烤箱").await.contains(&"warnings/prepaid-card".to_string()));

    std::fs::remove_file(folder.join("filler.bin")).unwrap();
    disk.remount("remount,ro");
    let refused = save(&staff, &browser, &page, &fields).await;
    assert_eq!(refused.status(), 500);
    assert!(refused.text().await.unwrap().contains("内容文件夹不能写入"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);

    // With room to write again, the same form saves.
    disk.remount("remount,rw");
    let saved = save(&staff, &browser, &page, &fields).await;
    assert_eq!(saved.status(), 200, "{}", saved.text().await.unwrap());
    assert!(std::fs::read_to_string(&path).unwrap().contains("火龙果牌烤箱存在过热隐患"));
    assert_eq!(search_ids(&staff.base, "火龙果牌烤箱").await, ["warnings/prepaid-card"]);
    assert_eq!(leftovers(), Vec::<String>::new());
}
