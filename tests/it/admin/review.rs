//! Changes that wait or are undone: a save from an old copy refused, an
//! editor's revision of a published warning waiting for a publisher, and
//! earlier versions restored from the history.

use crate::common;

use common::{cookie_client, csrf, form_value, sign_in, signed_in, spawn_staff_server};
use weiquan::publish::Store;

use super::{WARNING, audit_of, editor_page, public_status, read, save, search_ids};

#[tokio::test]
async fn a_later_save_from_an_old_copy_is_refused_and_versions_can_be_restored() {
    let staff = spawn_staff_server().await;
    let (first, second) = (cookie_client(), cookie_client());
    sign_in(&first, &staff.base, "pub", "publisher-pass").await;
    sign_in(&second, &staff.base, "boss", "admin-pass12").await;
    let page = editor_page(&staff, &first, "kind=warning").await;
    let mut fields = WARNING.to_vec();
    fields.push(("action", "publish"));
    save(&staff, &first, &page, &fields).await;

    // Both open version 1; the first saves, the second's save is refused.
    let page_a = editor_page(&staff, &first, "id=warnings/test-oven").await;
    let page_b = editor_page(&staff, &second, "id=warnings/test-oven").await;
    let mut changed = WARNING.to_vec();
    changed[1] = ("title", "火龙果牌烤箱过热：已发布召回");
    changed.push(("action", "draft"));
    assert_eq!(save(&staff, &first, &page_a, &changed).await.status(), 200);
    let after_first = std::fs::read_to_string(staff.content.join("warnings/test-oven.md")).unwrap();
    let mut other = WARNING.to_vec();
    other[1] = ("title", "另一人的修改");
    other.push(("action", "draft"));
    let conflict = save(&staff, &second, &page_b, &other).await;
    assert_eq!(conflict.status(), 409);
    assert!(conflict.text().await.unwrap().contains("已被他人修改"));
    assert_eq!(std::fs::read_to_string(staff.content.join("warnings/test-oven.md")).unwrap(), after_first);

    // Version 1 comes back as version 3.
    let history = first
        .get(format!("{}/admin/history?id=warnings/test-oven&n=1", staff.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(history.contains("<del>") && history.contains("<ins>"), "a diff against the current text");
    let restored = first
        .post(format!("{}/admin/restore", staff.base))
        .form(&[
            ("csrf", csrf(&history)),
            ("id", "warnings/test-oven".into()),
            ("n", "1".into()),
            ("base", form_value(&history, "base")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(restored.status(), 200);
    let file = std::fs::read_to_string(staff.content.join("warnings/test-oven.md")).unwrap();
    assert!(file.contains("title = \"火龙果牌烤箱存在过热隐患\""), "{file}");
    assert_eq!(search_ids(&staff.base, "火龙果牌烤箱").await, ["warnings/test-oven"]);
}

#[tokio::test]
async fn an_editor_saving_a_published_warning_leaves_it_online_until_a_publisher_approves() {
    let staff = spawn_staff_server().await;
    let id = "warnings/prepaid-card";
    let shipped = read(&staff, id);
    let editor = signed_in(&staff.base, "ed", "editor-pass1").await;
    let page = editor_page(&staff, &editor, &format!("id={id}")).await;
    assert!(page.contains("经发布员批准后才会上线"), "the editor is told before saving");
    let revised = [
        ("title", "办理预付卡要当心：新增退款途径"),
        ("severity", "caution"),
        ("expires", "2030-03-15"),
        ("regions", "全国"),
        ("body", "杨梅牌健身房跑路后，可以向发卡地的市场监管部门申请先行赔付。"),
        ("action", "draft"),
    ];
    let saved = save(&staff, &editor, &page, &revised).await;
    assert_eq!(saved.status(), 200);
    let page = saved.text().await.unwrap();
    assert!(page.contains("待批准的修改") && page.contains("杨梅牌健身房"), "the editor sees the proposal");
    assert!(!page.contains("value=\"approve\""), "editors cannot approve");

    // The live text stays up, the file keeps its (absent) state, the revision waits in SQLite.
    assert_eq!(public_status(&staff, &format!("/docs/{id}")).await, 200);
    assert_eq!(read(&staff, id), shipped);
    assert!(search_ids(&staff.base, "\"杨梅牌健身房\"").await.is_empty());
    let pending = Store::open(&staff.data).unwrap().pending(id).unwrap().expect("a pending revision");
    assert_eq!(pending.author, "ed");
    assert!(pending.content.contains("杨梅牌健身房") && !pending.content.contains("state"));
    let refused = editor
        .post(format!("{}/admin/review", staff.base))
        .form(&[
            ("csrf", csrf(&page)),
            ("id", id.into()),
            ("base", form_value(&page, "base")),
            ("action", "approve".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(read(&staff, id), shipped);

    // The publisher sees it in the list and against the live text, and approves it: it goes live.
    let publisher = cookie_client();
    let list = sign_in(&publisher, &staff.base, "pub", "publisher-pass").await.text().await.unwrap();
    assert!(list.contains("有待批准的修改"), "{list}");
    let only = publisher.get(format!("{}/admin?pending=1", staff.base)).send().await.unwrap().text().await.unwrap();
    assert!(only.contains(id) && !only.contains("guides/great-hall"), "{only}");
    let page = editor_page(&staff, &publisher, &format!("id={id}")).await;
    assert!(page.contains("批准发布") && page.contains("<ins>") && page.contains("<del>"), "{page}");
    let approve = |action: &'static str, page: String| {
        let publisher = publisher.clone();
        let url = format!("{}/admin/review", staff.base);
        async move {
            publisher
                .post(url)
                .form(&[
                    ("csrf", csrf(&page)),
                    ("id", id.into()),
                    ("base", form_value(&page, "base")),
                    ("action", action.into()),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(approve("approve", page).await.status(), 200);
    let live = read(&staff, id);
    assert!(live.contains("杨梅牌健身房") && !live.contains("state"), "{live}");
    assert_eq!(search_ids(&staff.base, "\"杨梅牌健身房\"").await, [id]);
    let public = reqwest::get(format!("{}/docs/{id}", staff.base)).await.unwrap().text().await.unwrap();
    assert!(public.contains("新增退款途径"));
    assert_eq!(Store::open(&staff.data).unwrap().pending(id).unwrap(), None);

    // A second proposal is discarded: the file stays as it is.
    let page = editor_page(&staff, &editor, &format!("id={id}")).await;
    let mut again = revised.to_vec();
    again[4] = ("body", "这一版不会上线。");
    assert_eq!(save(&staff, &editor, &page, &again).await.status(), 200);
    let page = editor_page(&staff, &publisher, &format!("id={id}")).await;
    assert_eq!(approve("discard", page).await.status(), 200);
    assert_eq!(read(&staff, id), live);
    assert_eq!(Store::open(&staff.data).unwrap().pending(id).unwrap(), None);

    // A publisher's 保存 of a published warning keeps it published.
    let page = editor_page(&staff, &publisher, &format!("id={id}")).await;
    assert_eq!(save(&staff, &publisher, &page, &revised).await.status(), 200);
    assert_eq!(public_status(&staff, &format!("/docs/{id}")).await, 200);
    assert!(!read(&staff, id).contains("state"));

    let actions: Vec<_> =
        audit_of(&staff, id).into_iter().map(|(actor, action, _)| format!("{actor} {action}")).collect();
    assert_eq!(actions, ["ed propose", "pub approve", "ed propose", "pub discard", "pub edit"]);
    let approved = &audit_of(&staff, id)[1].2;
    assert!(approved.contains("已发布") && approved.contains("批准了 ed 提交的修改"), "{approved}");
}

#[tokio::test]
async fn history_brings_back_the_shipped_text_and_a_restore_never_unpublishes() {
    let staff = spawn_staff_server().await;
    let id = "warnings/prepaid-card";
    let shipped = read(&staff, id);
    let publisher = signed_in(&staff.base, "pub", "publisher-pass").await;
    let page = editor_page(&staff, &publisher, &format!("id={id}")).await;
    let mut fields = WARNING.to_vec();
    fields.retain(|(name, _)| *name != "slug");
    fields.push(("action", "draft"));
    assert_eq!(save(&staff, &publisher, &page, &fields).await.status(), 200);
    assert_ne!(read(&staff, id), shipped);

    // The shipped text was kept as version 0 before the first save; restoring it brings back the file byte for byte.
    let restore = |client: &reqwest::Client, id: &'static str, n: &'static str| {
        let client = client.clone();
        let base = staff.base.clone();
        async move {
            let history =
                client.get(format!("{base}/admin/history?id={id}&n={n}")).send().await.unwrap().text().await.unwrap();
            client
                .post(format!("{base}/admin/restore"))
                .form(&[
                    ("csrf", csrf(&history)),
                    ("id", id.into()),
                    ("n", n.into()),
                    ("base", form_value(&history, "base")),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(restore(&publisher, id, "0").await.status(), 200);
    assert_eq!(read(&staff, id), shipped);
    assert_eq!(public_status(&staff, &format!("/docs/{id}")).await, 200);
    let versions = Store::open(&staff.data).unwrap().versions(id).unwrap();
    let summary: Vec<_> = versions.iter().map(|v| (v.number, v.action.as_str())).collect();
    assert_eq!(summary, [(2, "restore"), (1, "edit"), (0, "disk")]);

    // A draft, then published: restoring the draft version keeps it published.
    let page = editor_page(&staff, &publisher, "kind=warning").await;
    let mut fields = WARNING.to_vec();
    fields.push(("action", "draft"));
    assert_eq!(save(&staff, &publisher, &page, &fields).await.status(), 200);
    let page = editor_page(&staff, &publisher, "id=warnings/test-oven").await;
    fields.pop();
    fields.push(("action", "publish"));
    assert_eq!(save(&staff, &publisher, &page, &fields).await.status(), 200);
    assert_eq!(restore(&publisher, "warnings/test-oven", "1").await.status(), 200);
    assert!(!read(&staff, "warnings/test-oven").contains("state"), "the restored draft stays published");
    assert_eq!(public_status(&staff, "/docs/warnings/test-oven").await, 200);

    // An editor's restore of it becomes a revision waiting for a publisher.
    let before = read(&staff, "warnings/test-oven");
    let editor = signed_in(&staff.base, "ed", "editor-pass1").await;
    assert_eq!(restore(&editor, "warnings/test-oven", "1").await.status(), 200);
    assert_eq!(read(&staff, "warnings/test-oven"), before);
    assert_eq!(public_status(&staff, "/docs/warnings/test-oven").await, 200);
    let pending = Store::open(&staff.data).unwrap().pending("warnings/test-oven").unwrap().unwrap();
    assert!(!pending.content.contains("state"), "{}", pending.content);

    // Withdrawn, then an old version restored: it stays withdrawn (a restore
    // used to republish a withdrawn warning at once).
    let page = editor_page(&staff, &publisher, &format!("id={id}")).await;
    let mut fields = WARNING.to_vec();
    fields.retain(|(name, _)| *name != "slug");
    fields.push(("action", "withdraw"));
    assert_eq!(save(&staff, &publisher, &page, &fields).await.status(), 200);
    assert_eq!(public_status(&staff, &format!("/docs/{id}")).await, 410);
    assert_eq!(restore(&publisher, id, "1").await.status(), 200);
    assert!(read(&staff, id).contains("state = \"withdrawn\""), "{}", read(&staff, id));
    assert_eq!(public_status(&staff, &format!("/docs/{id}")).await, 410, "still withdrawn after the restore");
}
