"""The data parts of the exported scripts of the token kinds: text (characters, the bundled file or
the user's), dialogs (knock-knock jokes, made-up ones mixed in), and the classifiers (memory, word
order). Each is Python source pasted into the script whole; it draws its batches as ``core/data``
draws them: ``tests/test_export.py`` checks that a script trains as the app does."""

TEXT_DATA = r'''
# --------------------------------------------------------------------------------------------------
# The data: characters. The vocabulary is the sorted set of characters the model was trained on
# (it is in the model file); each character is one token id and the model predicts the next one.
class Chars:
    def __init__(self, vocab):
        self.vocab, self.stoi = list(vocab), {ch: i for i, ch in enumerate(vocab)}

    def encode(self, text, what="text"):
        unknown = sorted({ch for ch in text if ch not in self.stoi})
        if unknown:
            more = f" and {len(unknown) - 8} more" if len(unknown) > 8 else ""
            shown = ", ".join(repr(ch) for ch in unknown[:8])
            raise UsageError(f"the {what} has characters the model never saw: {shown}{more}")
        return torch.tensor([self.stoi[ch] for ch in text], dtype=torch.long)


def read_text(path):
    """A UTF-8 text file of at most MAX_TEXT_BYTES, read as the app reads it."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"no such file: {shown(path)}")
    if path.stat().st_size > MAX_TEXT_BYTES:
        raise UsageError(f"{shown(path.name)} is over {MAX_TEXT_BYTES // 2**20} MB: the app trains on less text")
    return decode_text(path.read_bytes(), shown(path.name))


def bundled_file():
    """The app's bundled data (CONFIG["data"]["bundled_file"], inside its resources) where RNN
    Playground is installed, found without importing it; None where it is not."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("playground")
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        for resources in (Path(folder) / "resources", Path(folder).parent / "resources"):
            if (resources / CONFIG["data"]["bundled_file"]).is_file():
                return resources / CONFIG["data"]["bundled_file"]
    return None


class TextData:
    """Random windows of the training text; the last val_fraction of the text is held out."""

    dropped = ()  # tensors of the old file the new one must not carry

    def __init__(self, settings, tensors, data_file):
        self.chars, self.task_changes = Chars(settings["task"]["vocab"]), {}
        if data_file:  # a text of any size, read through its map of ids (corpus_ids)
            self.map_text(data_file)
            return
        text = self.source(settings, tensors, data_file)
        cut = round(len(text) * (1.0 - CONFIG["data"]["val_fraction"]))
        self.train = self.chars.encode(text[:cut], "training text")
        self.val = self.chars.encode(text[cut:], "held-out text")

    def source(self, settings, tensors, data_file):
        """The text to train on: --data FILE (then carried inside the new file, as the app does); else
        the text the model file carries, the pasted text in its settings, or the bundled corpus."""
        data, self.session_changes, self.tensors = settings["session"]["data"], {}, {}
        if data_file:
            text = read_text(data_file)
            self.session_changes = {"source": "file", "path": str(Path(data_file).resolve()), "text": ""}
            self.tensors = {"data/text": torch.frombuffer(bytearray(text.encode("utf-8")), dtype=torch.uint8)}
            return text
        if "data/text" in tensors:
            return decode_text(tensors["data/text"].numpy().tobytes(), "the text inside the model file")
        if data.get("source") == "inline":
            return data.get("text", "").replace("\r\n", "\n").replace("\r", "\n")
        if data.get("source") == "bundled" and bundled_file() is not None:
            return read_text(bundled_file())
        raise UsageError("the text this model was trained on is not at hand: give it with --data FILE")

    def map_text(self, data_file):
        """--data FILE: its ids through a memory map (the text is never held whole), cut as the app
        cuts a text; a file the app could read (CARRY_BYTES) also travels inside the new model
        file, as the app's own does, a larger one is named by its path."""
        path = Path(data_file)
        ids = corpus_ids(path, self.chars.vocab, say=lambda line: print(line, flush=True))
        cut = round(len(ids) * (1.0 - CONFIG["data"]["val_fraction"]))
        self.train, self.val = ids[:cut], ids[cut:]
        self.session_changes = {"source": "file", "path": str(path.resolve()), "text": ""}
        self.tensors = {}
        if path.stat().st_size <= CARRY_BYTES:
            text = decode_text(path.read_bytes(), shown(path.name))
            self.tensors = {"data/text": torch.frombuffer(bytearray(text.encode("utf-8")), dtype=torch.uint8)}
        else:  # too large to carry: the old file's text must not stand in for it
            self.dropped = ("data/text",)

    def sample_batch(self, batch_size, seq_len, gen):
        """x (B, T) and y (B, T): random windows and the same windows one character later."""
        hi = len(self.train) - seq_len  # a window of T + 1 characters starts in [0, hi)
        if hi < 1:
            raise UsageError(f"the training text has {len(self.train)} characters, not seq_len {seq_len} + 1")
        starts = torch.randint(hi, (batch_size, 1), generator=gen)
        chunk = take(self.train, starts + torch.arange(seq_len + 1))  # (B, T + 1)
        return chunk[:, :-1], chunk[:, 1:]

    def held_out(self, seq_len):  # windows of the held-out text, one after the other (64 at most)
        n = min(64, (len(self.val) - 1) // seq_len)
        x, y = take(self.val, torch.arange(n * seq_len)), take(self.val, torch.arange(1, n * seq_len + 1))
        return (x.view(n, seq_len), y.view(n, seq_len)) if n else None

    @staticmethod
    def loss(out, y):  # out (B, T, V) logits, y (B, T) character ids
        return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
'''

DIALOG_DATA = r'''
# Knock-knock dialogs are one character stream: START, then each turn as SPEAKER, the turn, "\n", the
# two speakers taking turns. A dialog file: one turn per line, a blank line between dialogs.
DIALOG_START, SPEAKERS, END_OF_TURN = "\x02", ("\x11", "\x12"), "\n"
MARKERS = (DIALOG_START, *SPEAKERS)


def encode_turns(turns, open_next=False):
    """The marked-up stream of a dialog; open_next: end with the next speaker's marker."""
    s = DIALOG_START + "".join(SPEAKERS[i % 2] + t + END_OF_TURN for i, t in enumerate(turns))
    return s + SPEAKERS[len(turns) % 2] if open_next else s


def parse_dialogs(text):
    dialogs, current = [], []
    for line in [*text.split("\n"), ""]:
        line = line.strip()
        if line and not line.startswith("#"):
            current.append(line)
        elif not line and current:
            dialogs, current = [*dialogs, current], []
    if len(dialogs) < 2 or min(len(d) for d in dialogs) < 2:
        raise UsageError("give at least two dialogs of two turns or more, a blank line between dialogs")
    return dialogs


# Made-up jokes, new ones for every batch, mixed into the bundled ones so that the model learns to
# copy a name it never saw (the rule of the game) instead of seventy names by heart.
@@JOKE_WORDS@@


def make_name(rng):
    u = rng.random()
    if u < 1 / 3:  # random letters: nothing but copying predicts them
        size = int(rng.integers(3, 11))
        return "".join(LETTERS[i] for i in rng.integers(len(LETTERS), size=size)).capitalize()
    if u < 2 / 3:  # an everyday word
        return str(WORDS[rng.integers(len(WORDS))])
    parts = []  # two or three syllables
    for _ in range(int(rng.integers(2, 4))):
        onset, vowel = ONSETS[rng.integers(len(ONSETS))], VOWELS[rng.integers(len(VOWELS))]
        parts.append(onset + vowel + CODAS[rng.integers(len(CODAS))])
    return "".join(parts).capitalize()


def typed(name, rng):
    """The knocker's turn and the name as the answer repeats it: a period or none, "!" or "?";
    as it is, in lower case or in capitals."""
    case = rng.random()
    if case < CASE_P[0]:
        shown = name
    elif case < CASE_P[0] + CASE_P[1]:
        shown = name.lower()
    else:
        shown = name.upper()
    ending = ENDINGS[int(rng.choice(len(ENDINGS), p=ENDING_P))]
    return shown + ending, shown


def make_joke(rng):
    turn, name = typed(make_name(rng), rng)
    punchline = PUNCHLINES[rng.integers(len(PUNCHLINES))].format(name=name)
    laugh = LAUGHS[rng.integers(len(LAUGHS))]
    return ["Knock, knock!", "Who's there?", turn, f"{name} who?", punchline, laugh]


class DialogData(TextData):
    """The dialogs as one stream; the last val_fraction of the dialogs is held out. With made-up
    jokes (bundled dialogs only), every batch is cut from jokes made for it, each window starting
    where a joke starts."""

    def __init__(self, settings, tensors, data_file):
        self.chars, self.task_changes = Chars(settings["task"]["vocab"]), {}
        dialogs = parse_dialogs(self.source(settings, tensors, data_file))
        n_val = max(1, round(len(dialogs) * CONFIG["data"]["val_fraction"]))
        bundled = settings["session"]["data"]["source"] == "bundled" and not data_file
        made_up = CONFIG["data"]["made_up_jokes"] if bundled else 0
        self.jokes = [self.chars.encode(encode_turns(d), "dialogs' text") for d in dialogs[:-n_val]]
        self.share = made_up / (made_up + len(self.jokes))  # the share of made-up jokes
        self.train = torch.cat(self.jokes)
        self.val = self.chars.encode("".join(encode_turns(d) for d in dialogs[-n_val:]), "dialogs' text")

    def sample_batch(self, batch_size, seq_len, gen):
        if not self.share:
            return super().sample_batch(batch_size, seq_len, gen)
        rng = np.random.default_rng(int(torch.randint(0, 2**62, (1,), generator=gen)))
        parts, starts, total = [], [], 0
        while total < batch_size * (seq_len + 1) + 2 * seq_len:
            if rng.random() < self.share:
                ids = self.chars.encode(encode_turns(make_joke(rng)), "made-up jokes")
            else:
                ids = self.jokes[int(rng.integers(len(self.jokes)))]
            parts, starts, total = [*parts, ids], [*starts, total], total + len(ids)
        stream, starts = torch.cat(parts), torch.tensor(starts)
        usable = starts[starts < len(stream) - seq_len]
        order = torch.randperm(len(usable), generator=gen).repeat(batch_size // len(usable) + 1)
        chunk = stream[usable[order[:batch_size]][:, None] + torch.arange(seq_len + 1)]  # (B, T + 1)
        return chunk[:, :-1], chunk[:, 1:]
'''

CLASSIFY_DATA = r"""
# --------------------------------------------------------------------------------------------------
# The data: a sequence of tokens in, one class out after the last token (many-to-one). The data is
# made as the app makes it, from CONFIG["data"]; the vocabulary and classes are in the model file.
class ClassifyData:
    session_changes, task_changes, tensors = {}, {}, {}

    def held_out(self, seq_len):
        return self.val_x, self.val_y

    @staticmethod
    def loss(out, y):  # out (B, C) class logits, y (B,) class ids
        return F.cross_entropy(out, y)
"""

MEMORY_DATA = r'''
# Memory: a key, `gap` random digits, "?"; the answer is the key's partner (A 3 9 1 4 ? -> a). The
# tokens are the keys A, B, ..., the digits 0-9 and "?"; the classes the partners a, b, ...
HINT = @@MEMORY_HINT@@

def tokenize(text):
    """One token per character; spaces and commas are ignored ("A 3 9 ?" or "A39?")."""
    return [ch for ch in text if not ch.isspace() and ch != ","]


class MemoryData(ClassifyData):
    """Fresh sequences for every batch; a fixed 512 held out, made from the data seed."""

    def __init__(self, settings, tensors, data_file):
        self.gap, self.keys = CONFIG["data"]["gap"], CONFIG["data"]["keys"]
        self.task_changes = {"gap": self.gap}
        rng = np.random.default_rng(CONFIG["data"]["seed"])
        self.val_y = torch.from_numpy(rng.integers(self.keys, size=512))
        self.val_x = self.sequences(self.val_y, torch.from_numpy(rng.integers(10, size=(512, self.gap))))

    def sequences(self, keys, digits):
        query = torch.full((len(keys), 1), self.keys + 10, dtype=torch.long)  # "?" is the last token
        return torch.cat([keys[:, None], digits + self.keys, query], dim=1)

    def sample_batch(self, batch_size, seq_len, gen):
        y = torch.randint(self.keys, (batch_size,), generator=gen)
        return self.sequences(y, torch.randint(10, (batch_size, self.gap), generator=gen)), y
'''

ORDER_DATA = r'''
# Word order: every sentence has a positive and a negative adjective and one "not"; the adjective
# right after "not" is negated and the other one decides. Each set of words comes with both labels,
# so only the order tells them apart. Shorter sentences are left-padded with PAD.
@@ORDER_WORDS@@
HINT = "use the words " + " ".join(VOCAB[1:]) + ", e.g. 'the food was good , not bad'"
POLARITY = {**{w: 1 for w in POSITIVE}, **{w: -1 for w in NEGATIVE}}


def tokenize(text):
    """Lowercase words; a comma is a word of its own, other punctuation is dropped."""
    return re.sub(r"[.!?;:\"']", " ", text.lower().replace(",", " , ")).split()


def sentence(noun, verb, first, second, template):
    """One sentence's words and class id (1: positive): `first`, `second` fill the template's A, B."""
    words, decider = ["the", noun, verb], ""
    for part in template:
        words.append((first if part[0] == "A" else second) if part[0] in "AB" else part)
        decider = words[-1] if part.endswith("<") else decider
    return words, int(POLARITY[decider] > 0)


class OrderData(ClassifyData):
    """All 3,072 sentences; a seeded share of the word choices is held out with all 12 sentences."""

    def __init__(self, settings, tensors, data_file):
        if list(VOCAB) != settings["task"]["vocab"]:
            raise UsageError("the model's vocabulary is not this script's order lesson")
        rng = np.random.default_rng(CONFIG["data"]["seed"])
        choices = list(itertools.product(NOUNS, VERBS, POSITIVE, NEGATIVE))
        order = rng.permutation(len(choices))
        n_val = max(1, round(len(choices) * CONFIG["data"]["val_fraction"]))

        def encode_all(picked):
            rows = [
                sentence(noun, verb, a, b, template)
                for noun, verb, pos, neg in (choices[j] for j in picked)
                for template in TEMPLATES
                for a, b in ((pos, neg), (neg, pos))
            ]
            x = np.full((len(rows), MAX_WORDS), VOCAB.index(PAD), dtype=np.int64)
            for r, (words, _) in enumerate(rows):
                x[r, MAX_WORDS - len(words) :] = [VOCAB.index(w) for w in words]
            mix = rng.permutation(len(rows))
            return torch.from_numpy(x[mix]), torch.tensor([label for _, label in rows])[mix]

        self.val_x, self.val_y = encode_all(np.sort(order[:n_val]))
        self.train_x, self.train_y = encode_all(np.sort(order[n_val:]))

    def sample_batch(self, batch_size, seq_len, gen):
        idx = torch.randint(len(self.train_y), (batch_size,), generator=gen)
        return self.train_x[idx], self.train_y[idx]
'''
