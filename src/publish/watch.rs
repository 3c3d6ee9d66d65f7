//! Files changed under the content folder by other means (an editor, `git
//! pull`) are picked up and reindexed one by one.
