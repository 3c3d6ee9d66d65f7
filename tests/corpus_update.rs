//! What changed in the official texts: `weiquan corpus update` and
//! `weiquan check --stale` on two small snapshots of made-up laws
//! (`tests/fixtures/corpus-old`, `corpus-new`) and made-up content citing
//! them (`tests/fixtures/corpus-content`).
//!
//! From the old snapshot to the new one, 《虚构消费者保障法》 gets a new
//! version in force from 2024-10-01 (第三条 amended, 第五条 moved to 第六条,
//! 第八条 deleted), 《虚构网购纠纷解释》 is added and 《虚构产品标识条例》
//! is gone. The guide (2020) and the warning (2024-08-01, before the new
//! version took effect) cite the old version; the case (2025) cites the new
//! one and the other warning an unchanged law, so they are not listed.

mod common;

use common::fixture;
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

#[test]
fn the_report_is_exact() {
    let today = Clock::default().today();
    let load = |name: &str| content::load(&[fixture(name)], today, &|_, _| {}).unwrap();
    let changes = changes::compare(&load("corpus-old"), &load("corpus-new"), &load("corpus-content"));
    assert_eq!(changes.to_string(), REPORT);
}
