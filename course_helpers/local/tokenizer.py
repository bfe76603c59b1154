"""The tokenizer: text to token ids and back, built from the GGUF vocabulary and merges.

SmolLM2 uses byte-level BPE (as GPT-2 does): every byte of the UTF-8 text is
first mapped to a printable character (a space becomes ``Ġ``), then merges
join frequent neighbours into longer tokens. Digits are split one per token
before merging, so ``2024`` is four tokens. Special tokens such as
``<|im_start|>`` are matched whole. The Hugging Face ``tokenizers`` library
does the work; this module only builds it from what the GGUF file stores.

>>> bytes_to_unicode()[ord(" ")]
'Ġ'

Used in: course_helpers/local/engine.py, notebooks/03_logprobs.ipynb (token bytes)
"""

from __future__ import annotations

import re
import threading
from functools import cache, lru_cache

__all__ = ["Tokenizer", "bytes_to_unicode", "display_token"]

_CONTROL = 3  # GGUF token type of special (control) tokens


@lru_cache(maxsize=1)
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's table from each byte to the printable character that stands for it.

    Printable ASCII and Latin-1 bytes stand for themselves; the others (space,
    control bytes, ...) are shifted to code points from 256 on.

    >>> bytes_to_unicode()[ord("A")]
    'A'
    """
    keep = (
        list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    )
    table, shift = {}, 0
    for byte in range(256):
        if byte in keep:
            table[byte] = chr(byte)
        else:
            table[byte] = chr(256 + shift)
            shift += 1
    return table


def display_token(raw: bytes) -> str:
    """How the API shows a token: its text, or ``bytes:\\xe2\\x80`` when not valid UTF-8 alone.

    >>> display_token(b" Paris")
    ' Paris'
    >>> display_token(bytes([0xE2, 0x80]))
    'bytes:\\\\xe2\\\\x80'
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return "bytes:" + "".join(f"\\x{b:02x}" for b in raw)


class Tokenizer:
    """Byte-level BPE tokenizer built from a GGUF vocabulary (``tokens``, ``merges``, ``token_types``).

    >>> tok = Tokenizer.from_metadata(weights.metadata)  # doctest: +SKIP
    >>> tok.decode(tok.encode("Hello 42"))  # doctest: +SKIP
    'Hello 42'
    """

    def __init__(self, hf_tokenizer, tokens: list[str], token_types: list[int]):
        self._hf = hf_tokenizer
        self._encoding = threading.Lock()  # encode() switches a setting of the one shared tokenizer
        self._tokens = tokens
        self._special = {i for i, t in enumerate(token_types) if t == _CONTROL}
        specials = sorted((tokens[i] for i in self._special), key=len, reverse=True)
        self._special_pattern = re.compile("(" + "|".join(re.escape(t) for t in specials) + ")")
        self._special_id = {tokens[i]: i for i in self._special}
        self._byte_of_char = {char: byte for byte, char in bytes_to_unicode().items()}
        self.vocab_size = len(tokens)

    @classmethod
    def from_metadata(cls, metadata: dict) -> Tokenizer:
        """Build the tokenizer from the metadata dict of ``gguf_weights.read_gguf_metadata``."""
        from tokenizers import AddedToken, decoders, models, pre_tokenizers
        from tokenizers import Tokenizer as HFTokenizer

        tokens, types = metadata["tokens"], metadata["token_types"]
        vocab = {token: i for i, token in enumerate(tokens)}
        merges = [tuple(merge.split(" ", 1)) for merge in metadata["merges"]]
        hf = HFTokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False, byte_fallback=False))
        hf.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Digits(individual_digits=True),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
            ]
        )
        hf.decoder = decoders.ByteLevel()
        hf.add_special_tokens(
            [
                AddedToken(token, special=True, normalized=False)
                for token, kind in zip(tokens, types)
                if kind == _CONTROL
            ]
        )
        return cls(hf, tokens, types)

    def encode(self, text: str, special: bool = True) -> list[int]:
        """Token ids of ``text``.

        ``special``: special tokens written in the text, such as ``<|im_end|>``,
        are recognised (right for a chat template's markup). With False they
        are plain text, as OpenAI encodes what users write: a message cannot
        close its own turn and forge the assistant's.
        """
        with self._encoding:
            self._hf.encode_special_tokens = not special  # True: "<|im_end|>" is 9 plain tokens
            return self._hf.encode(text, add_special_tokens=False).ids

    def encode_pieces(self, pieces: list[tuple[str, bool]]) -> list[int]:
        """Token ids of texts written end to end, where only pieces marked True may hold special tokens.

        ``pieces``: (text, is_markup) pairs, e.g. a chat template's markup
        (True) around the messages' contents (False). The ids are those of
        ``encode("".join(texts))`` whenever the contents hold no special token:
        like the tokenizer itself, we cut the text at the markup's special
        tokens and encode what lies between them as plain text.
        """
        ids: list[int] = []
        plain = ""
        for text, is_markup in pieces:
            if not is_markup:
                plain += text
                continue
            for index, part in enumerate(self._special_pattern.split(text)):
                if index % 2 == 0:  # text between special tokens
                    plain += part
                else:  # a special token of the markup
                    ids += self.encode(plain, special=False) if plain else []
                    plain = ""
                    ids.append(self._special_id[part])
        return ids + (self.encode(plain, special=False) if plain else [])

    def decode(self, ids) -> str:
        """The text of a list of token ids (special tokens included as their text)."""
        return self.token_bytes_of(ids).decode("utf-8", errors="replace")

    def token_bytes_of(self, ids) -> bytes:
        """The raw UTF-8 bytes of a sequence of tokens."""
        return b"".join(self.token_bytes(int(i)) for i in ids)

    @cache  # noqa: B019 (a tokenizer lives as long as its engine: the cache frees nothing worth freeing)
    def token_bytes(self, token_id: int) -> bytes:
        """The raw bytes one token stands for (may be part of a UTF-8 character)."""
        token = self._tokens[token_id]
        if token_id in self._special:
            return token.encode("utf-8")
        return bytes(self._byte_of_char[char] for char in token)

    def to_json(self) -> str:
        """The tokenizer as Hugging Face ``tokenizers`` JSON (what llguidance builds its own view from)."""
        return self._hf.to_str()

    def is_special(self, token_id: int) -> bool:
        """True for control tokens such as ``<|im_end|>``."""
        return token_id in self._special
