//! `Encoding`: ids, type ids, offsets (chars into the original text), special-tokens and
//! attention masks; pair assembly (`[CLS] A [SEP] B [SEP]`), longest-first truncation, padding.
// H-pipe
