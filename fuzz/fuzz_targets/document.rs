//! Front matter, Markdown and article splitting of a project content file.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let root = Path::new("content");
    for path in ["content/laws/fuzz.md", "content/warnings/fuzz.md", "content/cases/fuzz.md"] {
        if let Ok(document) = weiquan::content::parse_document(root, Path::new(path), text) {
            let kept: usize = document.units.iter().map(|u| u.text.len()).sum();
            assert!(kept <= text.len() * 2, "units hold no more than the text");
        }
    }
    let _ = weiquan::content::articles::split_law(text, &[]);
});
