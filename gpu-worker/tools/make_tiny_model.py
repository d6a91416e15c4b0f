"""Builds a tiny multilingual Whisper model in CTranslate2 format, with random weights.

Real Whisper weights cannot be downloaded where the tests run, so the tests build this
model instead and run faster-whisper's real loading, language detection, decoding and
word-alignment code on it. Its transcripts are gibberish; only their structure and timing
are meaningful.

    python gpu-worker/tools/make_tiny_model.py OUT_DIR

OUT_DIR receives model.bin, config.json, vocabulary.json (CTranslate2), tokenizer.json
(Hugging Face `tokenizers`) and preprocessor_config.json, the files faster-whisper loads.
"""

import itertools
import json
import sys
from pathlib import Path

import numpy as np
import tokenizers
from ctranslate2.specs import common_spec, transformer_spec, whisper_spec

# Whisper's multilingual token layout (CTranslate2 treats a 51865-token vocabulary as a
# multilingual model): 50257 text tokens, the special tokens, then 1501 timestamps.
TEXT_TOKENS = 50257
LANGUAGES = (
    "en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta "
    "no th ur hr bg lt la mi ml cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk "
    "sq sw gl mr pa si km sn yo so af oc ka be tg sd gu am yi lo uz fo ht ps tk nn mt sa lb "
    "my bo tl mg as tt haw ln ha ba jw su"
).split()
SPECIAL_TOKENS = (
    ["<|endoftext|>", "<|startoftranscript|>"]
    + [f"<|{code}|>" for code in LANGUAGES]
    + [
        "<|translate|>",
        "<|transcribe|>",
        "<|startoflm|>",
        "<|startofprev|>",
        "<|nocaptions|>",
        "<|notimestamps|>",
    ]
)
TIMESTAMP_TOKENS = [f"<|{i * 0.02:.2f}|>" for i in range(1501)]
VOCAB_SIZE = TEXT_TOKENS + len(SPECIAL_TOKENS) + len(TIMESTAMP_TOKENS)

N_MELS = 80
D_MODEL = 64
HEADS = 2
FFN = 128
ENCODER_FRAMES = 1500  # 30 s of audio after the stride-2 convolution
DECODER_POSITIONS = 448


def byte_level_alphabet() -> list[str]:
    """The 256 symbols GPT-2 style byte-level BPE uses for raw bytes, in GPT-2's id order.

    Printable bytes stand for themselves; the others are shifted to code points from 256 on,
    so the space byte is "Ġ" and gets id 220, the id Whisper suppresses at the start.
    """
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    others = [b for b in range(256) if b not in printable]
    return [chr(b) for b in printable] + [chr(256 + i) for i in range(len(others))]


def text_vocabulary() -> list[str]:
    """Byte symbols plus made-up syllable words ("Ġbado", "ke") up to Whisper's text size.

    The last text token is the empty string, as in Whisper's multilingual vocabulary:
    CTranslate2 recognises a multilingual model by it.
    """
    alphabet = byte_level_alphabet()
    syllables = [c + v for c in "bcdfglmnprstvz" for v in "aeiou"]
    words = (
        prefix + "".join(parts)
        for length in itertools.count(1)
        for prefix in ("Ġ", "")
        for parts in itertools.product(syllables, repeat=length)
    )
    return alphabet + list(itertools.islice(words, TEXT_TOKENS - len(alphabet) - 1)) + [""]


def build_tokenizer(text_tokens: list[str]) -> tokenizers.Tokenizer:
    vocab = {token: index for index, token in enumerate(text_tokens)}
    tokenizer = tokenizers.Tokenizer(tokenizers.models.BPE(vocab=vocab, merges=[]))
    tokenizer.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = tokenizers.decoders.ByteLevel()
    tokenizer.add_special_tokens(SPECIAL_TOKENS + TIMESTAMP_TOKENS)
    return tokenizer


class RandomWeights:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def matrix(self, *shape: int, scale: float = 0.2) -> np.ndarray:
        return (self.rng.standard_normal(shape) * scale).astype(np.float32)

    def linear(self, spec: common_spec.LinearSpec, out_dim: int, in_dim: int) -> None:
        spec.weight = self.matrix(out_dim, in_dim, scale=1 / np.sqrt(in_dim))
        spec.bias = self.matrix(out_dim, scale=0.02)

    @staticmethod
    def layer_norm(spec: common_spec.LayerNormSpec) -> None:
        spec.gamma = np.ones(D_MODEL, dtype=np.float32)
        spec.beta = np.zeros(D_MODEL, dtype=np.float32)

    def feed_forward(self, spec: transformer_spec.FeedForwardSpec) -> None:
        self.layer_norm(spec.layer_norm)
        self.linear(spec.linear_0, FFN, D_MODEL)
        self.linear(spec.linear_1, D_MODEL, FFN)

    def self_attention(self, spec) -> None:
        self.layer_norm(spec.layer_norm)
        self.linear(spec.linear[0], 3 * D_MODEL, D_MODEL)  # fused query, key, value
        self.linear(spec.linear[1], D_MODEL, D_MODEL)

    def cross_attention(self, spec) -> None:
        self.layer_norm(spec.layer_norm)
        self.linear(spec.linear[0], D_MODEL, D_MODEL)  # query
        self.linear(spec.linear[1], 2 * D_MODEL, D_MODEL)  # fused key, value of the audio
        self.linear(spec.linear[2], D_MODEL, D_MODEL)


def output_bias(vocabulary: list[str]) -> np.ndarray:
    """Steers the random decoder towards Whisper-shaped output.

    Timestamps must win often enough to close segments, and a few hundred whole "words"
    must beat the 1501 timestamps (Whisper samples a timestamp when their summed
    probability beats the best text token), so the decoder emits words between timestamp
    pairs instead of looping on timestamps or stopping at once.
    """
    bias = np.full(VOCAB_SIZE, -8.0, dtype=np.float32)
    words = [i for i, token in enumerate(vocabulary[:TEXT_TOKENS]) if token.startswith("Ġ")]
    bias[words[:300]] = 9.0
    bias[TEXT_TOKENS] = 12.0  # <|endoftext|>: ends a window after a few segments
    bias[VOCAB_SIZE - len(TIMESTAMP_TOKENS) :] = 4.0
    return bias


def build_spec(vocabulary: list[str], seed: int) -> whisper_spec.WhisperSpec:
    weights = RandomWeights(seed)
    spec = whisper_spec.WhisperSpec(1, HEADS, 1, HEADS)

    encoder = spec.encoder
    encoder.conv1.weight = weights.matrix(D_MODEL, N_MELS, 3, scale=0.1)
    encoder.conv1.bias = weights.matrix(D_MODEL, scale=0.02)
    encoder.conv2.weight = weights.matrix(D_MODEL, D_MODEL, 3, scale=0.1)
    encoder.conv2.bias = weights.matrix(D_MODEL, scale=0.02)
    encoder.position_encodings.encodings = weights.matrix(ENCODER_FRAMES, D_MODEL)
    weights.layer_norm(encoder.layer_norm)
    for layer in encoder.layer:
        weights.self_attention(layer.self_attention)
        weights.feed_forward(layer.ffn)

    decoder = spec.decoder
    decoder.embeddings.weight = weights.matrix(VOCAB_SIZE, D_MODEL)
    decoder.position_encodings.encodings = weights.matrix(DECODER_POSITIONS, D_MODEL)
    weights.layer_norm(decoder.layer_norm)
    for layer in decoder.layer:
        weights.self_attention(layer.self_attention)
        weights.cross_attention(layer.attention)
        weights.feed_forward(layer.ffn)
    decoder.projection.weight = weights.matrix(VOCAB_SIZE, D_MODEL)
    decoder.projection.bias = output_bias(vocabulary)

    first_language = vocabulary.index("<|en|>")
    config = spec.config
    config.suppress_ids = []
    config.suppress_ids_begin = [220, TEXT_TOKENS]  # "Ġ" and <|endoftext|>, as in Whisper
    config.lang_ids = list(range(first_language, first_language + len(LANGUAGES)))
    config.alignment_heads = [(0, head) for head in range(HEADS)]

    spec.register_vocabulary(vocabulary)
    return spec


def make_tiny_model(out_dir: str | Path, seed: int = 0) -> Path:
    """Writes the model into out_dir (created if needed) and returns its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    text_tokens = text_vocabulary()
    vocabulary = text_tokens + SPECIAL_TOKENS + TIMESTAMP_TOKENS
    assert len(vocabulary) == VOCAB_SIZE == 51865

    spec = build_spec(vocabulary, seed)
    spec.validate()
    spec.optimize(quantization="float16")
    spec.save(str(out))

    build_tokenizer(text_tokens).save(str(out / "tokenizer.json"))
    preprocessor = {
        "feature_size": N_MELS,
        "sampling_rate": 16000,
        "hop_length": 160,
        "chunk_length": 30,
        "n_fft": 400,
    }
    (out / "preprocessor_config.json").write_text(json.dumps(preprocessor, indent=2))
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_tiny_model.py OUT_DIR")
    print(make_tiny_model(sys.argv[1]))
