//! HF's `WordPiece` decoder: pieces with the continuing-subword prefix are glued to the
//! previous token, the others follow a space; `cleanup` undoes BERT's spacing.

pub fn decode(tokens: &[&str], prefix: &str, cleanup: bool) -> String {
    let mut out = String::new();
    for (i, token) in tokens.iter().enumerate() {
        let mut piece = if i == 0 {
            (*token).to_owned()
        } else if let Some(rest) = token.strip_prefix(prefix) {
            rest.to_owned()
        } else {
            format!(" {token}")
        };
        if cleanup {
            piece = cleanup_text(&piece);
        }
        out.push_str(&piece);
    }
    out
}

/// HF's `wordpiece::cleanup` (applied to each token, as HF does).
fn cleanup_text(s: &str) -> String {
    s.replace(" .", ".")
        .replace(" ?", "?")
        .replace(" !", "!")
        .replace(" ,", ",")
        .replace(" ' ", "'")
        .replace(" n't", "n't")
        .replace(" 'm", "'m")
        .replace(" do not", " don't")
        .replace(" 's", "'s")
        .replace(" 've", "'ve")
        .replace(" 're", "'re")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_glue_and_cleanup_is_per_token() {
        let tokens = ["un", "##able", "to", "go", "!", "it", "'", "s"];
        assert_eq!(decode(&tokens, "##", false), "unable to go ! it ' s");
        // Cleanup runs on each token with its leading space, so " '" + " s" stays apart.
        assert_eq!(decode(&tokens, "##", true), "unable to go! it ' s");
        assert_eq!(decode(&["a", "@@b", "##c"], "@@", true), "ab ##c");
    }
}
