//! The LawRefBook reader on any file text and name.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, &str)| {
    let (name, text) = input;
    let id = format!("法律/{name}");
    let _ = weiquan::content::lawrefbook::is_not_content(text);
    let _ = weiquan::content::lawrefbook::date_in_file_name(&id);
    let _ = weiquan::content::lawrefbook::read(&id, Path::new("lawrefbook/法律/fuzz.md"), text);
});
