"""A character-level tokenizer for the tiny model, built with `tokenizers`.

Every printable ASCII character and newline is one token; anything else maps
to <unk>. It is wrapped as a transformers fast tokenizer, so it saves, loads
and pads like any other.

    >>> tokenizer = build_char_tokenizer()
    >>> tokenizer.decode(tokenizer("12+34=")["input_ids"])
    '12+34='
"""

from __future__ import annotations

import string

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

PAD, BOS, EOS, UNK = "<pad>", "<s>", "</s>", "<unk>"
SPECIAL_TOKENS = [PAD, BOS, EOS, UNK]
CHARACTERS = sorted(set(string.printable) - set("\t\r\x0b\x0c"))  # printable ASCII, space and newline


def build_char_tokenizer() -> PreTrainedTokenizerFast:
    vocabulary = {token: index for index, token in enumerate(SPECIAL_TOKENS + CHARACTERS)}
    tokenizer = Tokenizer(models.WordLevel(vocab=vocabulary, unk_token=UNK))
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")  # one token per character, newlines too
    tokenizer.decoder = decoders.Fuse()  # join characters back without spaces
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token=PAD,
        bos_token=BOS,
        eos_token=EOS,
        unk_token=UNK,
        padding_side="left",  # decoder-only generation pads on the left
    )
