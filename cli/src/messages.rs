//! The retailer's message files: `messages/<tag>.ftl` beside the catalog seed.
//!
//! A file named by a shipped language (`en.ftl`, `ja.ftl`) rewords some of chatdrop's
//! messages; a file in another language (`fr.ftl`) adds that language and must have every
//! message (see `chatdrop_domain::messages`). `catalog check` and `catalog load` read them into
//! `Catalog.messages`, and the catalog's validation checks them against `en.ftl`, so a broken
//! file fails here, with its line, and never reaches a customer.

use chatdrop_domain::catalog::CatalogError;
use chatdrop_domain::lang::{Lang, LangError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The folder beside a catalog file that holds its message files.
pub fn folder(catalog_file: &Path) -> PathBuf {
    catalog_file
        .parent()
        .unwrap_or(Path::new("."))
        .join("messages")
}

/// Why the message folder cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: a message file is named by its language, like ja.ftl or pt-BR.ftl", .path.display())]
    NotFtl { path: PathBuf },
    #[error("{}: {source}", .path.display())]
    BadTag { path: PathBuf, source: LangError },
    #[error("{}: name it {canonical}.ftl", .path.display())]
    NotCanonical { path: PathBuf, canonical: Lang },
}

/// Every `<tag>.ftl` in `folder` by language; none when the folder does not exist. Hidden
/// files (an editor's `.swp`, `.DS_Store`) are skipped.
pub fn read(folder: &Path) -> Result<BTreeMap<Lang, String>, Vec<FolderError>> {
    let mut files = BTreeMap::new();
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(files),
        Err(source) => {
            return Err(vec![FolderError::Read {
                path: folder.into(),
                source,
            }]);
        }
    };
    let mut problems = Vec::new();
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        match language_of(&path, name) {
            Ok(lang) => match std::fs::read_to_string(&path) {
                Ok(source) => {
                    files.insert(lang, source);
                }
                Err(source) => problems.push(FolderError::Read { path, source }),
            },
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(problems)
    }
}

fn language_of(path: &Path, name: &str) -> Result<Lang, FolderError> {
    let Some(tag) = name.strip_suffix(".ftl") else {
        return Err(FolderError::NotFtl { path: path.into() });
    };
    let lang = Lang::parse(tag).map_err(|source| FolderError::BadTag {
        path: path.into(),
        source,
    })?;
    // One spelling per language, so `pt-br.ftl` and `pt-BR.ftl` cannot both be read.
    if lang.code() != tag {
        return Err(FolderError::NotCanonical {
            path: path.into(),
            canonical: lang,
        });
    }
    Ok(lang)
}

/// A catalog's validation error, with message-file problems each on a line naming the file.
pub fn explain(error: &CatalogError, folder: &Path) -> String {
    match error {
        CatalogError::Messages(problems) => problems
            .iter()
            .map(|p| format!("{}/{p}", folder.display()))
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder under the system's temp dir, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!("chatdrop-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }

        fn write(&self, name: &str, text: &str) {
            std::fs::write(self.0.join(name), text).unwrap();
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn reads_files_by_language_and_skips_hidden_ones() {
        let dir = Scratch::new("messages-ok");
        dir.write("ja.ftl", "back = もどる\n");
        dir.write("pt-BR.ftl", "back = Volta\n");
        dir.write(".ja.ftl.swp", "junk");
        let files = read(&dir.0).unwrap();
        assert_eq!(
            files.keys().copied().collect::<Vec<_>>(),
            [Lang::JA, Lang::PT_BR]
        );
        assert_eq!(files[&Lang::JA], "back = もどる\n");
    }

    #[test]
    fn a_missing_folder_means_no_overrides() {
        let dir = Scratch::new("messages-none");
        assert!(read(&dir.0.join("messages")).unwrap().is_empty());
    }

    #[test]
    fn every_badly_named_file_is_reported() {
        let dir = Scratch::new("messages-bad");
        dir.write("notes.txt", "");
        dir.write("my text.ftl", "");
        dir.write("pt-br.ftl", "");
        let problems: Vec<String> = read(&dir.0)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(
            problems[0].contains("my text.ftl: `my text` is not a BCP 47"),
            "{problems:?}"
        );
        assert!(problems[1].ends_with(
            "notes.txt: a message file is named by its language, like ja.ftl or pt-BR.ftl"
        ));
        assert!(problems[2].ends_with("pt-br.ftl: name it pt-BR.ftl"));
    }

    #[test]
    fn a_broken_file_is_explained_with_its_path_and_line() {
        let mut catalog: chatdrop_domain::catalog::Catalog =
            toml::from_str(include_str!("../catalogs/sample.toml")).unwrap();
        catalog.messages = BTreeMap::from([(Lang::JA, "back = 戻る\ncart-total = 合計\n".into())]);
        let error = catalog.validate().unwrap_err();
        let text = explain(&error, Path::new("shop/messages"));
        assert!(
            text == "shop/messages/ja.ftl line 2: `cart-total` must use the variables of en.ftl ($total); missing: $total; unknown: none",
            "{text}"
        );
    }
}
