//! `/about`: where the texts come from, what they are known not to cover
//! yet, and, when the official texts are not loaded, how to add them.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::AppState;
use super::pages::Visitor;

/// A text the official collection (the pinned LawRefBook snapshot of
/// 2025-04-19) does not have in its current form, checked against official
/// announcements.
struct Gap {
    title: &'static str,
    /// What changed and since when, in one sentence.
    change: &'static str,
}

/// Known gaps, newest first. Guides and warnings that rely on one of these
/// texts say so in a line of their own.
const GAPS: &[Gap] = &[
    Gap {
        title: "市场监督管理投诉举报处理办法",
        change: "国家市场监督管理总局2025年12月30日公布，2026年4月15日起施行，取代《市场监督管理投诉举报处理暂行办法》（调解期限改为六十日等）；本站收录的是暂行办法。",
    },
    Gap {
        title: "中华人民共和国仲裁法",
        change: "2025年9月12日修订通过，2026年3月1日起施行；本站收录的是2017年修正的文本。",
    },
    Gap {
        title: "中华人民共和国食品安全法",
        change: "2025年9月12日修正（重点液态食品散装运输、婴幼儿配方液态乳等），2025年12月1日起施行；本站收录的是2021年修正的文本。",
    },
    Gap {
        title: "中华人民共和国反不正当竞争法",
        change: "2025年6月27日修订通过，2025年10月15日起施行，条文序号有调整；本站收录的是2019年修正的文本。",
    },
    Gap {
        title: "中华人民共和国消费者权益保护法实施条例",
        change: "国务院2024年3月公布，2024年7月1日起施行；本站尚未收录。",
    },
];

pub(super) async fn about(State(state): State<AppState>, visitor: Visitor) -> Response {
    let manifest = state.engine().manifest();
    let official_texts = weiquan_core::corpus::has_official_texts(&manifest.roots);
    let main = html! {
        h1 { "关于本站" }
        @if !official_texts {
            section.notice #no-corpus role="note" {
                h2 { "本站尚未载入法律法规原文" }
                p { "目前只能查到本站编写的消费警示、维权指南、法律解读和案例，查不到法律条文原文。管理员可以运行 " code { "weiquan corpus fetch" } " 下载法律文本，或启动时用 " code { "--content" } " 指向 LawRefBook 法律文本文件夹。" }
                p lang="en" { "The official law texts are not loaded. Run " code { "weiquan corpus fetch" } ", or start with " code { "--content" } " pointing at a LawRefBook checkout." }
            }
        }
        p { "消费维权知识库收录与消费者权益有关的法律法规、司法解释、典型案例、消费警示和维权指南，帮助大家用日常说法找到能解决问题的法律条文。" }
        h2 { "法律文本从哪里来" }
        p { "法律法规和案例文本来自公开的 LawRefBook 法律法规数据库（2025年4月19日的版本）。本站仅供学习和参考，不构成法律意见；法律文本以全国人大、国务院及各部门、最高人民法院等国家机关正式公布的文本为准。工作人员手工录入的法律文本，在页面底部注明来源。" }
        p { "消费警示、维权指南和法律解读由本站编写，引用的条文均已与原文核对。" }
        section #known-gaps aria-labelledby="gaps-title" {
            h2 #gaps-title { "尚未收录的新文本" }
            p { "下列法律法规在本站收录的版本之后有了新的文本，请以国家机关正式公布的最新文本为准：" }
            ul {
                @for gap in GAPS {
                    li { strong { "《" (gap.title) "》" } "：" (gap.change) }
                }
            }
        }
        h2 { "需要帮助" }
        p { "遇到消费纠纷，可以先与商家协商；协商不成，可拨打 12315 热线、登录全国12315平台，或向当地消费者协会求助，也可以向人民法院起诉。" }
        p.small { "当前索引：文档 " (manifest.documents) " 篇，条目 " (manifest.units) " 个，建立于 " (manifest.built_at) "。" }
    };
    state.page(&visitor, "关于本站", main).into_response()
}
