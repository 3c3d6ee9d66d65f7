//! One clock: the website, the API, the feed and the kiosk slides agree on
//! which warnings are in force, whatever zone the machine is set to. The
//! server's clock is pinned (Beijing time) and moved by the test; nothing
//! sleeps and nothing depends on the hour the suite runs at.

use crate::common;

use chrono::{DateTime, Utc};
use common::{Staff, form_value, signed_in, spawn_staff_server};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

/// Publishes a warning through the editor; `date` empty lets the server date it.
async fn publish(staff: &Staff, publisher: &reqwest::Client, slug: &str, title: &str, date: &str, expires: &str) {
    let page = publisher.get(format!("{}/admin/edit?kind=warning", staff.base)).send().await.unwrap();
    let page = page.text().await.unwrap();
    let mut form: Vec<(&str, String)> =
        ["csrf", "id", "base", "kind"].iter().map(|name| (*name, form_value(&page, name))).collect();
    form.extend([
        ("slug", slug.into()),
        ("title", title.into()),
        ("summary", format!("{title}，请注意。")),
        ("severity", "caution".into()),
        ("date", date.into()),
        ("expires", expires.into()),
        ("regions", "全国".into()),
        ("body", format!("## 发生了什么\n\n{title}。")),
        ("action", "publish".into()),
    ]);
    let saved = publisher.post(format!("{}/admin/save", staff.base)).form(&form).send().await.unwrap();
    assert_eq!(saved.status(), 200, "{}", saved.text().await.unwrap());
}

/// Which of `slugs` each public surface shows as in force now.
async fn in_force_everywhere(staff: &Staff, slugs: &[&str]) -> Vec<(&'static str, Vec<String>)> {
    let get = |path: &str| {
        let url = format!("{}{path}", staff.base);
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    };
    let warnings_page = get("/warnings").await;
    // The page lists warnings in force first, then the past and future ones.
    let in_force_part = warnings_page.split("已过期或尚未生效的警示").next().unwrap().to_string();
    let home = get("/").await;
    let api = get("/api/warnings?active=true").await;
    let feed = get("/feed.xml").await;
    roxmltree::Document::parse(&feed).expect("the feed is well-formed XML");
    let slides = get("/kiosk/mall-1/slides").await;
    let shows = |text: &str| -> Vec<String> {
        slugs.iter().filter(|slug| text.contains(&format!("warnings/{slug}"))).map(|s| s.to_string()).collect()
    };
    vec![
        ("warnings page", shows(&in_force_part)),
        ("home page", shows(&home)),
        ("API", shows(&api)),
        ("feed", shows(&feed)),
        ("kiosk slides", shows(&slides)),
    ]
}

fn assert_all_show(surfaces: &[(&'static str, Vec<String>)], expected: &[&str], when: &str) {
    for (surface, shown) in surfaces {
        assert_eq!(shown, expected, "{surface} at {when}");
    }
}

#[tokio::test]
async fn every_surface_agrees_on_what_is_in_force_at_any_hour() {
    let staff = spawn_staff_server().await;
    let slugs = ["last-day", "first-day", "dated-now"];

    // Noon UTC on 1 December is 20:00 in Beijing: the first warning is on
    // its last day, the second starts tomorrow.
    // Sessions last 8 hours of this clock, so staff sign in after each jump.
    staff.clock.set(at("2026-12-01T12:00:00Z"));
    let publisher = signed_in(&staff.base, "pub", "publisher-pass").await;
    publish(&staff, &publisher, "last-day", "旧烤箱警示最后一天", "2026-11-20", "2026-12-01").await;
    publish(&staff, &publisher, "first-day", "新烤箱警示明天生效", "2026-12-02", "2099-12-31").await;
    assert_all_show(&in_force_everywhere(&staff, &slugs).await, &["last-day"], "20:00 Beijing on 1 December");

    // 20:00 UTC on the first warning's last day (in UTC) is 04:00 on
    // 2 December in Beijing: it has expired and the second is in force,
    // though a machine set to UTC still reads 1 December.
    staff.clock.set(at("2026-12-01T20:00:00Z"));
    assert_all_show(&in_force_everywhere(&staff, &slugs).await, &["first-day"], "04:00 Beijing on 2 December");
    let publisher = signed_in(&staff.base, "pub", "publisher-pass").await;
    let admin = publisher.get(format!("{}/admin?stage=expired", staff.base)).send().await.unwrap();
    assert!(admin.text().await.unwrap().contains("warnings/last-day"), "the admin lists it as expired");

    // 17:00 UTC on 2 December is 01:00 on 3 December in Beijing: a warning
    // published now is dated 3 December and in force at once everywhere
    // (the suite used to fail here from 16:00 to 24:00 UTC).
    staff.clock.set(at("2026-12-02T17:00:00Z"));
    let publisher = signed_in(&staff.base, "pub", "publisher-pass").await;
    publish(&staff, &publisher, "dated-now", "刚刚发布的警示", "", "2099-12-31").await;
    let file = std::fs::read_to_string(staff.content.join("warnings/dated-now.md")).unwrap();
    assert!(file.contains("date = \"2026-12-03\""), "dated with Beijing's today: {file}");
    assert_all_show(
        &in_force_everywhere(&staff, &slugs).await,
        &["first-day", "dated-now"],
        "01:00 Beijing on 3 December",
    );
}
