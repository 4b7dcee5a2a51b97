//! WordPiece speed on a text file (one sequence per line), release mode:
//!
//!     cargo run --release --example wordpiece_bench -- FILE [VOCAB_SIZE]
//!
//! Prints the time to count words and learn the vocab (BERT settings: lowercase, 5 specials,
//! min_frequency 2, limit_alphabet 1000), then encoding throughput in MB/s through the whole
//! pipeline (`Tokenizer::encode_batch`, offsets on) and through the three WordPiece stages
//! alone (normalize, pre-tokenize, WordPiece), both on all cores (rayon).

use rayon::prelude::*;
use rustbpe::models::Token;
use rustbpe::normalizers::BertNormalizer;
use rustbpe::pre_tokenizers::BertPreTokenizer;
use rustbpe::trainers::{Progress, TrainerSpec, Training, WordPieceTrainer};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: wordpiece_bench FILE [VOCAB_SIZE]");
        std::process::exit(2);
    };
    let vocab_size = match args.get(2).map(|s| s.parse::<usize>()) {
        None => 30522,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("VOCAB_SIZE must be a number: {e}");
            std::process::exit(2);
        }
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    let lines: Vec<&str> = text.lines().collect();
    let mb = text.len() as f64 / 1e6;
    println!(
        "{path}: {:.1} MB, {} lines, {} threads",
        mb,
        lines.len(),
        rayon::current_num_threads()
    );

    let normalizer = BertNormalizer::default();
    let trainer = WordPieceTrainer {
        vocab_size,
        min_frequency: 2,
        special_tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
            .map(String::from)
            .to_vec(),
        limit_alphabet: Some(1000),
        continuing_subword_prefix: "##".into(),
        unk_token: "[UNK]".into(),
        max_input_chars_per_word: 100,
    };
    let always = |_: Progress| true;
    let t = Instant::now();
    let mut training = Training::new(TrainerSpec::WordPiece {
        trainer,
        normalizer: normalizer.clone(),
    });
    for batch in lines.chunks(4096) {
        training.add_texts(batch);
    }
    let count_s = t.elapsed().as_secs_f64();
    let distinct = training.counts.counts.len();
    let t = Instant::now();
    let tokenizer = training.finish(&always).unwrap_or_else(|e| {
        eprintln!("training failed: {e}");
        std::process::exit(1);
    });
    let train_s = t.elapsed().as_secs_f64();
    println!(
        "train: count {count_s:.3} s ({distinct} distinct words) + merges {train_s:.3} s = {:.3} s, vocab {}",
        count_s + train_s,
        tokenizer.vocab_size()
    );

    // Best of 3 runs for the encoding numbers.
    let mut best = f64::MAX;
    let mut tokens = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let encodings = tokenizer
            .encode_batch(&lines, None, false, None, true)
            .unwrap_or_else(|e| {
                eprintln!("encoding failed: {e}");
                std::process::exit(1);
            });
        best = best.min(t.elapsed().as_secs_f64());
        tokens = encodings.iter().map(|e| e.ids.len()).sum::<usize>();
    }
    println!(
        "encode (pipeline, offsets): {:.1} MB/s, {tokens} tokens, {:.4} tokens/char",
        mb / best,
        tokens as f64 / text.chars().count() as f64
    );

    let rustbpe::models::Model::WordPiece(model) = &tokenizer.model else {
        unreachable!("trained a WordPiece model");
    };
    let mut best = f64::MAX;
    let mut stage_tokens = 0;
    for _ in 0..3 {
        let t = Instant::now();
        stage_tokens = lines
            .par_iter()
            .map_init(
                || (Vec::new(), Vec::<Token>::new()),
                |(words, toks), line| {
                    let normalized = normalizer.normalize(line);
                    words.clear();
                    toks.clear();
                    BertPreTokenizer.split(&normalized.text, words);
                    for &(s, e) in words.iter() {
                        model.tokenize(&normalized.text[s..e], toks);
                    }
                    toks.len()
                },
            )
            .sum::<usize>();
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "encode (normalize + pre-tokenize + WordPiece only): {:.1} MB/s, {stage_tokens} tokens",
        mb / best
    );
}
