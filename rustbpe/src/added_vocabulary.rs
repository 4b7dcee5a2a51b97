//! Special (added) tokens: found first in the raw text (leftmost-longest, Aho-Corasick) and
//! kept atomic; the text between them goes through the normal pipeline.
// H-pipe
