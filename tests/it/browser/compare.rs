//! A reader comparing versions of a law, on a phone, a desktop and paper.

use crate::common;

use fantoccini::{Client, Locator};
use serde_json::json;

use super::{WAIT, browser, save_screenshot, script, text_of};

/// A Chrome DevTools command sent through chromedriver.
#[derive(Debug)]
struct DevTools(serde_json::Value);

impl fantoccini::wd::WebDriverCompatibleCommand for DevTools {
    fn endpoint(&self, base: &reqwest::Url, session: Option<&str>) -> Result<reqwest::Url, UrlError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &reqwest::Url) -> (reqwest::Method, Option<String>) {
        (reqwest::Method::POST, Some(self.0.to_string()))
    }
}

/// The `url` crate's parse error, reached through reqwest's `Url`.
type UrlError = <reqwest::Url as std::str::FromStr>::Err;

/// Renders pages for `media` ("print" or "screen"), as printing would.
async fn emulate_media(client: &Client, media: &str) {
    let command = json!({"cmd": "Emulation.setEmulatedMedia", "params": {"media": media}});
    client.issue_cmd(DevTools(command)).await.unwrap();
}

/// Copies the corpus texts the comparison test reads (民事诉讼法 in two
/// versions, the 人身损害赔偿 interpretation in three files, 网络消费纠纷
/// 规定（一） in two) into a folder in the LawRefBook layout: indexing
/// them takes a fraction of a second, the whole corpus about ten.
fn versioned_texts(corpus: &std::path::Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut copied = 0;
    for (folder, name) in [
        ("诉讼与非诉讼程序法", "民事诉讼法("),
        ("司法解释", "最高人民法院关于审理人身损害赔偿案件适用法律若干问题的解释"),
        ("司法解释", "最高人民法院关于审理网络消费纠纷案件适用法律若干问题的规定（一）"),
    ] {
        std::fs::create_dir_all(dir.path().join(folder)).unwrap();
        for entry in std::fs::read_dir(corpus.join(folder)).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name().to_string_lossy().starts_with(name) {
                std::fs::copy(entry.path(), dir.path().join(folder).join(entry.file_name())).unwrap();
                copied += 1;
            }
        }
    }
    assert_eq!(copied, 7, "the snapshot holds these texts in 2 + 3 + 2 files");
    dir
}

/// Whether the two cells of the row `css` stand side by side (else stacked).
async fn side_by_side(client: &Client, row: &str) -> bool {
    let code = format!(
        "const row = document.querySelector(\"{row}\"); \
         const old = row.querySelector('.old').getBoundingClientRect(), now = row.querySelector('.new').getBoundingClientRect(); \
         if (old.right <= now.left && Math.abs(old.top - now.top) < 2) return true; \
         if (now.top >= old.bottom) return false; \
         return 'overlapping';"
    );
    script(client, &code).await.as_bool().expect("the cells neither stand side by side nor stacked")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_compares_versions_of_a_law_on_phone_desktop_and_paper() {
    let Some(corpus) = common::corpus() else { return };
    let Some(browser) = browser().await else { return };
    let client = &browser.client;
    let texts = versioned_texts(&corpus);
    let server = common::spawn_server_on(texts.path().to_path_buf()).await;
    let base = &server.base;

    for (size, window, wide) in [("1280", (1280, 900), true), ("390", (390, 844), false)] {
        client.set_window_size(window.0, window.1).await.unwrap();
        // 民事诉讼法: from the law's page to the comparison of its two versions.
        client.goto(&format!("{base}/docs/诉讼与非诉讼程序法/民事诉讼法(2023-09-01)")).await.unwrap();
        let link = client.wait().at_most(WAIT).for_element(Locator::LinkText("版本对照：逐条比较任意两个版本")).await;
        link.unwrap().click().await.unwrap();
        assert_eq!(text_of(client, "article.compare h1").await, "《中华人民共和国民事诉讼法》版本对照");
        let counts = text_of(client, ".compare-counts").await;
        assert!(counts.contains("新增 15 条") && counts.contains("删除 0 条"), "{counts}");
        // An amended article, renumbered by the articles added before it,
        // stands beside its old number with the changed words marked.
        let row = "#to-第二百七十九条";
        assert_eq!(
            text_of(client, &format!("{row} .compare-head")).await,
            "修改 第二百七十三条 → 第二百七十九条 改动较大（相似度 51%）"
        );
        assert_eq!(text_of(client, &format!("{row} .old del")).await, "，由中华人民共和国人民法院管辖");
        assert!(text_of(client, &format!("{row} .new ins")).await.starts_with("下列民事案件，由人民法院专属管辖"));
        assert_eq!(side_by_side(client, row).await, wide, "two columns on wide screens, stacked on phones");
        script(client, &format!("document.querySelector('{row}').scrollIntoView()")).await;
        save_screenshot(client, &format!("{size}-compare-renumbered")).await;
        // Articles renumbered without a change are folded; opened, the old
        // 第一百九十四条 stands beside the new 第一百九十八条.
        let folded = client.find(Locator::Css("#to-第一百九十八条")).await.unwrap();
        assert!(!folded.is_displayed().await.unwrap(), "unchanged runs start folded");
        let summary =
            client.find(Locator::XPath("//section[@id='to-第一百九十八条']/ancestor::details/summary")).await.unwrap();
        // Clear of the sticky column names, where a reader would click it.
        client.execute("arguments[0].scrollIntoView({block: 'center'})", vec![json!(summary)]).await.unwrap();
        summary.click().await.unwrap();
        assert!(folded.is_displayed().await.unwrap());
        assert_eq!(
            text_of(client, "#to-第一百九十八条 .compare-head").await,
            "仅条号变动 第一百九十四条 → 第一百九十八条"
        );
        let overflow = script(client, "return document.documentElement.scrollWidth <= window.innerWidth").await;
        assert_eq!(overflow, json!(true), "no horizontal scrolling at {size}");

        // On paper: the two columns side by side even on a narrow page, without the form and the site's frame.
        emulate_media(client, "print").await;
        assert!(side_by_side(client, row).await, "printed in two columns at {size}");
        for hidden in [".compare-pick", "header.site", "form.search"] {
            let shown = client.find(Locator::Css(hidden)).await.unwrap().is_displayed().await.unwrap();
            assert!(!shown, "{hidden} is not printed");
        }
        save_screenshot(client, &format!("{size}-compare-print")).await;
        emulate_media(client, "").await;
    }

    // 人身损害赔偿: three files, of which two hold the same articles, so two
    // versions; each version in the list links its comparison.
    client.set_window_size(1280, 900).await.unwrap();
    client
        .goto(&format!("{base}/docs/司法解释/最高人民法院关于审理人身损害赔偿案件适用法律若干问题的解释(2022-04-04)"))
        .await
        .unwrap();
    let versions = text_of(client, "nav.versions ul").await;
    assert_eq!(versions.lines().count(), 2, "{versions}");
    client.find(Locator::LinkText("与上一版本对照")).await.unwrap().click().await.unwrap();
    assert_eq!(text_of(client, "#to-第十二条 .old del").await, "或者农村居民人均纯收入");
    assert!(text_of(client, "#to-第二十四条 .compare-head").await.contains("改动较大"));
    save_screenshot(client, "1280-compare-injury").await;
    // The form (no script needed) swaps the versions.
    let choose = |field: &'static str, id: &'static str| async move {
        let select = client.find(Locator::Css(&format!("select[name={field}]"))).await.unwrap();
        select.select_by_value(id).await.unwrap();
    };
    choose("from", "司法解释/最高人民法院关于审理人身损害赔偿案件适用法律若干问题的解释(2022-04-04)").await;
    choose("to", "司法解释/最高人民法院关于审理人身损害赔偿案件适用法律若干问题的解释(2020-12-29)").await;
    client.find(Locator::Css(".compare-pick button")).await.unwrap().click().await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css("#to-第十二条 .new ins")).await.unwrap();
    assert_eq!(text_of(client, "#to-第十二条 .new ins").await, "或者农村居民人均纯收入");
    assert!(client.current_url().await.unwrap().query().unwrap().starts_with("from="));

    // 网络消费纠纷规定（一）: its two files hold the same articles, one
    // version: no comparison is offered, and its address says why.
    let online = "司法解释/最高人民法院关于审理网络消费纠纷案件适用法律若干问题的规定（一）(2022-03-01)";
    client.goto(&format!("{base}/docs/{online}")).await.unwrap();
    client.wait().at_most(WAIT).for_element(Locator::Css("article.document")).await.unwrap();
    assert!(client.find(Locator::Css("nav.versions")).await.is_err(), "one version: no version list");
    client.goto(&format!("{base}/docs/{online}/compare")).await.unwrap();
    assert_eq!(text_of(client, "main h1").await, "本库中只有这一个版本，没有可以对照的其他版本");
    browser.client.clone().close().await.unwrap();
}
