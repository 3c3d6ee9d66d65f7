//! A case this project retells in plain words (`retells` in its front
//! matter) and the official case it retells stand together in the results:
//! the official text right above the retelling, which matches people's
//! wording better.

use std::path::{Path, PathBuf};
use std::process::Command;

use weiquan::search::{Engine, SearchRequest};

use crate::common::unit_id;

const OFFICIAL: &str = "预付卡未使用金额经营者应向消费者返还";

/// An official-texts root with one case, and a project root with a
/// retelling of it that names `retells`.
fn roots(retells: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let official = dir.path().join("lawrefbook");
    let cases = official.join("案例").join("消费购物");
    std::fs::create_dir_all(&cases).unwrap();
    std::fs::write(
        cases.join("张某等人诉某销售公司服务合同纠纷案.md"),
        format!(
            "# {OFFICIAL}\n\n张某等人在被告处办理预付式消费卡。被告停止经营后，原告诉请返还预付卡内未使用的金额。\
             法院认为经营者以预收款方式提供服务，未按约定提供的，应当返还预付款。\n"
        ),
    )
    .unwrap();
    let ours = dir.path().join("content");
    std::fs::create_dir_all(ours.join("cases")).unwrap();
    std::fs::write(
        ours.join("cases").join("swimming.md"),
        format!(
            "+++\ntitle = \"游泳馆关门不干了，卡里没用完的钱要退\"\nretells = \"{retells}\"\ndate = 2024-03-15\n+++\n\n\
             游泳馆突然关门不干了，老板也联系不上，办卡的钱还剩一大半。法院判游泳馆把卡里没用完的钱退给顾客。\n"
        ),
    )
    .unwrap();
    (dir, official, ours)
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn the_official_case_stands_right_above_its_retelling() {
    let (dir, official, ours) = roots(OFFICIAL);
    let index = dir.path().join("index");
    let clock = weiquan::clock::Clock::default();
    weiquan::search::build(&index, &[official, ours], &clock, &|_, _, _| {}).unwrap();
    let engine = Engine::open(&index, clock).unwrap();
    // The wording is the retelling's; the official text shares little of it.
    let results = engine.search(&SearchRequest::new("游泳馆关门不干了，卡里的钱能退吗")).unwrap();
    let ids: Vec<String> = results.hits.iter().map(unit_id).collect();
    let retelling = ids.iter().position(|id| id == "cases/swimming").expect("the retelling is found");
    let case = ids.iter().position(|id| id.starts_with("案例/")).expect("the official case is found with it");
    assert_eq!(case + 1, retelling, "{ids:?}");
    assert_eq!(results.hits[case].title, OFFICIAL);
    // The retelling's page links the official case.
    let page = engine.document("cases/swimming", &|_| String::new()).unwrap().expect("the retelling's page");
    assert_eq!(page.retold.as_deref(), Some(results.hits[case].id.as_str()));
}

#[test]
fn check_reports_a_retelling_of_no_official_case() {
    let (_dir, official, ours) = roots("没有这个案例");
    let weiquan = |roots: &[&Path]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_weiquan"));
        command.arg("check").env_remove("WEIQUAN_CONTENT");
        for root in roots {
            command.args(["--content", arg(root)]);
        }
        command.output().unwrap()
    };
    let output = weiquan(&[&official, &ours]);
    let problems = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{problems}");
    assert!(
        problems.contains("swimming.md: `retells` names no case of the official texts: `没有这个案例`"),
        "{problems}"
    );
    // Without the official texts there is nothing to check it against.
    let output = weiquan(&[&ours]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
}

#[test]
fn a_judged_question_that_a_case_answers_is_compared_with_the_query_for_the_case() {
    let (dir, official, _) = roots(OFFICIAL);
    let index = dir.path().join("index");
    let clock = weiquan::clock::Clock::default();
    // A case is named by its title alone (`案例` stands for the label).
    let asked = format!("? {OFFICIAL} 案例 => 早教中心搬走了，孩子的课时卡还剩二十节\n");
    weiquan::search::build_with_asked(&index, &[official], &clock, asked).unwrap();
    let engine = Engine::open(&index, clock).unwrap();
    let request = SearchRequest {
        explain: true, ..SearchRequest::new("早教中心搬走了，课时卡还剩二十节怎么办")
    };
    let results = engine.search(&request).unwrap();
    let case = results.hits.iter().find(|hit| hit.title == OFFICIAL).expect("the case is found");
    let similar = case.explain.as_ref().expect("explained").iter().find(|f| f.feature == "similar_question");
    assert!(
        similar.is_some_and(|f| f.value > weiquan::search::rank::NEIGHBOUR_FLOOR),
        "near enough to join the candidates: {:?}",
        case.explain
    );
}
