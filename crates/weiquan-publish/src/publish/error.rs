//! Why a save was refused: in Chinese for staff, in English for the API,
//! never naming the server's folders.

use super::{Refusal, StoreError};
use weiquan_core::search;

/// Why a save was refused.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The text changed since the editor opened it. The current fingerprint
    /// is never told: it would let anyone who guessed an id overwrite it.
    #[error("这篇内容已被他人修改。您的修改没有保存：请复制您的文字，重新打开后再改。")]
    Conflict,
    /// The file changed after a revision waiting for approval was written
    /// against it: approving or building on it would undo that change.
    #[error("这份待批准的修改提交之后，网站上的文字又改动过：请发布员先放弃这份修改，再重新编辑。")]
    PendingOutdated,
    #[error("内容有误：{0}")]
    Invalid(String),
    #[error("您不能执行此操作：{0}")]
    Forbidden(Refusal),
    #[error("没有找到这篇内容：{0}")]
    NotFound(String),
    #[error("保存失败，原文件未改动：{}", write_failure(.0))]
    Io(#[from] std::io::Error),
    #[error("数据库错误：{0}")]
    Store(#[from] StoreError),
    /// The index error itself is logged, not shown: it names server folders.
    #[error("索引更新失败（文件已保存，重启后会重建索引）")]
    Search(#[from] search::Error),
}

impl From<Refusal> for PublishError {
    fn from(refusal: Refusal) -> PublishError {
        PublishError::Forbidden(refusal)
    }
}

impl PublishError {
    /// The message in English, for the API.
    pub fn english(&self) -> String {
        use std::io::ErrorKind;
        match self {
            PublishError::Conflict => {
                "the document was changed by someone else since you opened it; nothing was saved: \
                 open it again and redo your change"
                    .into()
            }
            PublishError::PendingOutdated => "the document changed after the revision waiting for approval \
                                              was written: a publisher must discard that revision first"
                .into(),
            PublishError::Invalid(reason) => format!("invalid document: {reason}"),
            PublishError::Forbidden(refusal) => refusal.english().into(),
            PublishError::NotFound(what) => format!("not found: {what}"),
            PublishError::Io(error) => match error.kind() {
                ErrorKind::StorageFull | ErrorKind::QuotaExceeded => {
                    "not saved, the old file is unchanged: the server's disk is full".into()
                }
                ErrorKind::ReadOnlyFilesystem | ErrorKind::PermissionDenied => {
                    "not saved, the old file is unchanged: the content folder is not writable".into()
                }
                _ => format!("not saved, the old file is unchanged: {error}"),
            },
            PublishError::Store(error) => format!("staff database error: {error}"),
            PublishError::Search(error) => {
                format!("the file is saved but the index was not updated (it is rebuilt on restart): {error}")
            }
        }
    }
}

/// Why a file could not be written, in words for the person saving.
fn write_failure(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => "服务器磁盘已满，请联系管理员清理空间后再保存".into(),
        ErrorKind::ReadOnlyFilesystem | ErrorKind::PermissionDenied => {
            "内容文件夹不能写入（只读或没有权限），请联系管理员".into()
        }
        // The kind only: an error's own text can name the server's folders.
        kind => format!("{kind}，请稍后再试或联系管理员"),
    }
}
