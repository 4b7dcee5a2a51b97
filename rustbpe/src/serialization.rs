//! HF `tokenizer.json` read/write (both ways, exact round trip) and WordPiece `vocab.txt`.
// H-pipe
