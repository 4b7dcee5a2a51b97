//! `Tokenizer`: the whole pipeline (added vocabulary, normalizer, pre-tokenizer, model,
//! post-processor, decoder), single and batch (rayon) encoding, decoding, training.
// H-pipe
