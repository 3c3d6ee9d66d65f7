//! The editor's form: the day checked, typical questions, tags from the
//! shared vocabulary, date pickers and the configured kiosks.

use crate::common;

use common::{form_value, signed_in, spawn_staff_server};

use super::{WARNING, editor_page, read, save};

/// A published warning says when it was last checked (`checked`, which
/// `weiquan check` requires): the day of publication; a draft has none yet.
#[tokio::test]
async fn publishing_sets_the_day_the_document_was_checked() {
    let staff = spawn_staff_server().await;
    let browser = signed_in(&staff.base, "pub", "publisher-pass").await;
    let page = editor_page(&staff, &browser, "kind=warning").await;
    let mut fields = WARNING.to_vec();
    fields.push(("action", "draft"));
    assert_eq!(save(&staff, &browser, &page, &fields).await.status(), 200);
    let path = staff.content.join("warnings/test-oven.md");
    let file = std::fs::read_to_string(&path).unwrap();
    assert!(!file.contains("checked"), "a draft is not checked yet: {file}");

    let page = editor_page(&staff, &browser, "id=warnings/test-oven").await;
    let mut fields = WARNING.to_vec();
    fields.push(("action", "publish"));
    assert_eq!(save(&staff, &browser, &page, &fields).await.status(), 200);
    let file = std::fs::read_to_string(&path).unwrap();
    assert!(file.contains(&format!("checked = \"{}\"", staff.clock.today())), "{file}");
    let loaded = weiquan::content::load(std::slice::from_ref(&staff.content), staff.clock.today(), &|_, _| {}).unwrap();
    assert!(!loaded.unchecked().iter().any(|p| p.path == path), "{:?}", loaded.unchecked());

    // The editor shows the day checked, and a later save keeps the day the
    // publisher types instead of resetting it.
    let page = editor_page(&staff, &browser, "id=warnings/test-oven").await;
    assert_eq!(form_value(&page, "checked"), staff.clock.today().to_string());
    let mut fields = WARNING.to_vec();
    fields.extend([("checked", "2026-01-05"), ("action", "publish")]);
    assert_eq!(save(&staff, &browser, &page, &fields).await.status(), 200);
    let file = std::fs::read_to_string(&path).unwrap();
    assert!(file.contains("checked = \"2026-01-05\""), "{file}");
}

/// The editor shows a guide's typical questions and a save keeps what was
/// in the box: a save used to drop them from the file.
#[tokio::test]
async fn the_editor_keeps_and_edits_the_typical_questions() {
    let staff = spawn_staff_server().await;
    let browser = signed_in(&staff.base, "pub", "publisher-pass").await;
    let page = editor_page(&staff, &browser, "id=guides/return-goods").await;
    let shown = form_textarea(&page, "questions");
    assert_eq!(shown, "网购的鞋子尺码不合适，卖家不给换怎么办\n退东西的时候聊天记录要不要留着");
    let questions = format!("{shown}\n买的裙子洗了一次就褪色，还能退吗\n\n");
    let fields = [
        ("title", "网购退货指南"),
        ("summary", "网上买的东西不想要了，七日内可以申请退货。"),
        ("tags", "网购，退货"),
        ("questions", questions.as_str()),
        ("body", "第一步：确认商品可以退货。"),
        ("action", "publish"),
    ];
    assert_eq!(save(&staff, &browser, &page, &fields).await.status(), 200);
    let file = std::fs::read_to_string(staff.content.join("guides/return-goods.md")).unwrap();
    for question in ["网购的鞋子尺码不合适", "退东西的时候聊天记录要不要留着", "买的裙子洗了一次就褪色，还能退吗"]
    {
        assert!(file.contains(question), "{question} kept: {file}");
    }
    assert!(!file.contains("\"\""), "blank lines are no questions: {file}");

    // A tag outside the shared vocabulary is refused with the reason, and
    // the file stays as it was (it used to be saved, and `weiquan check` failed).
    std::fs::write(staff.content.join("tags.txt"), "网购 退货 预付卡\n").unwrap();
    let page = editor_page(&staff, &browser, "id=guides/return-goods").await;
    let tagged = [("title", "网购退货指南"), ("tags", "网购，少儿游泳"), ("body", "第一步。"), ("action", "publish")];
    let refused = save(&staff, &browser, &page, &tagged).await;
    assert_eq!(refused.status(), 400);
    let refused = refused.text().await.unwrap();
    assert!(refused.contains("标签“少儿游泳”不在共享标签词表（tags.txt）中"), "{refused}");
    assert_eq!(std::fs::read_to_string(staff.content.join("guides/return-goods.md")).unwrap(), file);
}

/// The shared vocabulary, in groups, as the editor's tag picker offers it.
const TAGS: &str = "# Shared tags.\n\n# 领域 (what was bought)\n网购 健身房\n\n# 问题\n预付卡 商家跑路\n";

/// The editor offers the vocabulary's tags as ticked boxes in its groups
/// instead of a text box; a tag outside it is refused with the reason, and
/// the page that says so keeps what was typed, the unknown tag ticked apart.
#[tokio::test]
async fn the_editor_picks_tags_from_the_vocabulary_and_refuses_others_keeping_the_text() {
    let staff = spawn_staff_server().await;
    std::fs::write(staff.content.join("tags.txt"), TAGS).unwrap();
    let browser = signed_in(&staff.base, "pub", "publisher-pass").await;
    let page = editor_page(&staff, &browser, "kind=warning").await;
    let picker = &page[page.find("<fieldset class=\"tags\"").expect("a tag picker")..];
    let picker = &picker[..picker.find("</fieldset>").unwrap()];
    for group in ["<strong>领域</strong>", "<strong>问题</strong>"] {
        assert!(picker.contains(group), "{group} heads its tags: {picker}");
    }
    for tag in ["网购", "健身房", "预付卡", "商家跑路"] {
        assert!(picker.contains(&format!("type=\"checkbox\" name=\"tags\" value=\"{tag}\"")), "{tag}: {picker}");
    }
    assert!(!page.contains("<input name=\"tags\""), "no free-text tag box");

    let typed = [
        ("slug", "gym-closed"),
        ("title", "健身房闭店警示"),
        ("body", "健身房突然闭店，会员卡余额怎么办。"),
        ("tags", "预付卡"),
        ("tags", "少儿游泳"),
        ("action", "draft"),
    ];
    let refused = save(&staff, &browser, &page, &typed).await;
    assert_eq!(refused.status(), 400);
    let refused = refused.text().await.unwrap();
    assert!(refused.contains("标签“少儿游泳”不在共享标签词表（tags.txt）中"), "{refused}");
    assert!(refused.contains("健身房闭店警示") && refused.contains("健身房突然闭店，会员卡余额怎么办。"), "kept");
    let unknown = &refused[refused.find("tag-group unknown").expect("the unknown tag apart")..];
    assert!(unknown.contains("value=\"少儿游泳\" checked"), "{unknown}");
    assert!(refused.contains("value=\"预付卡\" checked"), "the known tag stays ticked");
    assert!(!staff.content.join("warnings/gym-closed.md").exists(), "nothing is saved");

    let known = [("tags", "预付卡"), ("tags", "商家跑路"), ("action", "draft")];
    let fields: Vec<_> =
        typed.iter().filter(|(name, _)| *name != "tags" && *name != "action").chain(&known).copied().collect();
    assert_eq!(save(&staff, &browser, &page, &fields).await.status(), 200);
    let file = read(&staff, "warnings/gym-closed");
    assert!(file.contains("tags = [\"预付卡\", \"商家跑路\"]"), "{file}");
}

/// The text of the form's textarea called `name`, unescaped.
fn form_textarea(page: &str, name: &str) -> String {
    let start = page.find(&format!("<textarea name=\"{name}\"")).unwrap_or_else(|| panic!("no {name} box"));
    let text = &page[start..];
    let text = &text[text.find('>').unwrap() + 1..text.find("</textarea>").unwrap()];
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&")
}

/// The editor's dates are date pickers (生效日期, 有效期至), the scheduled
/// time a datetime-local input whose value the server reads, and 投放终端
/// ticks the configured kiosks, saved as their ids.
#[tokio::test]
async fn the_editor_offers_date_inputs_and_the_configured_kiosks() {
    use weiquan::web::config::KioskConfig;
    let lobby = KioskConfig { name: "一楼大厅".into(), ..KioskConfig::default() };
    let kiosks = [("lobby".to_string(), lobby), ("mall-2".to_string(), KioskConfig::default())];
    let staff = common::spawn_staff_server_with(kiosks.into()).await;
    let browser = signed_in(&staff.base, "pub", "publisher-pass").await;
    let page = editor_page(&staff, &browser, "kind=warning").await;
    for input in [
        "生效日期<input type=\"date\" name=\"date\"",
        "有效期至<input type=\"date\" name=\"expires\"",
        "<input type=\"datetime-local\" name=\"publish_at\"",
        "<input type=\"checkbox\" name=\"kiosks\" value=\"lobby\">一楼大厅",
        "<input type=\"checkbox\" name=\"kiosks\" value=\"mall-2\">mall-2",
    ] {
        assert!(page.contains(input), "{input} missing from {page}");
    }
    assert!(!page.contains("name=\"kiosks\" value=\"\""), "no text box for kiosk ids");

    // What the browser's pickers send is what the file keeps.
    let at = (staff.clock.now() + chrono::Duration::hours(2)).format("%Y-%m-%dT%H:%M").to_string();
    let date = staff.clock.today().to_string();
    let mut fields = WARNING.to_vec();
    fields.retain(|(name, _)| *name != "expires");
    fields.extend([
        ("date", date.as_str()),
        ("expires", "2099-12-31"),
        ("kiosks", "lobby"),
        ("kiosks", "mall-2"),
        ("action", "schedule"),
        ("publish_at", at.as_str()),
    ]);
    let saved = save(&staff, &browser, &page, &fields).await;
    assert_eq!(saved.status(), 200, "{}", saved.text().await.unwrap());
    let file = std::fs::read_to_string(staff.content.join("warnings/test-oven.md")).unwrap();
    assert!(file.contains("kiosks = [\"lobby\", \"mall-2\"]"), "{file}");
    assert!(file.contains(&format!("date = \"{date}\"")) && file.contains("expires = \"2099-12-31\""), "{file}");
    let page = editor_page(&staff, &browser, "id=warnings/test-oven").await;
    assert!(page.contains(&format!("name=\"publish_at\" value=\"{at}\"")), "the time comes back as sent: {page}");
    assert!(page.contains("value=\"lobby\" checked"), "{page}");
    assert!(page.contains(&format!("name=\"date\" value=\"{date}\"")), "{page}");

    // Without kiosks the editor says so instead of asking for ids.
    let bare = spawn_staff_server().await;
    let browser = signed_in(&bare.base, "pub", "publisher-pass").await;
    let page = editor_page(&bare, &browser, "kind=warning").await;
    assert!(page.contains("尚未配置终端") && !page.contains("name=\"kiosks\""), "{page}");
}
