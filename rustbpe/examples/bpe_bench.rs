//! Times byte-level BPE training (word counting, merge learning) and encoding on a text file
//! (one document per line): `cargo run --release --example bpe_bench -- FILE [VOCAB] [gpt2|gpt4]`.

use std::time::Instant;

use rayon::prelude::*;
use rustbpe::models::Token;
use rustbpe::pre_tokenizers::{ByteLevel, SplitPattern};
use rustbpe::trainers::{BpeTrainer, Progress, WordCounts};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: bpe_bench FILE [VOCAB_SIZE] [gpt2|gpt4]");
        std::process::exit(2);
    };
    let vocab_size: usize = args
        .get(2)
        .map_or(30522, |v| v.parse().expect("VOCAB_SIZE"));
    let pattern = match args.get(3).map(String::as_str) {
        Some("gpt4") => SplitPattern::Gpt4,
        _ => SplitPattern::Gpt2,
    };
    let text = std::fs::read_to_string(path).expect("readable UTF-8 file");
    let lines: Vec<&str> = text.lines().collect();
    let mb = text.len() as f64 / 1e6;
    let pre = ByteLevel { pattern };
    println!(
        "{path}: {mb:.1} MB, {} lines, {} threads, {pattern:?}",
        lines.len(),
        rayon::current_num_threads()
    );

    let repeats: usize = std::env::var("BENCH_REPEATS").map_or(3, |v| v.parse().unwrap_or(3));
    let trainer = BpeTrainer {
        vocab_size,
        min_frequency: 2,
        special_tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
            .map(String::from)
            .to_vec(),
    };
    let no_progress = |_: Progress| true;
    // Best of a few runs: the machine is shared, the minimum is the least disturbed.
    let (mut count_s, mut merge_s) = (f64::MAX, f64::MAX);
    let (mut count_cpu, mut merge_cpu) = (f64::MAX, f64::MAX);
    let mut result = None;
    for _ in 0..repeats {
        let (t, c) = (Instant::now(), cpu_s());
        let mut counts = WordCounts::default();
        for batch in lines.chunks(100_000) {
            counts.add_batch(batch, |doc, sink| {
                let mut spans = Vec::new();
                pre.split(doc, &mut spans);
                for (s, e) in spans {
                    sink(&doc[s..e]);
                }
            });
        }
        count_s = count_s.min(t.elapsed().as_secs_f64());
        count_cpu = count_cpu.min(cpu_s() - c);
        let (t, c) = (Instant::now(), cpu_s());
        let model = trainer.train(&counts, &no_progress).expect("training");
        merge_s = merge_s.min(t.elapsed().as_secs_f64());
        merge_cpu = merge_cpu.min(cpu_s() - c);
        result = Some((counts.counts.len(), model));
    }
    let (n_distinct, model) = result.expect("at least one run");
    println!("count:  {count_s:.3} s, cpu {count_cpu:.3} s ({n_distinct} distinct words)");
    println!(
        "merge:  {merge_s:.3} s, cpu {merge_cpu:.3} s ({} merges, vocab {})",
        model.merges.len(),
        model.vocab_size()
    );
    println!(
        "train total: {:.3} s (best of {repeats})",
        count_s + merge_s
    );

    if std::env::var_os("BENCH_TRAIN_ONLY").is_some() {
        return;
    }
    let (t, c) = (Instant::now(), cpu_s());
    let n_words: usize = lines
        .par_iter()
        .map(|line| {
            let mut spans = Vec::new();
            pre.split(line, &mut spans);
            spans.len()
        })
        .sum();
    let split_s = t.elapsed().as_secs_f64();
    let split_cpu = cpu_s() - c;
    println!(
        "pre-tokenize: {split_s:.3} s = {:.0} MB/s, cpu {split_cpu:.3} s = {:.0} MB/s per core \
         ({n_words} words)",
        mb / split_s,
        mb / split_cpu
    );

    for round in ["cold", "warm"] {
        let (t, c) = (Instant::now(), cpu_s());
        let n_tokens: usize = lines
            .par_chunks(256)
            .map(|chunk| {
                let (mut spans, mut tokens) = (Vec::new(), Vec::<Token>::new());
                let mut n = 0;
                for line in chunk {
                    spans.clear();
                    pre.split(line, &mut spans);
                    for &(s, e) in &spans {
                        tokens.clear();
                        model.tokenize(&line[s..e], &mut tokens);
                        n += tokens.len();
                    }
                }
                n
            })
            .sum();
        let enc_s = t.elapsed().as_secs_f64();
        let enc_cpu = cpu_s() - c;
        println!(
            "encode ({round} cache): {enc_s:.3} s = {:.1} MB/s, cpu {enc_cpu:.3} s = {:.1} MB/s \
             per core ({n_tokens} tokens)",
            mb / enc_s,
            mb / enc_cpu
        );
    }
}

/// CPU time of this process so far (all threads), from Linux's per-thread scheduler stats:
/// on a shared machine it shows the work done, whatever the wall clock says.
fn cpu_s() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .sum::<f64>()
        / 1e9
}
