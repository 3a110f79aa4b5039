//! Tidy tests: the invariants of ARCHITECTURE.md that reading the repository can check.
//!
//! Architecture rules written only in prose erode one convenient import at a time. Like
//! rust-analyzer's `tidy` tests, these read the source tree and fail with the rule and the
//! offending file, so a rule changes only by editing it here and in ARCHITECTURE.md together.

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    xtask::moto::repo_root().to_path_buf()
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn manifest(path: &Path) -> toml::Table {
    fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The domain is plain Rust: no AWS SDK, no HTTP, no platform, no other chatdrop crate, so it
/// is testable without a server and every adapter depends on it, never the other way round.
#[test]
fn the_domain_crate_depends_on_no_aws_http_or_platform_crate() {
    let deps = manifest(&root().join("shared/domain/Cargo.toml"));
    let deps = deps["dependencies"].as_table().expect("[dependencies]");
    let forbidden = [
        "aws-",
        "aws_",
        "lambda",
        "reqwest",
        "hyper",
        "http",
        "axum",
        "tower",
        "tokio",
        "stripe",
        "async-stripe",
        "teloxide",
        "chatdrop-",
    ];
    for name in deps.keys() {
        assert!(
            !forbidden.iter().any(|f| name.starts_with(f)),
            "shared/domain depends on `{name}`: the domain must stay free of AWS, HTTP, platforms \
             and adapters (ARCHITECTURE.md, Crates)"
        );
    }
}

/// Each function's `main.rs` only wires the runtime to the handler in `lib.rs`: logging, the
/// app built from the environment, `run`. Anything else belongs in `lib.rs`, where tests and
/// the local stack reach it.
#[test]
fn each_function_main_only_wires_the_runtime() {
    let functions = root().join("functions");
    let mut checked = 0;
    for entry in fs::read_dir(&functions).unwrap() {
        let main = entry.unwrap().path().join("src/main.rs");
        if !main.exists() {
            continue;
        }
        let source = fs::read_to_string(&main).unwrap();
        let code: Vec<&str> = source
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("//"))
            .collect();
        let shown = main.display();
        assert!(code.len() <= 10, "{shown}: {} lines of code", code.len());
        assert_eq!(
            code.iter().filter(|l| l.contains("fn ")).count(),
            1,
            "{shown}: only `main`"
        );
        for word in [
            "impl ", "struct ", "enum ", "mod ", "match ", "if ", "loop", "for ",
        ] {
            assert!(
                !code.iter().any(|l| l.contains(word)),
                "{shown}: `{word}` belongs in lib.rs"
            );
        }
        assert!(
            source.contains("chatdrop_telemetry::init()"),
            "{shown}: logs"
        );
        assert!(
            source.contains("from_env()"),
            "{shown}: the app from config"
        );
        assert!(source.contains("run("), "{shown}: the runtime");
        checked += 1;
    }
    assert!(checked >= 7, "found only {checked} functions");
}

/// Adapters know nothing of each other: what two platforms share lives in a shared module of
/// the crate (`text`, `http_send`, `meta` for Meta's two), never in one adapter the other imports.
#[test]
fn no_channel_adapter_imports_another() {
    let src = root().join("shared/channels/src");
    let adapters: Vec<&str> = chatdrop_domain::channel::Channel::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    for &adapter in &adapters {
        let folder = src.join(adapter);
        let files = if folder.is_dir() {
            rust_files(&folder)
        } else {
            vec![src.join(format!("{adapter}.rs"))]
        };
        assert!(files.iter().all(|f| f.exists()), "no adapter `{adapter}`");
        for file in files {
            let source = fs::read_to_string(&file).unwrap();
            for &other in adapters.iter().filter(|&&o| o != adapter) {
                for path in [
                    format!("crate::{other}"),
                    format!("super::super::{other}"),
                    format!("chatdrop_channels::{other}"),
                ] {
                    assert!(
                        !source.contains(&path),
                        "{} uses `{path}`: move what they share to a shared module",
                        file.display()
                    );
                }
                if !folder.is_dir() {
                    assert!(
                        !source.contains(&format!("super::{other}")),
                        "{} uses `super::{other}`",
                        file.display()
                    );
                }
            }
        }
    }
}

/// Adapter files stay small enough to read in one sitting: a platform's inbound, render and
/// send code each in its own file, tests beside them, none over 600 lines.
#[test]
fn no_channel_source_file_is_over_600_lines() {
    for file in rust_files(&root().join("shared/channels/src")) {
        let lines = fs::read_to_string(&file).unwrap().lines().count();
        assert!(
            lines <= 600,
            "{} has {lines} lines: split it by concern (ARCHITECTURE.md, Channels)",
            file.display()
        );
    }
}
