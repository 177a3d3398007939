#!/usr/bin/env python3
"""Tokenizer goldens for RLHFTokenizers tests, from HF `tokenizers`, `transformers` and `gguf`.

Writes (paths relative to the repository root):
  Tests/RLHFTokenizersTests/Resources/corpus.json            the corpus: hand-written cases + seeded random mixes
  Tests/RLHFTokenizersTests/Resources/tokenizer_goldens.json  ids, offsets, decodes, regex splits, chat renderings
  models/smollm2/tokenizer.json                  (git-ignored) SmolLM2's tokenizer rebuilt from the GGUF, with the
                                                 reference pre-tokenizer Sequence[Digits(individual), ByteLevel]
  models/smollm2/tokenizer.transformers-gguf.json (git-ignored) exactly what transformers builds from the GGUF
  models/smollm2/tokenizer_config.json, chat_template.jinja (git-ignored) as transformers saves them

Note: with tokenizer.json next to the GGUF, `AutoTokenizer.from_pretrained("models/smollm2", gguf_file=...)` reads
the folder's tokenizer files instead of the GGUF's metadata; this script loads the GGUF from a folder of its own.

Needs: tokenizers, transformers, gguf, numpy; models/minilm/tokenizer.json and
models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf (scripts/fetch-models puts them there). Run from anywhere:

    python3 scripts/goldens/tokenizer_goldens.py

Why two SmolLM2 tokenizers. transformers (5.x) builds a GGUF byte-level tokenizer from the vocabulary and merges
but ignores `tokenizer.ggml.pre == "smollm"`, so its pre-tokenizer is plain ByteLevel(use_regex). SmolLM2's own
tokenizer.json (and llama.cpp's LLAMA_VOCAB_PRE_TYPE_SMOLLM) first isolates every digit:
Sequence[Digits(individual_digits=true), ByteLevel(add_prefix_space=false, use_regex=true)]. The vocabulary has no
merge between digits, so the two agree except where whitespace runs precede a digit ("a  1": Ġ,Ġ,1 vs ĠĠ,1).
`smollm2.ids` are the reference ids (what the model was trained on, what Tokenizer.fromGGUFVocabulary gives);
`smollm2.transformers_gguf_ids` are transformers' GGUF tokenizer ids. Both are complete lists.

JSON layout of tokenizer_goldens.json:
  versions: {tokenizers, transformers, gguf}
  corpus_count, corpus_sha256: size and hash of the corpus the goldens were made from (the tests check the count)
  minilm:  {ids[i], offsets[i] (first OFFSET_CASES strings, [start, end] in code points as the Python binding
            reports them; see char_offsets),
            pairs: [{a, b, ids, type_ids}], decode: [{index, skip_special, keep_special}]}
  smollm2: {ids[i], transformers_gguf_ids[i], offsets[i] (first OFFSET_CASES), decode: [...],
            bos_token, eos_token, pad_token, unk_token, vocab_size}
  regex_splits: {gpt2: [[end...]], llama3: [[end...]]}: piece ends, in Unicode scalars, of HF Split(Regex, Isolated)
  chat: {smollm2: {template, cases: [{messages, add_generation_prompt, text}]},
         llama3: {template, bos_token, cases: [...]}}
  gguf_tiny: {tokens, token_types, merges, bos/eos/pad/unk ids, strings, ids: {pre: [[...]]}, bos_variant}
  components: {normalizers, pre_tokenizers, decoders: stage-by-stage cases; tokenizers: six small trained pipelines}
  unicode_classes: {class: [[first, last], ...]} how `tokenizers` classifies U+0080…U+2FFFF (see the function)
"""
import hashlib
import importlib.metadata
import json
import os
import random
import shutil
import tempfile

import gguf
import numpy as np
import tokenizers
import transformers
from tokenizers import AddedToken, Regex, Tokenizer, pre_tokenizers, trainers
from transformers import AutoTokenizer, PreTrainedTokenizerFast

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RES = os.path.join(ROOT, "Tests", "RLHFTokenizersTests", "Resources")
MINILM = os.path.join(ROOT, "models", "minilm")
SMOL = os.path.join(ROOT, "models", "smollm2")
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
SEED = 20240611
N_RANDOM = 220
OFFSET_CASES = 120

GPT2_REGEX = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
                r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

# The official Meta-Llama-3-8B-Instruct template (tokenizer_config.json, "chat_template").
LLAMA3_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim"
    " + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)

# ---------------------------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------------------------

HAND = [
    "",
    " ",
    "Hello world",
    "Hello my friend, how is your day going?",
    "Hello there       dear",
    "The capital of France is",
    "  leading spaces",
    "trailing spaces   ",
    "   both   ",
    "\tTabs\tand\t\ttabs\t",
    "new\nline",
    "two\n\nnewlines\n\n\n",
    "windows\r\nline\r\nendings\r\n",
    "mixed \t\n \r\n\t  whitespace",
    "a  1",
    "x   42 y",
    "tab\t\t7",
    "line\n\n3",
    "   12",
    "don't",
    "I'LL do it, I'll DO it, i'Ll",
    "we're they've she'd it's you'RE WE'VE HE'D IT'S I'M i'm",
    "'s 't 're 've 'm 'll 'd",
    "rock'n'roll o'clock ''quoted'' '",
    "3.14159 2.71828 1,000,000 1e-10 -42 +7 0x1F",
    "1234567890123456789012345678901234567890",
    "Phone: +1 (555) 123-4567, ext. 89",
    "In 2024, 12345 people paid $1,234.56 each.",
    "Dates: 2024-01-31T12:34:56Z, 31/01/2024",
    "½ and ² and ٣٤ and Ⅻ and ①②",
    "Punctuation!!! Really??? Yes... no;;; (maybe) [ok] {fine} <tag>",
    "Symbols: @#$%^&*_+=|\\/~`",
    "quotes: \"double\" 'single' “curly” ‘curly’ «guillemets»",
    "dashes – — ‒ ― and ellipsis …",
    "café résumé naïve coöperate façade jalapeño",
    "Crème brûlée à la mode",
    "e\u0301 a\u0300 o\u0308 n\u0303 (combining marks)",
    "Ångström ÅNGSTRÖM ångström",
    "İstanbul ΣΑΣ σας ß ẞ ǅ ﬁ ﬀ",
    "Straße Größe",
    "Москва — столица России.",
    "Ελληνικά γράμματα",
    "中文字符测试，你好世界！",
    "日本語のテキストとカタカナ、ひらがな。",
    "한국어 텍스트입니다. 안녕하세요!",
    "مرحبا بالعالم، كيف حالك؟",
    "שלום עולם",
    "हिन्दी पाठ का उदाहरण",
    "ภาษาไทยไม่มีช่องว่าง",
    "Tiếng Việt có dấu",
    "emoji 😀😃😄 and 👍🏽 and 🇫🇷🇯🇵",
    "family 👨‍👩‍👧‍👦 and rainbow flag 🏳️‍🌈 and ❤️",
    "🥰🫠🤖 newer emoji",
    "zero\u200bwidth\u200cnon\u200djoiner",
    "soft\u00adhyphen and nbsp\u00a0here and thin\u2009space",
    "ideographic\u3000space and em\u2003space",
    "control \x00 \x01 \x07 \x1b[31mred\x1b[0m \x7f \x85 \x9f end",
    "bell\x07and\x0bvertical\x0cform",
    "replacement \ufffd char",
    "private use \ue000\uf8ff",
    "def f(x):\n    return x ** 2  # square\n",
    "for (int i = 0; i < n; ++i) { sum += a[i]; }",
    "if x != None and y >= 3: print(f\"{x!r}\")",
    "fn main() { println!(\"Hello, {}!\", name); }",
    "SELECT * FROM users WHERE id = 42;",
    "<div class=\"main\"><p>Hello</p></div>",
    "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}",
    "https://www.example.com/path/to/page?query=1&other=two#frag",
    "mailto:someone@example.org and user.name+tag@sub.domain.co.uk",
    "C:\\Users\\name\\Documents\\file.txt",
    "snake_case_identifier and camelCaseIdentifier and SCREAMING_CASE",
    "supercalifragilisticexpialidocious",
    "pneumonoultramicroscopicsilicovolcanoconiosis antidisestablishmentarianism",
    "a" * 101,
    "b" * 99,
    "x" * 300,
    "ab" * 150,
    "9" * 200,
    "Hippopotomonstrosesquippedaliophobia" * 4,
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n",
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n",
    "text<|im_end|>more text<|im_start|>",
    " <|im_start|> spaced <|im_end|> ",
    "<|endoftext|><|endoftext|>",
    "<|im_start|<|im_end||>",
    "<repo_name>swift-rlhf<file_sep>main.swift",
    "[CLS] bert special [SEP] tokens [MASK] here [PAD] [UNK]",
    "[cls] lower case [sep]",
    "un[MASK]able",
    "The quick brown fox jumps over the lazy dog.",
    "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG!",
    "Mr. Smith's car isn't here; it's at Dr. Jones' place.",
    "e.g. i.e. etc. U.S.A. a.m. p.m.",
    "Hello,world!How-are_you?",
    "   \n   \n   ",
    "\n",
    "\t",
    "\r",
    "!",
    "a",
    "1",
    "😀",
    "中",
    "...",
    "' '",
    "  '  ",
    "word ' s",
    "end.",
    "Multi\n\nparagraph\n\n\ntext with   spaces\tand\ttabs.",
    "Price: €100, £50, ¥1000, ₹500, ₿0.001",
    "Math: ∑ ∫ √ ∞ ≠ ≤ ≥ ± × ÷ ∂ ∇ α β γ",
    "Arrows → ← ↑ ↓ ⇒ ⇔",
    "Box drawing ┌─┐│└┘ and blocks █▓▒░",
    "Full-width ＡＢＣ１２３！",
    "Ligatures ﬁ ﬂ and superscripts x² y³ and fractions ¼ ¾",
    "Hashtags #AI #MachineLearning @user mentions",
    "tl;dr: LGTM, WIP, FYI, ASAP",
    "ok 👌 ok👌ok",
    "kaomoji (╯°□°）╯︵ ┻━┻ and ¯\\_(ツ)_/¯",
    "Emoji with skin tone: 👋🏻👋🏼👋🏽👋🏾👋🏿",
    "Keycap: 1️⃣ 2️⃣ #️⃣",
    "中文English混合text123数字",
    "日本語とEnglishの混在",
    "한국어와English혼합",
    "Zalgo t̶̢̛e̷͍͐x̸̱̌t̴̰̾",
    "Tabs\tin\tthe\tmiddle\tof\ttext",
    "   Leading and trailing whitespace with newline   \n",
    "Question? Answer! Statement. Exclamation!",
    "a,b,c,d,e,f,g",
    "1,2,3,4,5,6,7,8,9,10",
    "one-two-three_four.five",
    "Version v1.2.3-beta+build.456",
    "IPv4 192.168.0.1 and IPv6 2001:db8::1",
    "MD5 d41d8cd98f00b204e9800998ecf8427e",
    "base64 SGVsbG8gV29ybGQh==",
    "It's 5 o'clock somewhere; isn't it?",
    "Y'all'd've",
    "The year 1999 and 2000 and 20000 and 200000",
    "0.000001 and 1000000000000",
    "I ❤ NY",
    "\u2028line separator\u2029paragraph separator",
    "\ufeffBOM at start",
    "trailing combining e\u0301",
    "\u0301 leading combining",
    "CJK compatibility ideographs \uf9c7\uf9e1\uf97c\ufa30 next to 劉李良",
    "Unicode 9+ punctuation \u2e43\u2e58\u061d and marks a\u07fd a\u0898 a\u1885 and format \u08e2\u0890 here",
    "Changed categories \u166d \U000111c9 \u1734 \U0001171e \u1cf2 \u1cf3",
    "Newest letters \u088f\ua7ce\U00011de0 and Kawi \U00011f04\U00011f05",
    "superscripts x\u00b2\u00b3\u00b9 and \u00bc\u00bd\u00be fractions",
]

WORDS = [
    "the", "quick", "fox", "RLHF", "policy", "reward", "model", "gradient", "token", "Swift", "PPO", "KL",
    "naïve", "Zürich", "São", "Paulo", "Ångström", "crème", "fiancée", "München", "Kraków", "Dvořák",
    "東京", "北京大学", "機械学習", "ひらがな", "カタカナ", "서울", "한국어", "컴퓨터", "القاهرة", "مرحبا",
    "Москва", "привет", "Αθήνα", "שלום", "नमस्ते", "ภาษาไทย", "Tiếng", "Việt",
    "don't", "I'LL", "we're", "it's", "they'VE", "can't", "SHE'D", "o'clock",
    "https://example.com/a?b=c", "foo.bar()", "x_1", "__init__", "camelCase", "URL", "HTTP/2",
]
NUMBERS = ["0", "7", "42", "123", "2024", "3.14", "1,000", "99999", "1e6", "-5", "12345678901234567890", "٣٤٥", "½"]
PUNCT = [".", ",", "!", "?", "...", "!!", "?!", ";", ":", "-", "--", "—", "(", ")", "[", "]", "{", "}", "\"", "'",
         "/", "\\", "@", "#", "$", "%", "&", "*", "+", "=", "<", ">", "|", "~", "`", "^", "_", "«", "»", "¿", "¡"]
SPACES = [" ", " ", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n", "\u00a0", "\u3000", "\u2009", "      "]
EMOJI = ["😀", "👍", "👍🏿", "🎉", "🚀", "🤖", "👨‍💻", "👩‍❤️‍👨", "🏳️‍🌈", "🇺🇸", "❤️", "✨", "🔥", "🫠"]
COMBINING = ["\u0301", "\u0300", "\u0308", "\u0327", "\u0303", "\u20dd"]
SPECIALS = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "[CLS]", "[SEP]", "[MASK]"]
CONTROL = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x85", "\u200b", "\u200d", "\ufeff"]


def random_string(rng):
    parts = []
    for _ in range(rng.randint(1, 14)):
        r = rng.random()
        if r < 0.40:
            w = rng.choice(WORDS)
            case = rng.random()
            w = w.upper() if case < 0.1 else (w.capitalize() if case < 0.25 else w)
            parts.append(w)
        elif r < 0.52:
            parts.append(rng.choice(NUMBERS) if rng.random() < 0.8 else str(rng.randint(0, 10 ** rng.randint(1, 15))))
        elif r < 0.64:
            parts.append(rng.choice(PUNCT) * rng.randint(1, 3))
        elif r < 0.70:
            parts.append(rng.choice(EMOJI))
        elif r < 0.73:
            parts.append(rng.choice("aeiouAEIOU") + rng.choice(COMBINING))
        elif r < 0.77:
            parts.append(rng.choice(SPECIALS))
        elif r < 0.79:
            parts.append(rng.choice(CONTROL))
        else:
            parts.append(rng.choice(SPACES))
        if rng.random() < 0.55:
            parts.append(" ")
    s = "".join(parts)
    if rng.random() < 0.1:
        s = " " + s
    if rng.random() < 0.1:
        s = s + rng.choice(SPACES)
    return s


def random_soup(rng):
    """Random code points from every plane in use (no surrogates): new and rare characters."""
    ranges = [(0x20, 0x7E), (0xA0, 0x2FFF), (0x3000, 0xD7FF), (0xE000, 0xFFFD), (0x10000, 0x1FAFF), (0x20000, 0x2FFFF)]
    out = []
    for _ in range(rng.randint(1, 30)):
        lo, hi = rng.choice(ranges)
        out.append(chr(rng.randint(lo, hi)))
    return "".join(out)


def make_corpus():
    rng = random.Random(SEED)
    corpus = list(HAND)
    seen = set(corpus)
    while len(corpus) < len(HAND) + N_RANDOM:
        s = random_string(rng)
        if rng.random() < 0.2:
            s += random_soup(rng)
        if s not in seen:
            seen.add(s)
            corpus.append(s)
    return corpus


# ---------------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------------


def char_offsets(offsets):
    """Offsets as the Python binding reports them: code points, converted from the Rust byte offsets by mapping every
    byte to the index of the character it belongs to (so an offset inside a character rounds down to it). The Swift
    API reports UTF-8 byte offsets; the tests convert them the same way before comparing."""
    return [[a, b] for a, b in offsets]


def split_ends(pre, text):
    return [end for _, (_, end) in pre.pre_tokenize_str(text)]


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


CONVERSATIONS = [
    [{"role": "user", "content": "Hi"}],
    [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4"}],
    [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Name a color."}],
    [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hello!"},
     {"role": "assistant", "content": "Hi! How can I help?"}, {"role": "user", "content": "Tell me a joke."}],
    [{"role": "user", "content": "  padded content with\nnewlines\n\n  "}, {"role": "assistant", "content": ""}],
    [{"role": "assistant", "content": "I start."}, {"role": "user", "content": "Odd order, système, 中文, 😀"}],
    [{"role": "user", "content": "first"}, {"role": "system", "content": "late system"}],
    # transformers refuses an empty conversation ("Cannot apply chat template to an empty conversation"); so does Swift.
]


# ---------------------------------------------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------------------------------------------


def minilm_section(corpus):
    fast = Tokenizer.from_file(os.path.join(MINILM, "tokenizer.json"))
    fast.no_truncation()
    fast.no_padding()
    hf = AutoTokenizer.from_pretrained(MINILM)
    ids, offsets = [], []
    for i, s in enumerate(corpus):
        enc = fast.encode(s)
        t_ids = hf(s)["input_ids"]
        assert enc.ids == t_ids, f"tokenizers and transformers disagree on MiniLM for {s!r}"
        ids.append(enc.ids)
        if i < OFFSET_CASES:
            offsets.append(char_offsets(enc.offsets))
    pairs = []
    for a, b in [("How old are you?", "I am 6 years old."), ("Hello", "world"), ("", "only b"),
                 ("Résumé of ÉCOLE", "中文 text"), ("a " * 20, "b " * 20)]:
        enc = fast.encode(a, b)
        pairs.append({"a": a, "b": b, "ids": enc.ids, "type_ids": enc.type_ids})
    decode = []
    for i in range(0, len(corpus), 9):
        decode.append({"index": i, "skip_special": fast.decode(ids[i], skip_special_tokens=True),
                       "keep_special": fast.decode(ids[i], skip_special_tokens=False)})
    return {"ids": ids, "offsets": offsets, "pairs": pairs, "decode": decode}


def smollm_section(corpus):
    # Load from a folder holding only the GGUF: next to files this script exported, transformers would read those.
    tmp = tempfile.mkdtemp()
    alone = os.path.join(tmp, "gguf")
    os.makedirs(alone)
    os.symlink(os.path.join(SMOL, GGUF_NAME), os.path.join(alone, GGUF_NAME))
    hf = AutoTokenizer.from_pretrained(alone, gguf_file=GGUF_NAME)
    assert hf.chat_template and "SmolLM" in hf.chat_template, "transformers did not read the GGUF's chat template"
    hf.save_pretrained(tmp)
    exported = Tokenizer.from_file(os.path.join(tmp, "tokenizer.json"))
    # The reference: SmolLM2's own pre-tokenizer (see the module docstring).
    reference = Tokenizer.from_file(os.path.join(tmp, "tokenizer.json"))
    reference.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
    ])
    # Export both (git-ignored) so the Swift tests can load them.
    shutil.copy(os.path.join(tmp, "tokenizer.json"), os.path.join(SMOL, "tokenizer.transformers-gguf.json"))
    reference.save(os.path.join(SMOL, "tokenizer.json"))
    for name in ("tokenizer_config.json", "chat_template.jinja"):
        if os.path.exists(os.path.join(tmp, name)):
            shutil.copy(os.path.join(tmp, name), os.path.join(SMOL, name))
    shutil.rmtree(tmp)

    ids, t_ids, offsets = [], [], []
    differ = 0
    for i, s in enumerate(corpus):
        tr = hf(s)["input_ids"]
        assert tr == exported.encode(s).ids
        enc = reference.encode(s)
        ids.append(enc.ids)
        t_ids.append(tr)
        differ += enc.ids != tr
        if i < OFFSET_CASES:
            offsets.append(char_offsets(enc.offsets))
    print(f"smollm2: reference and transformers-GGUF ids differ on {differ} of {len(corpus)} strings")
    decode = []
    for i in range(0, len(corpus), 9):
        decode.append({"index": i, "skip_special": reference.decode(ids[i], skip_special_tokens=True),
                       "keep_special": reference.decode(ids[i], skip_special_tokens=False)})
    chat = []
    for msgs in CONVERSATIONS:
        for agp in (False, True):
            chat.append({"messages": msgs, "add_generation_prompt": agp,
                         "text": hf.apply_chat_template(msgs, tokenize=False, add_generation_prompt=agp)})
    section = {"ids": ids, "transformers_gguf_ids": t_ids, "offsets": offsets, "decode": decode,
               "bos_token": hf.bos_token, "eos_token": hf.eos_token, "pad_token": hf.pad_token,
               "unk_token": hf.unk_token, "vocab_size": len(hf)}
    return section, {"template": hf.chat_template, "cases": chat}


def llama3_chat():
    backend = Tokenizer(tokenizers.models.WordLevel({"<unk>": 0}, unk_token="<unk>"))
    tok = PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<|begin_of_text|>", eos_token="<|eot_id|>")
    tok.chat_template = LLAMA3_TEMPLATE
    cases = []
    for msgs in CONVERSATIONS:
        for agp in (False, True):
            cases.append({"messages": msgs, "add_generation_prompt": agp,
                          "text": tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=agp)})
    return {"template": LLAMA3_TEMPLATE, "bos_token": "<|begin_of_text|>", "cases": cases}


def regex_section(corpus):
    gpt2 = pre_tokenizers.Split(Regex(GPT2_REGEX), "isolated")
    llama3 = pre_tokenizers.Split(Regex(LLAMA3_REGEX), "isolated")
    return {"gpt2_pattern": GPT2_REGEX, "llama3_pattern": LLAMA3_REGEX,
            "gpt2": [split_ends(gpt2, s) for s in corpus], "llama3": [split_ends(llama3, s) for s in corpus]}


def gguf_tiny_section():
    """A hand-made byte-level GGUF vocabulary, loaded by transformers for each `pre`."""
    b2u = bytes_to_unicode()
    tokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>"] + [b2u[b] for b in range(256)]
    merges = ["Ġ t", "h e", "Ġt he", "i n", "Ġ a", "Ġ Ġ", "ĠĠ Ġ", "1 2", "Ġ 1", "' s", "Ċ Ċ", "o k", "ok 1"]
    for m in merges:
        a, b = m.split(" ")
        tokens.append(a + b)
    types = [3, 3, 3, 4] + [1] * (len(tokens) - 4)
    strings = ["the  12 <think>in a<|im_end|> thé", "a  1 and   123 the", "it's OK'S 'S ok1 ok12",
               "<|im_start|>user\nhi<|im_end|>\n\nthe end", "x\n\n\n  4567 \t  8", "日本 😀 the"]
    out = {"tokens": tokens, "token_types": types, "merges": merges, "bos_token_id": 1, "eos_token_id": 2,
           "padding_token_id": 2, "unknown_token_id": 0, "strings": strings, "ids": {}}
    tmp = tempfile.mkdtemp()
    for pre in ["gpt-2", "llama-bpe", "smollm"]:
        path = os.path.join(tmp, f"{pre}.gguf")
        w = gguf.GGUFWriter(path, "llama")
        w.add_block_count(1)
        w.add_context_length(64)
        w.add_embedding_length(8)
        w.add_feed_forward_length(16)
        w.add_head_count(2)
        w.add_head_count_kv(2)
        w.add_layer_norm_rms_eps(1e-5)
        w.add_rope_freq_base(10000.0)
        w.add_tokenizer_model("gpt2")
        w.add_tokenizer_pre(pre)
        w.add_token_list(tokens)
        w.add_token_types(types)
        w.add_token_merges(merges)
        w.add_bos_token_id(1)
        w.add_eos_token_id(2)
        w.add_pad_token_id(2)
        w.add_unk_token_id(0)
        w.add_add_bos_token(False)
        w.add_tensor("token_embd.weight", np.zeros((len(tokens), 8), dtype=np.float32))
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        tok = AutoTokenizer.from_pretrained(tmp, gguf_file=f"{pre}.gguf")
        if pre == "smollm":
            # transformers ignores "smollm"; the reference adds Digits(individual) in front (module docstring).
            backend = tok.backend_tokenizer
            backend.pre_tokenizer = pre_tokenizers.Sequence([
                pre_tokenizers.Digits(individual_digits=True),
                pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)])
            out["ids"][pre] = [backend.encode(s).ids for s in strings]
        else:
            out["ids"][pre] = [tok(s)["input_ids"] for s in strings]
        out.setdefault("vocab_size", len(tok))

    # add_bos_token, bos/eos that are normal tokens (type 1), a control token outside the byte alphabet (skipped).
    tokens = ["<|endoftext|>", "<|im_start|>", "<bos>", "<think>", "héllo wörld"] + [b2u[b] for b in range(256)]
    merges = ["Ġ t", "h e"]
    for m in merges:
        a, b = m.split(" ")
        tokens.append(a + b)
    types = [1, 3, 1, 4, 3] + [1] * (len(tokens) - 5)
    path = os.path.join(tmp, "bos.gguf")
    w = gguf.GGUFWriter(path, "llama")
    w.add_block_count(1)
    w.add_context_length(64)
    w.add_embedding_length(8)
    w.add_feed_forward_length(16)
    w.add_head_count(2)
    w.add_head_count_kv(2)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_freq_base(10000.0)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("gpt-2")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(2)
    w.add_eos_token_id(0)
    w.add_add_bos_token(True)
    w.add_tensor("token_embd.weight", np.zeros((len(tokens), 8), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    tok = AutoTokenizer.from_pretrained(tmp, gguf_file="bos.gguf")
    bos_strings = ["a<bos>b<|endoftext|>c<think>d", "the <|im_start|> héllo wörld", "x"]
    added = tok.backend_tokenizer.get_added_tokens_decoder().values()
    out["bos_variant"] = {
        "tokens": tokens, "token_types": types, "merges": merges, "bos_token_id": 2, "eos_token_id": 0,
        "strings": bos_strings, "ids": [tok(x)["input_ids"] for x in bos_strings],
        "pair": ["x", "the y"], "pair_ids": tok("x", "the y")["input_ids"], "vocab_size": len(tok),
        "added_tokens": sorted(f"{t.content}|{int(t.special)}" for t in added)}
    shutil.rmtree(tmp)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Components: small pipelines built with `tokenizers`, each stage checked on its own and end to end
# ---------------------------------------------------------------------------------------------------------------

COMPONENT_TEXTS = [
    "Hello world", "  Héllo,  WÖRLD!! ", "don't stop-me now 123-456", "e\u0301cole ＡＢＣ ﬁ ½ 中文 한국",
    "tab\tnew\nline  end", "a1b22c333 x-y-z", "", "   ", "Ünïcödé ÅNGSTRÖM straße",
]
TRAIN_TEXT = [
    "hello world the quick brown fox jumps over the lazy dog", "hello hello world wide web",
    "don't stop me now, I'm having such a good time", "numbers 123 456 and 7890", "héllo wörld école",
    "stop-me now, stop me now!", "the world is wide and the web is wider",
]


def stage(tok, key):
    return json.dumps(json.loads(tok.to_str())[key], ensure_ascii=False)


def with_component(key, value):
    tok = Tokenizer(tokenizers.models.WordLevel({"[UNK]": 0}, unk_token="[UNK]"))
    setattr(tok, key, value)
    return tok


def normalizer_cases():
    from tokenizers import normalizers as N
    items = [
        N.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True),
        N.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=False, lowercase=False),
        N.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=True, lowercase=False),
        N.NFC(), N.NFD(), N.NFKC(), N.NFKD(), N.Lowercase(), N.Strip(), N.Strip(left=False, right=True),
        N.StripAccents(), N.Sequence([N.NFD(), N.StripAccents(), N.Lowercase()]),
        N.Replace(Regex(r"\s+"), " "), N.Replace("o", "0"), N.Prepend("\u2581"),
        N.Sequence([N.Prepend("\u2581"), N.Replace(" ", "\u2581")]),
    ]
    out = []
    for n in items:
        out.append({"json": stage(with_component("normalizer", n), "normalizer"),
                    "cases": [{"text": t, "normalized": n.normalize_str(t)} for t in COMPONENT_TEXTS]})
    return out


def pre_tokenizer_cases():
    from tokenizers import pre_tokenizers as P
    items = [
        P.BertPreTokenizer(), P.ByteLevel(add_prefix_space=True), P.ByteLevel(add_prefix_space=False, use_regex=False),
        P.Whitespace(), P.WhitespaceSplit(), P.Punctuation(), P.Punctuation(behavior="removed"),
        P.Digits(individual_digits=False), P.Digits(individual_digits=True), P.CharDelimiterSplit("-"),
        P.Metaspace(), P.Metaspace(prepend_scheme="first", split=False), P.Metaspace(prepend_scheme="never"),
        P.Split(Regex(r"\d+"), "isolated"), P.Split(Regex(r"\d+"), "removed"),
        P.Split(Regex(r"\d+"), "merged_with_previous"), P.Split(Regex(r"\d+"), "merged_with_next"),
        P.Split(Regex(r"\d"), "contiguous"), P.Split(Regex(r"[a-z]+"), "removed", invert=True),
        P.Split("-", "isolated"), P.Split(" ", "merged_with_next"),
        P.Split(Regex(r"(?i:'s|'t)|\w+|[^\w\s]+"), "isolated"),
        P.Sequence([P.WhitespaceSplit(), P.Digits(individual_digits=True)]),
        P.Sequence([P.Digits(individual_digits=True), P.ByteLevel(add_prefix_space=False)]),
    ]
    out = []
    for p in items:
        cases = []
        for t in COMPONENT_TEXTS:
            pieces = p.pre_tokenize_str(t)
            cases.append({"text": t, "pieces": [s for s, _ in pieces],
                          "offsets": char_offsets([o for _, o in pieces])})
        out.append({"json": stage(with_component("pre_tokenizer", p), "pre_tokenizer"), "cases": cases})
    return out


def decoder_cases():
    from tokenizers import decoders as D
    token_lists = [
        ["\u2581Hello", "\u2581\u2581world", "\u2581", "x\u2581y"], ["hel", "##lo", ",", "don", "'", "t", "i", "'", "m", "."],
        ["hel", "lo</w>", "wor", "ld</w>"], ["<0xE2>", "<0x82>", "<0xAC>", "a", "<0xFF>", "<0x41>", "b"],
        ["Ġhello", "Ġw", "Ã©", "ĊĊ", "<|im_end|>", "x"], ["  ab  ", "c", " d"], [],
    ]
    items = [D.ByteLevel(), D.WordPiece(), D.WordPiece(prefix="##", cleanup=False), D.Metaspace(),
             D.Metaspace(prepend_scheme="never"), D.BPEDecoder(suffix="</w>"), D.ByteFallback(), D.Fuse(),
             D.Strip(" ", 1, 1), D.Replace("\u2581", " "),
             D.Sequence([D.Replace("\u2581", " "), D.ByteFallback(), D.Fuse(), D.Strip(" ", 1, 0)])]
    out = []
    for d in items:
        out.append({"json": stage(with_component("decoder", d), "decoder"),
                    "cases": [{"tokens": toks, "text": d.decode(toks)} for toks in token_lists]})
    return out


def prefix_suffix_bpe(texts, specials, num_merges):
    """A deterministic BPE trainer in HF's prefix/suffix convention: a word "abc" starts as a, ##b, ##c</w>; merging
    (x, ##y) gives x + y. The most frequent pair wins, ties broken by the pair's text."""
    from collections import Counter
    words = Counter(w for t in texts for w in t.lower().replace(",", " , ").replace("!", " ! ").split())
    def split(w):
        syms = [w[0]] + ["##" + c for c in w[1:]]
        syms[-1] += "</w>"
        return syms
    seqs = {w: split(w) for w in words}
    vocab = list(specials) + sorted({s for syms in seqs.values() for s in syms})
    merges = []
    for _ in range(num_merges):
        pairs = Counter()
        for w, syms in seqs.items():
            for a, b in zip(syms, syms[1:]):
                pairs[(a, b)] += words[w]
        if not pairs:
            break
        (a, b), _ = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        merged = a + b[2:]
        merges.append((a, b))
        if merged not in vocab:
            vocab.append(merged)
        for w, syms in seqs.items():
            out, i = [], 0
            while i < len(syms):
                if i + 1 < len(syms) and syms[i] == a and syms[i + 1] == b:
                    out.append(merged)
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            seqs[w] = out
    return {t: i for i, t in enumerate(vocab)}, merges


def wordpiece_vocab(texts):
    """A fixed WordPiece vocabulary: specials, every character alone and as "##c", the training words, and a few
    continuations."""
    words = sorted({w.strip(",!") for t in texts for w in t.split()} - {""})
    chars = sorted({c for t in texts for c in t if not c.isspace()})
    extra = ["##llo", "##orld", "##ing", "##s", "##ed", "##er", "He", "##LLO", "W", "##ÖRLD", "wor", "##ld", "stop"]
    tokens = ["[UNK]", "[CLS]", "[SEP]", "<mask>"] + chars + ["##" + c for c in chars] + words + extra
    vocab = {}
    for t in tokens:
        vocab.setdefault(t, len(vocab))
    return vocab


def full_cases():
    """Whole tokenizers (model + every stage), trained on TRAIN_TEXT, checked end to end."""
    from tokenizers import decoders as D, normalizers as N, pre_tokenizers as P, processors as R
    out = []

    def record(name, tok):
        cases = []
        for t in COMPONENT_TEXTS + ["<mask> hello<mask>world", "helloworld hello-world", "the wor world"]:
            for special in (True, False):
                e = tok.encode(t, add_special_tokens=special)
                cases.append({"text": t, "add_special_tokens": special, "ids": e.ids, "tokens": e.tokens,
                              "type_ids": e.type_ids, "offsets": char_offsets(e.offsets),
                              "decoded": tok.decode(e.ids, skip_special_tokens=False),
                              "decoded_skip": tok.decode(e.ids, skip_special_tokens=True)})
        for a, b in [("hello world", "stop me"), ("  Héllo,  WÖRLD!! ", "a1b22c333")]:
            for special in (True, False):
                e = tok.encode(a, b, add_special_tokens=special)
                cases.append({"text": a, "pair": b, "add_special_tokens": special, "ids": e.ids, "tokens": e.tokens,
                              "type_ids": e.type_ids})
        out.append({"name": name, "json": tok.to_str(), "cases": cases})

    # 1. Llama-2 style: byte-fallback BPE on "▁"-joined text, fused unk, Template post-processor.
    tok = Tokenizer(tokenizers.models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = N.Sequence([N.Prepend("\u2581"), N.Replace(" ", "\u2581")])
    tok.train_from_iterator(TRAIN_TEXT, trainers.BpeTrainer(vocab_size=120, special_tokens=["<unk>", "<s>", "</s>"]))
    spec = json.loads(tok.to_str())
    vocab = spec["model"]["vocab"]
    ordered = sorted(vocab, key=vocab.get)
    specials, rest = ordered[:3], ordered[3:]
    ordered = specials + [f"<0x{b:02X}>" for b in range(256)] + rest
    spec["model"]["vocab"] = {t: i for i, t in enumerate(ordered)}
    spec["added_tokens"] = [dict(a, id=spec["model"]["vocab"][a["content"]]) for a in spec["added_tokens"]]
    tok = Tokenizer.from_str(json.dumps(spec))
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=False, special=True, normalized=False)])
    tok.add_tokens([AddedToken("wor", single_word=True, normalized=True)])
    tok.post_processor = R.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B:1", special_tokens=[("<s>", 1)])
    tok.decoder = D.Sequence([D.Replace("\u2581", " "), D.ByteFallback(), D.Fuse(), D.Strip(" ", 1, 0)])
    record("bpe_byte_fallback", tok)

    # 2. Classic BPE with a continuing-subword prefix and end-of-word suffix, Bert post-processor. (HF's trainer is
    # not deterministic with a prefix, so the merges come from the small deterministic trainer above.)
    vocab, merges = prefix_suffix_bpe(TRAIN_TEXT, specials=["[UNK]", "[CLS]", "[SEP]", "<mask>"], num_merges=80)
    tok = Tokenizer(tokenizers.models.BPE(vocab=vocab, merges=merges, unk_token="[UNK]",
                                          continuing_subword_prefix="##", end_of_word_suffix="</w>"))
    tok.add_special_tokens(["[UNK]", "[CLS]", "[SEP]", "<mask>"])
    tok.normalizer = N.Sequence([N.NFD(), N.StripAccents(), N.Lowercase(), N.Strip()])
    tok.pre_tokenizer = P.Whitespace()
    tok.post_processor = R.BertProcessing(("[SEP]", 2), ("[CLS]", 1))
    tok.decoder = D.BPEDecoder(suffix="</w>")
    record("bpe_prefix_suffix", tok)

    # 3. Llama-3 style: byte-level BPE with ignore_merges, Split regex, Sequence[ByteLevel, Template].
    tok = Tokenizer(tokenizers.models.BPE(ignore_merges=True))
    tok.pre_tokenizer = P.Sequence([P.Split(Regex(LLAMA3_REGEX), "isolated"),
                                    P.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.train_from_iterator(TRAIN_TEXT, trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<|begin_of_text|>", "<|eot_id|>"], initial_alphabet=P.ByteLevel.alphabet()))
    tok.add_special_tokens([AddedToken("<mask>", lstrip=False, rstrip=True, special=True, normalized=False)])
    tok.post_processor = R.Sequence([R.ByteLevel(trim_offsets=True),
                                     R.TemplateProcessing(single="<|begin_of_text|> $A",
                                                          pair="<|begin_of_text|> $A <|begin_of_text|>:1 $B:1",
                                                          special_tokens=[("<|begin_of_text|>", 0)])])
    tok.decoder = D.ByteLevel()
    record("bytelevel_ignore_merges", tok)

    # 4. RoBERTa style: ByteLevel with prefix space, Roberta post-processor.
    tok = Tokenizer(tokenizers.models.BPE())
    tok.pre_tokenizer = P.ByteLevel(add_prefix_space=True)
    tok.train_from_iterator(TRAIN_TEXT, trainers.BpeTrainer(
        vocab_size=350, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        initial_alphabet=P.ByteLevel.alphabet()))
    tok.post_processor = R.RobertaProcessing(("</s>", 2), ("<s>", 0), trim_offsets=True, add_prefix_space=True)
    tok.decoder = D.ByteLevel()
    record("bytelevel_roberta", tok)

    # 5. WordLevel with Metaspace, no post-processor.
    tok = Tokenizer(tokenizers.models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = P.Metaspace(prepend_scheme="first")
    tok.train_from_iterator(TRAIN_TEXT, trainers.WordLevelTrainer(special_tokens=["<unk>", "<mask>"]))
    tok.decoder = D.Metaspace(prepend_scheme="first")
    record("wordlevel_metaspace", tok)

    # 6. WordPiece with a BERT normalizer that keeps case and accents (a fixed vocabulary: the trainer is not
    # deterministic).
    tok = Tokenizer(tokenizers.models.WordPiece(vocab=wordpiece_vocab(TRAIN_TEXT), unk_token="[UNK]",
                                                max_input_chars_per_word=12))
    tok.add_special_tokens(["[UNK]", "[CLS]", "[SEP]", "<mask>"])
    tok.normalizer = N.BertNormalizer(lowercase=False, strip_accents=False)
    tok.pre_tokenizer = P.BertPreTokenizer()
    tok.post_processor = R.TemplateProcessing(single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
                                              special_tokens=[("[CLS]", 1), ("[SEP]", 2)])
    tok.decoder = D.WordPiece()
    record("wordpiece_cased", tok)
    return out


def unicode_classes_section():
    """How `tokenizers` classifies every code point U+0080…U+2FFFF, as inclusive [first, last] ranges: the regex
    classes \\p{L}, \\p{N}, \\s (Oniguruma), \\w (Whitespace pre-tokenizer, `regex` crate), BERT punctuation, BERT's
    Mn (strip_accents), StripAccents' marks, BERT's control characters (removed by clean_text) and its whitespace
    (mapped to a space). These follow older Unicode versions than Swift's; the tests compare every code point."""
    from tokenizers import normalizers as N
    cps = [c for c in range(0x80, 0x30000) if not (0xD800 <= c <= 0xDFFF)]
    big = "".join(chr(c) for c in cps)

    def matched(pattern):
        keep = set()
        for _, (a, b) in pre_tokenizers.Split(Regex(pattern), "removed").pre_tokenize_str(big):
            keep.update(range(a, b))
        return [cps[i] for i in range(len(cps)) if i not in keep]

    def ranges(points):
        out = []
        for c in points:
            if out and out[-1][1] == c - 1 and not (out[-1][1] < 0xD800 <= c):
                out[-1][1] = c
            else:
                out.append([c, c])
        return out

    bert_pre = pre_tokenizers.BertPreTokenizer()
    whitespace = pre_tokenizers.Whitespace()
    strip = N.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False)
    clean = N.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False)
    marks = N.StripAccents()
    punct, mn, mark, control, space, word = [], [], [], [], [], []
    for c in cps:
        ch = chr(c)
        if len(bert_pre.pre_tokenize_str("a" + ch + "b")) == 3:
            punct.append(c)
        if len(whitespace.pre_tokenize_str("a" + ch + "b")) == 1:
            word.append(c)
        if strip.normalize_str("a" + ch) == "a":
            mn.append(c)
        if marks.normalize_str("a" + ch) == "a":
            mark.append(c)
        cleaned = clean.normalize_str("a" + ch + "b")
        if cleaned == "ab":
            control.append(c)
        elif cleaned == "a b":
            space.append(c)
    return {"letter": ranges(matched(r"\p{L}")), "number": ranges(matched(r"\p{N}")), "space": ranges(matched(r"\s")),
            "word": ranges(word), "bert_punctuation": ranges(punct), "bert_nonspacing_mark": ranges(mn),
            "strip_accents_mark": ranges(mark), "bert_control": ranges(control), "bert_whitespace": ranges(space)}


def components_section():
    return {"normalizers": normalizer_cases(), "pre_tokenizers": pre_tokenizer_cases(), "decoders": decoder_cases(),
            "tokenizers": full_cases()}


def main():
    for path in (os.path.join(MINILM, "tokenizer.json"), os.path.join(SMOL, GGUF_NAME)):
        if not os.path.exists(path):
            raise SystemExit(f"error: {path} is missing: run scripts/fetch-models first")
    corpus = make_corpus()
    os.makedirs(RES, exist_ok=True)
    with open(os.path.join(RES, "corpus.json"), "w", encoding="utf-8") as f:
        json.dump(corpus, f, ensure_ascii=False, indent=0)
        f.write("\n")
    digest = hashlib.sha256("\u0000".join(corpus).encode("utf-8")).hexdigest()

    smol, smol_chat = smollm_section(corpus)
    goldens = {
        "versions": {"tokenizers": tokenizers.__version__, "transformers": transformers.__version__,
                     "gguf": importlib.metadata.version("gguf")},
        "corpus_count": len(corpus),
        "corpus_sha256": digest,
        "minilm": minilm_section(corpus),
        "smollm2": smol,
        "regex_splits": regex_section(corpus),
        "chat": {"smollm2": smol_chat, "llama3": llama3_chat()},
        "gguf_tiny": gguf_tiny_section(),
        "components": components_section(),
        "unicode_classes": unicode_classes_section(),
    }
    path = os.path.join(RES, "tokenizer_goldens.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(goldens, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(corpus)} corpus strings and {path} ({os.path.getsize(path) / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
