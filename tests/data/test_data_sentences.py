from bert_engine.data.sentences import split_sentences


def test_splits_at_terminal_punctuation_before_capitals():
    text = 'It rained. Then it stopped! Did it? "Yes," she said. 42 cats came.'
    assert split_sentences(text) == [
        "It rained.",
        "Then it stopped!",
        "Did it?",
        '"Yes," she said.',
        "42 cats came.",
    ]


def test_keeps_abbreviations_initials_and_inner_dots():
    text = (
        "Mr. Smith met Dr. Jones, e.g. at 3.5 km. J. R. R. Tolkien wrote it. Media.Vision made it."
    )
    assert split_sentences(text) == [
        "Mr. Smith met Dr. Jones, e.g. at 3.5 km.",
        "J. R. R. Tolkien wrote it.",
        "Media.Vision made it.",
    ]


def test_lines_always_end_sentences_and_lowercase_continues():
    text = "no capital after this. so it goes on\nnext line\n\n  \nlast . With spaced stop"
    assert split_sentences(text) == [
        "no capital after this. so it goes on",
        "next line",
        "last .",
        "With spaced stop",
    ]


def test_every_character_is_kept_except_whitespace_at_cuts():
    text = "A b. C d? E f! (G h.) I j."
    assert "".join(split_sentences(text)).replace(" ", "") == text.replace(" ", "")
