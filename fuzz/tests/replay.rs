//! Replays every fuzz input kept in the repository through its target on
//! stable Rust: the corpus (`corpus/<target>/`, seeds and what fuzzing found
//! worth keeping) and every crash ever found (`regressions/<target>/`), so a
//! fixed crash stays fixed.

use std::path::Path;

fn inputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| !n.to_string_lossy().starts_with('.')))
        .map(|p| (p.display().to_string(), std::fs::read(&p).expect("a readable input")))
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_and_regression_input_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut total = 0;
    for (name, target) in tokenwarden_fuzz::TARGETS {
        let corpus = inputs(&root.join("corpus").join(name));
        assert!(!corpus.is_empty(), "fuzz/corpus/{name} has no seed inputs");
        let regressions = inputs(&root.join("regressions").join(name));
        for (path, data) in corpus.iter().chain(&regressions) {
            let outcome = std::panic::catch_unwind(|| target(data));
            assert!(outcome.is_ok(), "{path} fails the {name} target");
            total += 1;
        }
        println!(
            "{name}: {} corpus and {} regression inputs",
            corpus.len(),
            regressions.len()
        );
    }
    println!("{total} inputs replayed");
}

#[test]
fn every_target_has_a_libfuzzer_binary() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    for (name, _) in tokenwarden_fuzz::TARGETS {
        assert!(
            root.join(format!("fuzz_targets/{name}.rs")).exists(),
            "fuzz_targets/{name}.rs"
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "[[bin]] {name} in fuzz/Cargo.toml"
        );
    }
}
