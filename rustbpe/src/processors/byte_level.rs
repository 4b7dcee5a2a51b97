//! HF's `ByteLevel` post-processor with `trim_offsets`: offsets leave out the spaces a token
//! starts or ends with.

use crate::added_vocabulary::AddedVocabulary;
use crate::encoding::Encoding;
use crate::models::Model;

/// HF's `ByteLevel::process_offsets` on the byte offsets of one sequence: drop leading and
/// trailing spaces (`Ġ` in model tokens, whitespace in added tokens, which HF names by the
/// matched text).
pub fn trim_offsets(
    text: &str,
    add_prefix_space: bool,
    added: &AddedVocabulary,
    model: &Model,
    out: &mut Encoding,
) {
    for (i, (&id, offsets)) in out.ids.iter().zip(out.offsets.iter_mut()).enumerate() {
        let (s, e) = (offsets.0 as usize, offsets.1 as usize);
        // HF counts chars, and adds the count to byte offsets: spaces are one byte.
        let name = match added.get(id) {
            Some(_) => text.get(s..e).unwrap_or_default(),
            None => model.id_to_token(id).unwrap_or_default(),
        };
        let is_space = |c: &char| *c == 'Ġ' || c.is_whitespace();
        let mut lead = name.chars().take_while(is_space).count();
        let trail = name.chars().rev().take_while(is_space).count();
        if lead > 0 && add_prefix_space && lead == 1 && (i == 0 || s == 0) {
            lead = 0; // the space HF's pre-tokenizer would have added itself
        }
        let (mut s, mut e) = (s, e);
        if lead > 0 {
            s = (s + lead).min(e);
        }
        if trail > 0 && e >= trail {
            e = (e - trail).max(s);
        }
        *offsets = (s as u32, e as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::added_vocabulary::AddedToken;
    use crate::models::Bpe;

    fn encoding(tokens: &[(u32, (u32, u32))]) -> Encoding {
        let mut e = Encoding::default();
        for &(id, span) in tokens {
            e.push(id, 0, span, false);
        }
        e
    }

    #[test]
    fn spaces_leave_the_offsets() {
        let vocab = ["Ġhi", "hi", "Ġ"].map(String::from).to_vec();
        let model = Model::Bpe(Bpe::new(vocab, Vec::new()).unwrap());
        let mut marker = AddedToken::special(3, "[A]");
        marker.lstrip = true; // its match takes in the space before it
        let added = AddedVocabulary::new(vec![marker]).unwrap();
        let text = "hi hi [A] ";
        let mut e = encoding(&[(1, (0, 2)), (0, (2, 5)), (3, (5, 9)), (2, (9, 10))]);
        trim_offsets(text, false, &added, &model, &mut e);
        assert_eq!(e.offsets, [(0, 2), (3, 5), (6, 9), (10, 10)]);
        // With add_prefix_space, the first token keeps its one leading space.
        for (add_prefix_space, start) in [(false, 1), (true, 0)] {
            let mut e = encoding(&[(0, (0, 3))]);
            trim_offsets("Ġhi", add_prefix_space, &added, &model, &mut e);
            assert_eq!(e.offsets, [(start, 3)]);
        }
    }
}
