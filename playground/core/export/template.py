"""The text of an exported PyTorch script: the parts every script has (the model, the weights file,
training, the command line), the commands that use a model and the spell lesson's data. ``export.py``
adds the other kinds' data parts and fills in the ``@@NAME@@`` markers.

The script mirrors the app: ``SequenceModel`` is ``nets.SequenceModel`` with the same modules
registered in the same order (so a model file's state dict loads with strict=True); sampling is
``inference._Stepper`` and ``_choose``; a training step is ``Trainer.step``; the file it writes
holds what ``checkpoint.save`` writes. A change there must be made here too:
``tests/test_export.py`` compares the two.
"""

# The top of the script: its docstring, imports and the settings (CONFIG is rendered by export.py).
HEAD = r'''#!/usr/bin/env python3
"""@@TITLE@@

Exported by `rnn-playground export` from a model file of @@STEPS@@ training steps. One file that
needs only torch, numpy and safetensors: it reads RNN Playground's model files (a .safetensors file
with the weights, the vocabulary or the series' scale, the optimizer's state and the loss history)
and writes files the app opens again, so a model goes back and forth between the app and your code.
Read from the top: CONFIG (this model's settings), the model, the weights file, the data,
training, using the model, the command line.

Usage (--weights FILE defaults to the file it was exported from, CONFIG["weights"]: its path from
this script's folder, so the script and the file can move together):

@@USAGE@@
    python @@SCRIPT@@ train --steps 500 --out more.safetensors@@DATA_USAGE@@
        train on from the weights with CONFIG["train"] (optimizer, learning rate, batch size,
        sequence length, clipping): the app opens the new file (`rnn-playground info FILE`,
        `rnn-playground train --resume FILE`); on a CPU it takes the very steps the app would.@@DATA_NOTE@@
        --batch-size N (default CONFIG["train"]), --bf16 (bfloat16 autocast), --compile (torch.compile).
    python -m torch.distributed.run --standalone --nproc_per_node 2 %(prog)s train --out more.safetensors
        the same training on 2 processes (DistributedDataParallel: gloo on CPUs, nccl on GPUs): each
        takes its half of every batch, rank 0 writes the file.
"""

@@STDLIB@@
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load as safetensors_load
from safetensors.torch import save as safetensors_save


class UsageError(Exception):
    """A mistake the user can fix: one line on stderr, exit status 2."""


# --------------------------------------------------------------------------------------------------
# Settings, as the app saved them. The weights must fit CONFIG["model"]; CONFIG["train"] and
# CONFIG["data"] are what `train` uses and writes into the new file (change the learning rate here).
@@CONFIG@@
'''

MODEL = r'''
# --------------------------------------------------------------------------------------------------
# The model: input encoder -> sequence core -> output head. The same modules under the same names,
# registered in the same order as in RNN Playground, so the app's weights load as they are.
MAX_LEN = 1024  # the longest sequence the Transformer's learned positions cover
ATTENTION_DIM = 64  # query and key width of a recurrent model's attention over its own past


class SequenceModel(nn.Module):
    def __init__(self, cfg, n_inputs, n_outputs, tokens, many_to_many, bag_of_words=False):
        super().__init__()
        self.cfg, self.many_to_many = cfg, many_to_many  # many_to_many: an output at every step
        self.recurrent = cfg["arch"] in ("rnn", "lstm", "gru")
        self.attends = self.recurrent and cfg["attention"]
        self.bag_of_words = bag_of_words and cfg["arch"] == "mlp"
        h, layers, dropout = cfg["hidden"], cfg["layers"], cfg["dropout"]
        # Input encoder: a learned vector per token; numbers go in as they are.
        self.embed = nn.Embedding(n_inputs, cfg["embed"]) if tokens else None
        in_size = cfg["embed"] if tokens else n_inputs
        if self.recurrent:  # torch's fused layers; dropout acts between stacked layers
            cell = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cfg["arch"]]
            extra = {"nonlinearity": cfg["activation"]} if cfg["arch"] == "rnn" else {}
            self.core = cell(
                input_size=in_size, hidden_size=h, num_layers=layers, batch_first=True,
                bidirectional=cfg["bidirectional"], dropout=dropout if layers > 1 else 0.0, **extra,
            )
            feat = h * (2 if cfg["bidirectional"] else 1)
            if self.attends:  # the readout also reads a mix of the states so far (see attend)
                self.att_query, self.att_key = nn.Linear(h, ATTENTION_DIM), nn.Linear(h, ATTENTION_DIM)
                self.att_value = nn.Linear(h, h)
                feat = 2 * h
        elif cfg["arch"] == "transformer":  # pre-norm encoder layers
            self.in_proj = nn.Linear(in_size, h)
            self.pos = nn.Parameter(torch.zeros(MAX_LEN, h))  # a learned vector per position
            self.core = nn.ModuleList(
                nn.TransformerEncoderLayer(h, cfg["heads"], 2 * h, dropout, batch_first=True, norm_first=True)
                for _ in range(layers)
            )
            self.norm = nn.LayerNorm(h)
            feat = h
        else:  # mlp: a window of past inputs (or, bag of words, their mean), no recurrence
            sizes = [in_size if self.bag_of_words else cfg["window"] * in_size] + [h] * layers
            self.core = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
            self.drop = nn.Dropout(dropout)
            feat = h
        self.head = nn.Linear(feat, n_outputs)

    def encode(self, x):  # x (B, T) token ids or (B, T, 1) values -> (B, T, E)
        return self.embed(x) if self.embed is not None else x

    def attend(self, feats):
        """Causal attention over the core's states (B, T, H): at step t a softmax over steps 0..t of
        query(h_t) . key(h_j); returns that mix of value(h_j) (B, T, H) and the weights (B, T, T)."""
        t = feats.shape[1]
        scores = self.att_query(feats) @ self.att_key(feats).transpose(1, 2) / ATTENTION_DIM**0.5
        future = torch.ones(t, t, dtype=torch.bool, device=feats.device).triu(1)
        weights = torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1)
        return weights @ self.att_value(feats), weights

    def readout(self, feats):
        """Features (B, T, F) -> outputs: (B, T, O) at every step, or (B, O) at the end."""
        if self.attends:
            feats = torch.cat([feats, self.attend(feats)[0]], dim=-1)
        if self.many_to_many:
            return self.head(feats)
        if self.recurrent and self.cfg["bidirectional"]:
            # the forward half has read everything at the last step, the backward half at the first
            h = self.cfg["hidden"]
            return self.head(torch.cat([feats[:, -1, :h], feats[:, 0, h:]], dim=-1))
        return self.head(feats[:, -1])

    def features(self, e, state=None):
        """The core over encoded inputs (B, T, E): (features (B, T, F), the new state)."""
        if self.recurrent:
            return self.core(e, state)
        if self.cfg["arch"] == "transformer":
            t = e.shape[1]
            if t > MAX_LEN:
                raise UsageError(f"the Transformer reads at most {MAX_LEN} steps, got {t}")
            z = self.in_proj(e) + self.pos[:t]
            causal = not self.cfg["bidirectional"]  # each step sees only itself and the past
            mask = nn.Transformer.generate_square_subsequent_mask(t, device=e.device, dtype=z.dtype)
            for layer in self.core:
                z = layer(z, src_mask=mask if causal else None, is_causal=causal)
            return self.norm(z), None
        if self.bag_of_words:  # the mean of the inputs 0..t: the same for any order
            steps = torch.arange(1, e.shape[1] + 1, device=e.device, dtype=e.dtype)
            z = e.cumsum(dim=1) / steps[None, :, None]
        else:  # at each step the last `window` inputs (zeros before the start), oldest first
            w = self.cfg["window"]
            z = F.pad(e, (0, 0, w - 1, 0)).unfold(1, w, 1)  # (B, T, E, w)
            z = z.transpose(2, 3).reshape(e.shape[0], e.shape[1], -1)  # (B, T, w*E)
        act = torch.relu if self.cfg["activation"] == "relu" else torch.tanh
        for lin in self.core:
            z = self.drop(act(lin(z)))
        return z, None

    def forward(self, x, state=None):
        """x (B, T) ids or (B, T, 1) values -> (outputs, state). The state carries a recurrent
        model's memory from one call to the next (attention looks back over this call only)."""
        feats, state = self.features(self.encode(x), state)
        return self.readout(feats), state
'''

FILES = r'''
# --------------------------------------------------------------------------------------------------
# The weights file: RNN Playground's model file, a safetensors file. Its header holds JSON settings
# ("session": the model, data and training settings; "task": the vocabulary, classes or the series'
# scale; "optimizer": the optimizer's settings); its tensors are the weights ("model/<name>"), the
# optimizer's state ("optim/<index>/<field>"), the loss history ("history/..."), the random
# generators ("rng/...") and, for a series or a text file of one's own, the data ("data/...").
FORMAT = "rnn-playground-model"
MAX_VOCAB, MAX_TOKEN = 1000, 64  # the app's limits: vocabulary entries, and a word's characters
MAX_TEXT_BYTES = 50 * 2**20  # the longest training text the app reads
MAX_SERIES = 10_000_000  # the longest series a model file may carry
RNG_BYTES = len(torch.Generator().get_state())  # a random generator's state


def shown(text):
    """A name or value for a one-line message: as it is when printable, else escaped as repr does."""
    text = str(text)
    return text if text.isprintable() else repr(text)[1:-1]


def decode_text(data, what):
    """UTF-8 bytes as text, its line ends made LF, as the app reads text; NUL bytes (anywhere) and
    bytes that are not UTF-8 are refused."""
    if b"\x00" in data:
        raise UsageError(f"{what} holds NUL bytes: it is not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise UsageError(f"{what} is not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start:,})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def default_weights():
    """The model file it was exported from: CONFIG["weights"] is its path from this script's folder,
    so the two moved together still meet."""
    return Path(os.path.abspath(__file__)).parent / CONFIG["weights"]


def read_safetensors(path):
    """(metadata, tensors) of a safetensors file. safetensors opens files by UTF-8 names only: a name
    that is not UTF-8 (bytes a Linux file name may hold) is read whole and parsed from memory."""
    try:
        os.fsdecode(os.fsencode(path)).encode("utf-8")
    except UnicodeEncodeError:
        blob = Path(path).read_bytes()
        tensors = safetensors_load(blob)  # checks the framing first
        header = json.loads(blob[8 : 8 + int.from_bytes(blob[:8], "little")])
        return header.get("__metadata__") or {}, tensors
    with safe_open(str(path), framework="pt") as f:
        return f.metadata() or {}, {key: f.get_tensor(key) for key in f.keys()}


def read_model_file(path):
    """(metadata, settings, tensors) of a model file, checked (check_model_file), or a one-line
    UsageError."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"no such model file: {shown(path)}")
    try:
        meta, tensors = read_safetensors(path)
    except Exception as e:  # a pickle, a text file, a truncated file...
        reason = (str(e).splitlines() or [type(e).__name__])[0]
        raise UsageError(f"{shown(path.name)} is not an RNN Playground model file ({shown(reason)})") from None
    if meta.get("format") != FORMAT or meta.get("model") == "seq2seq":
        what = "an encoder-decoder" if meta.get("model") == "seq2seq" else "not an RNN Playground model"
        raise UsageError(f"{shown(path.name)} is {what}: this script reads its own kind of model files")
    try:
        settings = {key: json.loads(meta[key]) for key in ("session", "task", "optimizer")}
    except (KeyError, ValueError, RecursionError) as e:
        reason = f"no {e}" if isinstance(e, KeyError) else type(e).__name__
        raise UsageError(f"{shown(path.name)} is corrupted: its settings cannot be read ({reason})") from None
    session = settings["session"]
    kind = session.get("data", {}).get("kind") if isinstance(session, dict) else None
    if not isinstance(kind, str):
        raise UsageError(f"{shown(path.name)} is corrupted: its settings name no kind of data")
    if kind != CONFIG["kind"]:
        raise UsageError(f"{shown(path.name)} is a {shown(kind)[:40]} model; this script is for {CONFIG['kind']} models")
    check_model_file(path.name, meta, settings, tensors)
    return meta, settings, tensors


# --------------------------------------------------------------------------------------------------
# Checks: a model file travels, and may be damaged or made to mislead. Everything this script reads
# from one is checked before it is used, and refused in one line (never a traceback, never a value
# quietly converted): the settings' types, the vocabulary, the series and its scales, each tensor's
# type and shape, the optimizer's state and the random generators' states.
def is_whole(value, lo, hi):
    return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi


def is_finite(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def is_text(value, longest):
    """A str of 1 to `longest` characters that can be written out (no lone surrogate)."""
    if not isinstance(value, str) or not 1 <= len(value) <= longest:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def dtype_name(t):
    return f"{str(t.dtype).removeprefix('torch.')} {tuple(t.shape)}"


def check_model_file(name, meta, settings, tensors):
    def bad(what):
        return UsageError(f"{shown(name)} is corrupted: {what}")

    session, task, saved = settings["session"], settings["task"], settings["optimizer"]
    if not (isinstance(task, dict) and isinstance(saved, dict)):
        raise bad("its task or optimizer settings are not tables")
    if not all(isinstance(session.get(part), dict) for part in ("model", "data", "train")):
        raise bad("its session settings are not tables")
    steps = meta.get("steps")
    if not (isinstance(steps, str) and steps.isascii() and steps.isdigit() and len(steps) <= 15):
        raise bad("its step count is not a whole number")
    check_vocabulary(bad, task)
    if CONFIG["kind"] == "prices":
        check_series(bad, task, tensors)
    data = session["data"]
    if not isinstance(data.get("source", ""), str) or not isinstance(data.get("text", ""), str):
        raise bad("its data settings are not text")
    text = tensors.get("data/text")
    if text is not None and (text.dtype != torch.uint8 or text.dim() != 1 or not 0 < len(text) <= MAX_TEXT_BYTES):
        raise bad(f"its training text is {dtype_name(text)}, not UTF-8 bytes")
    for key, t in tensors.items():
        if key.startswith("model/") and t.dtype != torch.float32:
            raise bad(f"weight {shown(key[6:])[:60]} is {dtype_name(t)}, not float32")
        if key.startswith("model/") and not bool(torch.isfinite(t).all()):
            raise bad(f"weight {shown(key[6:])[:60]} holds NaN or infinite values")
    losses = tensors.get("history/train_loss")
    if losses is not None and not (losses.dim() == 1 and losses.dtype.is_floating_point):
        raise bad(f"its loss history is {dtype_name(losses)}, not a list of numbers")
    for key in ("rng/batches", "rng/torch"):
        t = tensors.get(key)
        if t is not None and (t.dtype != torch.uint8 or tuple(t.shape) != (RNG_BYTES,)):
            raise bad(f"its random state {key} is {dtype_name(t)}, not {RNG_BYTES} bytes")
    check_optimizer_state(bad, tensors, saved)


def check_vocabulary(bad, task):
    """The vocabulary (different characters, or words for the word kinds), the classes, and what
    the kind reads beside them (the spell lesson's words, the order lesson's padding)."""
    vocab, classes = task.get("vocab"), task.get("classes")
    characters = CONFIG["kind"] in ("text", "knock-knock", "quotes")
    longest = 1 if characters else MAX_TOKEN
    if CONFIG["tokens"] or vocab is not None:
        if not (
            isinstance(vocab, list)
            and 2 <= len(vocab) <= MAX_VOCAB
            and all(is_text(t, longest) for t in vocab)
            and len(set(vocab)) == len(vocab)
        ):
            what = "single characters" if characters else f"words of up to {MAX_TOKEN} characters"
            raise bad(f"its vocabulary is not a list of 2 to {MAX_VOCAB:,} different {what}")
    if classes is not None and not (
        isinstance(classes, list)
        and 1 <= len(classes) <= MAX_VOCAB
        and all(is_text(c, MAX_TOKEN) for c in classes)
        and len(set(classes)) == len(classes)
    ):
        raise bad("its classes are not a list of different names")
    if CONFIG["kind"] == "spell":
        words = task.get("words")
        if not (
            isinstance(words, list)
            and words
            and all(is_text(w, MAX_TOKEN) and set(w) <= set(vocab) for w in words)
            and {BLANK, END} <= set(vocab)
        ):
            raise bad("its word list does not fit its vocabulary")
    pad = task.get("pad")
    if pad is not None and not (isinstance(vocab, list) and pad in vocab and is_whole(task.get("max_words"), 1, MAX_LEN)):
        raise bad("its padding does not fit its vocabulary")


def check_series(bad, task, tensors):
    """The series (float64 values, longer than the window), its scale, and its input columns with
    their scales (a mean and a positive std each): all finite."""
    window, normalizer, scales = task.get("window"), task.get("normalizer"), task.get("inputs")
    scales = [] if scales is None else scales
    if not is_whole(window, 1, MAX_SERIES):
        raise bad("its window is not a whole number of steps")
    scale = normalizer.get("scale") if isinstance(normalizer, dict) else None
    if not (is_finite(scale) and scale > 0):
        raise bad("its series' scale is not a positive number")
    if not (
        isinstance(scales, list)
        and all(isinstance(s, dict) and is_finite(s.get("mean")) and is_finite(s.get("std")) for s in scales)
        and all(s["std"] > 0 for s in scales)
    ):
        raise bad("its input columns' scales are not a mean and a positive std each")
    series, inputs = tensors.get("data/series"), tensors.get("data/inputs")
    if series is None or series.dtype != torch.float64 or series.dim() != 1:
        what = "no series" if series is None else f"a series of {dtype_name(series)}"
        raise bad(f"it carries {what}, not float64 values")
    if not window < len(series) <= MAX_SERIES or not bool(torch.isfinite(series).all()):
        raise bad(f"its series of {len(series):,} values is not finite values, more than its window of {window}")
    if scales:
        want = (len(series), len(scales))
        if inputs is None or inputs.dtype != torch.float64 or tuple(inputs.shape) != want:
            what = "none" if inputs is None else dtype_name(inputs)
            raise bad(f"its input columns are {what}, not float64 {want} as their scales say")
        if not bool(torch.isfinite(inputs).all()):
            raise bad("its input columns hold NaN or infinite values")
    elif inputs is not None:
        raise bad("it carries input columns without their scales")


# The state each parameter has once the optimizer has stepped (all of it, or none, must be there);
# these averages are of squares, never negative.
OPTIMIZER_STATE = {"adam": {"step", "exp_avg", "exp_avg_sq"}, "adamw": {"step", "exp_avg", "exp_avg_sq"},
                   "rmsprop": {"step", "square_avg"}, "sgd": set()}
SQUARES = ("exp_avg_sq", "square_avg", "max_exp_avg_sq")


def check_optimizer_state(bad, tensors, saved):
    """The optimizer's state: optim/<index>/<field> tensors of finite float32 values, step counts
    whole numbers from 0, averages of squares not negative; the scalars a table of finite numbers."""
    for key, value in tensors.items():
        if not key.startswith("optim/"):
            continue
        parts = key.split("/")
        if len(parts) != 3 or not (parts[1].isascii() and parts[1].isdigit() and len(parts[1]) < 6):
            raise bad(f"optimizer state {shown(key)[:60]} is not optim/<parameter>/<field>")
        field = parts[2]
        if field == "step":
            step = float(value.reshape(-1)[0]) if value.numel() == 1 and not value.dtype.is_complex else -1.0
            if not (0 <= step <= 2**53 and step == int(step)):
                raise bad(f"the optimizer's step count of parameter {parts[1]} is not a whole number from 0")
        elif value.dtype != torch.float32 or not bool(torch.isfinite(value).all()):
            raise bad(f"{shown(field)[:30]} of parameter {parts[1]} is not finite float32 values")
        elif field in SQUARES and bool((value < 0).any()):
            raise bad(f"{field} of parameter {parts[1]} holds negative averages of squares")
    scalars = saved.get("scalars", {})
    if not isinstance(scalars, dict):
        raise bad("its optimizer scalars are not a table")
    for index, fields in scalars.items():
        if not (index.isascii() and index.isdigit() and len(index) < 6 and isinstance(fields, dict)):
            raise bad(f"its optimizer scalars for {shown(index)[:20]!r} are not a parameter's")
        for field, value in fields.items():
            fine = value is None if field == "momentum_buffer" else is_finite(value) and value >= 0
            if not fine:
                raise bad(f"optimizer scalar {shown(field)[:30]} of parameter {index} is not a number from 0")


def build_model(settings, tensors, name):
    """The model of CONFIG["model"] with the weights of the file `name` (every name and shape must match)."""
    vocab, classes = settings["task"].get("vocab"), settings["task"].get("classes")
    n_inputs = len(vocab) if CONFIG["tokens"] else 1 + len(settings["task"].get("inputs") or [])
    n_outputs = len(classes) if classes else len(vocab) if vocab else 1
    shape = (CONFIG["tokens"], CONFIG["many_to_many"], CONFIG["bag_of_words"])
    model = SequenceModel(CONFIG["model"], n_inputs, n_outputs, *shape)
    weights = {key[len("model/") :]: t for key, t in tensors.items() if key.startswith("model/")}
    try:
        model.load_state_dict(weights, strict=True)
    except RuntimeError as e:
        reason = shown(str(e).splitlines()[0])
        raise UsageError(f"the weights in {shown(name)} do not fit CONFIG['model'] ({reason})") from None
    return model


def load_model(path):
    """A model file's model in eval mode (no dropout), ready to predict, and its settings."""
    _, settings, tensors = read_model_file(path)
    return build_model(settings, tensors, Path(path).name).eval(), settings, tensors


def make_optimizer(params, t):
    """The optimizer CONFIG["train"] names, made as the app makes it (without the compiler's import:
    skip_compiler_import)."""
    lr, wd, momentum = t["lr"], t["weight_decay"], t["momentum"]
    skip_compiler_import(torch.optim.Optimizer)
    return {
        "sgd": lambda: torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=wd),
        "adam": lambda: torch.optim.Adam(params, lr=lr, weight_decay=wd),
        "adamw": lambda: torch.optim.AdamW(params, lr=lr, weight_decay=wd),
        "rmsprop": lambda: torch.optim.RMSprop(params, lr=lr, momentum=momentum, weight_decay=wd),
    }[t["optimizer"]]()


def skip_compiler_import(cls):
    """torch.optim's optimizers import torch's compiler (torch._dynamo: sympy and some 800 modules,
    about 70 MB of memory, a quarter of a training run's) the first time a method runs, only to mark
    it "never compile this", and their step imports it to mark where a compiled graph must break.
    Nothing here compiles an optimizer (--compile compiles the model), so each mark is settled in
    advance as the method itself, which is what the mark calls outside compilation, and train_step
    calls the step itself (optimizer_step): the same arithmetic, bit for bit, 70 MB less. A torch
    whose methods are laid out otherwise has nothing to settle here, and imports as before."""
    for klass in cls.__mro__:
        for f in vars(klass).values():
            code, raw = getattr(f, "__code__", None), getattr(f, "__wrapped__", None)
            if code is not None and callable(raw) and code.co_filename.endswith("_compile.py"):
                setattr(raw, "__dynamo_disable", raw)  # torch._compile._disable_dynamo's cached answer


def optimizer_step(optimizer):
    """optimizer.step() without its wrappers: the step hooks (this script sets none) and the graph
    breaks that import the compiler (skip_compiler_import); gradients off, as the wrapper has them."""
    step = type(optimizer).step
    while callable(getattr(step, "__wrapped__", None)):  # functools.wraps' record of what it wraps
        step = step.__wrapped__
    with torch.no_grad():
        return step(optimizer)


def load_optimizer_state(optimizer, params, tensors, saved, name):
    """Put the file's optimizer state back (Adam's moving averages, momentum, step counts), so that
    training goes on as if it had never stopped. Its settings stay CONFIG's (the learning rate...).
    Each parameter's state must fit it (check_optimizer_state has checked the values)."""
    state = {}
    for key, value in tensors.items():
        if key.startswith("optim/"):
            _, index, field = key.split("/", 2)
            state.setdefault(int(index), {})[field] = value.reshape(()).float() if field == "step" else value
    for index, fields in saved.get("scalars", {}).items():
        state.setdefault(int(index), {}).update(fields)
    wanted = set(OPTIMIZER_STATE[CONFIG["train"]["optimizer"]])
    if CONFIG["train"]["optimizer"] == "rmsprop" and CONFIG["train"]["momentum"] > 0:
        wanted.add("momentum_buffer")
    for index, fields in state.items():
        problem = "" if index < len(params) else "a parameter the model does not have"
        for field, value in fields.items():
            if torch.is_tensor(value) and field != "step" and value.shape != params[min(index, len(params) - 1)].shape:
                problem = problem or f"{field} is {tuple(value.shape)}, not {tuple(params[index].shape)}"
        missing = wanted - set(fields)
        problem = problem or (f"{', '.join(sorted(missing))} missing" if missing else "")
        if problem:
            raise UsageError(f"{shown(name)} is corrupted: the optimizer state of parameter {index} does not fit ({problem})")
    optimizer.load_state_dict({"state": state, "param_groups": optimizer.state_dict()["param_groups"]})


def save_model_file(path, run):
    """Write what the app's own save writes: the file's settings with this run's, its weights,
    optimizer state, steps, loss history and random states. Written beside the target, then
    renamed over it, so a failed save leaves an old file as it was."""
    meta, settings, data = run["meta"], run["settings"], run["data"]
    out = {key: t for key, t in run["tensors"].items() if not key.startswith("optim/")}  # data, validation
    for name, t in run["model"].state_dict().items():
        out[f"model/{name}"] = t.detach().cpu().contiguous().clone()
    opt, scalars = run["optimizer"].state_dict(), {}
    for index, fields in opt["state"].items():
        for field, value in fields.items():
            if torch.is_tensor(value):
                out[f"optim/{index}/{field}"] = value.detach().cpu().contiguous().clone()
            else:
                scalars.setdefault(str(index), {})[field] = value
    out["history/train_loss"] = torch.tensor(run["losses"], dtype=torch.float32)
    out["rng/batches"], out["rng/torch"] = run["gen"].get_state(), torch.get_rng_state()
    for key in getattr(data, "dropped", ()):
        out.pop(key, None)
    out.update(data.tensors)  # the data it trained on, where --data gave it
    session = settings["session"]
    changed = {k: v for k, v in CONFIG["data"].items() if k in session["data"]} | data.session_changes
    session = {**session, "model": CONFIG["model"], "train": {**session["train"], **run["train"]},
               "data": {**session["data"], **changed}}
    header = {
        **meta,
        "session": json.dumps(session),
        "task": json.dumps({**settings["task"], **data.task_changes}),
        "optimizer": json.dumps({"param_groups": opt["param_groups"], "scalars": scalars}),
        "steps": str(run["steps"]),
        "trained_on": str(run["device"]),
        "written_by": "an exported PyTorch script",
    }
    tmp = temporary(path)
    try:
        tmp.write_bytes(safetensors_save(out, metadata=header))  # by bytes: any name the system takes
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise UsageError(f"cannot save to {shown(path)}: {shown(getattr(e, 'strerror', None) or e)}") from None


def temporary(path):
    """The file a save writes first, beside its target."""
    return path.with_name(f".{path.name}.tmp")


def checked_out(name, probe=True):
    """--out as the model file to write, judged before any training: not empty, not a folder, in a
    folder that exists and takes a new file of that name (one is made and removed to know, by rank 0
    only under torchrun: the others never touch the folder)."""
    if not name.strip():
        raise UsageError("--out is empty: give a file name such as more.safetensors")
    out = Path(name if name.endswith(".safetensors") else name + ".safetensors")
    if out.is_dir():
        raise UsageError(f"cannot save to {shown(out)}: it is a folder; give a file name such as more.safetensors")
    if not out.parent.is_dir():
        raise UsageError(f"cannot save to {shown(out)}: the folder {shown(out.parent)} does not exist")
    try:
        if probe:
            with open(temporary(out), "wb"):
                pass
            os.remove(temporary(out))
    except OSError as e:
        raise UsageError(f"cannot save to {shown(out)}: {shown(e.strerror or e)}") from None
    return out
'''

# The spell lesson's data (the other kinds' data parts are in export.py).
SPELL_DATA = r'''
# --------------------------------------------------------------------------------------------------
# The data (one-to-many): a word's first letter at step 0, a blank at every later step; the target
# is the word, one letter per step, then the end mark at every step after it:
#     input   g · · · · · · · · · · ·
#     target  g u i t a r . . . . . .
# The words are in the model file; nothing is held out (the list is the data).
BLANK, END = "·", "."


class SpellData:
    session_changes, task_changes, tensors = {}, {}, {}

    def __init__(self, settings, tensors, data_file):
        words, vocab = settings["task"]["words"], settings["task"]["vocab"]
        length = max(len(w) for w in words) + 1
        self.x = torch.full((len(words), length), vocab.index(BLANK), dtype=torch.long)
        self.x[:, 0] = torch.tensor([vocab.index(w[0]) for w in words])
        self.y = torch.tensor([[vocab.index(ch) for ch in w + END * (length - len(w))] for w in words])

    def sample_batch(self, batch_size, seq_len, gen):
        pick = torch.randint(len(self.x), (batch_size,), generator=gen)
        return self.x[pick], self.y[pick]

    def held_out(self, seq_len):
        return self.x, self.y

    @staticmethod
    def loss(out, y):  # out (B, T, V) letter logits, y (B, T) letters: every step counts
        return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
'''

TRAIN = r'''
# --------------------------------------------------------------------------------------------------
# Training: the app's step (forward, backward, clip, optimizer step), on from where the file stopped.
def forward_backward(model, loss_fn, x, y, tbptt, cast=contextlib.nullcontext):
    """Forward and backward over one batch; returns the loss. With truncated BPTT (tbptt > 0, a
    recurrent model) the gradient flows back at most tbptt steps. `model` may be wrapped in
    DistributedDataParallel (Group.wrap): every pass that makes gradients goes through it. `cast`:
    the forward passes under bf16 autocast (--bf16), the backward passes outside it."""
    net, steps = getattr(model, "module", model), x.shape[1]
    net = getattr(net, "_orig_mod", net)  # compiled (--compile): the model's attributes
    if not (tbptt and net.recurrent and tbptt < steps):
        with cast():
            loss = loss_fn(model(x)[0], y)
        loss.backward()
        return loss.detach()
    if net.many_to_many:  # chunks of tbptt steps: the state is carried on, its history cut
        state, total, starts = None, 0.0, range(0, steps, tbptt)
        for s in starts:  # the processes average the gradients once, after the last chunk
            hold = model.no_sync() if hasattr(model, "no_sync") and s != starts[-1] else contextlib.nullcontext()
            with hold:
                with cast():
                    out, state = model(x[:, s : s + tbptt], state)
                    part = loss_fn(out, y[:, s : s + tbptt]) * (out.shape[1] / steps)
                part.backward()
            state = tuple(v.detach() for v in state) if isinstance(state, tuple) else state.detach()
            total = total + part.detach()
        return total
    with torch.no_grad(), cast():  # one output at the end: the early steps only set the state
        state = net.features(net.encode(x[:, : steps - tbptt]))[1]
    with cast():
        loss = loss_fn(model(x[:, steps - tbptt :], state)[0], y)  # readout(features(encode(x), state))
    loss.backward()
    return loss.detach()


def train_step(model, data, optimizer, params, x, y, t, group=None, cast=contextlib.nullcontext):
    """One optimizer step; the loss, or None when the loss or a gradient is NaN or infinite (the
    weights are then left as they were, as the app refuses such a step). Under torchrun the loss is
    the whole batch's (the mean over the processes) and the gradients are already averaged, so
    every process decides alike."""
    optimizer.zero_grad(set_to_none=True)
    loss = forward_backward(model, data.loss, x, y, t["tbptt"], cast).float()
    loss = group.mean(loss) if group is not None else loss
    grads = [p.grad for p in params if p.grad is not None]
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    if t["clip"] == "norm":  # scale every gradient down together when their total norm is too large
        scale = torch.clamp(t["clip_value"] / (total + 1e-6), max=1.0)
        for g in grads:
            g.mul_(scale)
    elif t["clip"] == "value":  # cap each element
        for g in grads:
            g.clamp_(-t["clip_value"], t["clip_value"])
    if not (math.isfinite(float(loss)) and math.isfinite(float(total))):
        optimizer.zero_grad(set_to_none=True)
        return None
    optimizer_step(optimizer)
    return float(loss)


def held_out_loss(model, data, held, device):
    """The loss over the held-out examples, a few at a time (their mean, as over one batch)."""
    x, y = held
    rows = max(1, 2**16 // max(1, x.shape[1]))  # about 65,536 steps per pass
    total = 0.0
    with torch.no_grad():
        for i in range(0, len(x), rows):
            pred = model(x[i : i + rows].to(device))[0]
            total += float(data.loss(pred, y[i : i + rows].to(device))) * len(x[i : i + rows])
    return total / len(x)


def speedups(model, device, args):
    """--compile and --bf16, each refused in one line where this device cannot do it: (the model to
    train, the context its forward passes run in). torch.compile needs a C++ compiler on the CPU and
    triton on a GPU; bf16 autocast a CPU or a GPU with bf16 (CUDA compute capability 8 on)."""
    cast = contextlib.nullcontext
    if args.bf16:
        if device.type == "mps":
            raise UsageError("--bf16: this script runs bf16 autocast on the CPU and on CUDA GPUs only, not on MPS")
        if device.type == "cuda" and not torch.cuda.is_bf16_supported():
            raise UsageError(f"--bf16: the GPU {shown(torch.cuda.get_device_name(device))} has no bf16; train without it")
        cast = lambda: torch.autocast(device.type, dtype=torch.bfloat16)  # noqa: E731
    if args.compile:
        import importlib.util
        import shutil

        if device.type == "mps":
            raise UsageError("--compile: this script compiles for the CPU and CUDA GPUs only, not for MPS")
        if device.type == "cpu" and not any(shutil.which(c) for c in (os.environ.get("CXX", "g++"), "g++", "c++", "clang++")):
            raise UsageError("--compile on the CPU needs a C++ compiler (g++ or clang++) on the PATH")
        if device.type == "cuda" and importlib.util.find_spec("triton") is None:
            raise UsageError("--compile on a GPU needs triton (pip install triton)")
        model = torch.compile(model)
    return model, cast


def cmd_train(args):
    """Train on from the file and save: one process, or under torchrun one of several (Group)."""
    group, t = args.group, {**CONFIG["train"], "batch_size": args.batch_size}
    device, broken = group.start(args.device, t["batch_size"]), False
    try:
        train(args, group, device, t)
    except RuntimeError as e:  # under torchrun: another process stopped (its peer hung up) or failed
        if not group.launched:
            raise
        broken, reason = True, shown((str(e).strip().splitlines() or [type(e).__name__])[0])[:120]
        raise UsageError(f"rank {group.rank}: the run stopped ({reason}); {shown(args.out)} is not written") from None
    finally:
        group.stop(together=not broken)


def train(args, group, device, t):
    meta, settings, tensors = read_model_file(args.weights)
    out = args.out  # checked before any work (main)
    if not group.lead:  # rank 0 prepares the data first (it may encode a corpus), then the others
        group.barrier()
    data = @@DATA_CLASS@@(settings, tensors, @@DATA_ARG@@)
    if group.lead:
        group.barrier()
    net = build_model(settings, tensors, Path(args.weights).name).to(device)
    params = [p for _, p in net.named_parameters()]
    optimizer = make_optimizer(params, t)
    if t["optimizer"] == settings["session"]["train"]["optimizer"]:  # else it starts afresh
        load_optimizer_state(optimizer, params, tensors, settings["optimizer"], Path(args.weights).name)
    gen = torch.Generator()  # the batches: the file's generator goes on where it stopped
    try:
        gen.set_state(tensors["rng/batches"]) if "rng/batches" in tensors else gen.manual_seed(t["seed"])
        if "rng/torch" in tensors:  # dropout masks
            torch.set_rng_state(tensors["rng/torch"])
    except RuntimeError as e:  # of the right size (checked), but not a state the generator takes
        raise UsageError(f"{shown(Path(args.weights).name)} is corrupted: a random state ({shown(e)[:60]})") from None
    if group.rank:  # every process the same batches, but dropout masks of its own
        torch.manual_seed(int(torch.randint(0, 2**62, (1,))) + group.rank)
    model, cast = speedups(group.wrap(net, device), device, args)
    if group.launched:
        plural = "es" if group.world > 1 else ""
        group.say(f"training on {group.world} process{plural} ({dist.get_backend()}, {device.type}): "
                  f"{t['batch_size'] // group.world} of each batch's {t['batch_size']} sequences each")
    history = tensors.get("history/train_loss")
    losses, steps = ([] if history is None else history.tolist()), int(meta["steps"])
    model.train()
    started = time.perf_counter()
    for i in range(1, args.steps + 1):
        x, y = group.mine(*data.sample_batch(t["batch_size"], t["seq_len"], gen))  # the same on each rank
        try:
            loss = train_step(model, data, optimizer, params, x.to(device), y.to(device), t, group, cast)
        except Exception as e:  # --compile: the compiler's own failure, met on the first step
            if not (args.compile and i == 1) or isinstance(e, UsageError):
                raise
            reason = shown((str(e).strip().splitlines() or [type(e).__name__])[0])[:120]
            raise UsageError(f"--compile failed on this machine ({type(e).__name__}: {reason}); train without it") from None
        if loss is None:
            group.say(f"step {steps + 1} refused: the loss or a gradient is NaN or infinite", file=sys.stderr)
            continue
        steps += 1
        losses.append(loss)
        if i % max(1, args.steps // 10) == 0 or i == args.steps:
            group.say(f"step {steps}: loss {loss:.4f}")
    took = time.perf_counter() - started
    group.say(f"{args.steps} steps in {took:.1f} s: {args.steps / took:.2f} steps/s")
    if not all(bool(torch.isfinite(p).all()) for p in params):  # a file never gets worse
        raise UsageError(f"training made the weights NaN or infinite: {shown(out)} is not written "
                         "(a lower CONFIG['train']['lr'] may help)")
    if not group.lead:  # the same weights as rank 0's: one file, written by rank 0
        return
    run = dict(meta=meta, settings=settings, tensors=tensors, data=data, model=net, optimizer=optimizer, train=t)
    save_model_file(out, {**run, "losses": losses, "steps": steps, "gen": gen, "device": device})
    print(f"saved {shown(out)}", flush=True)  # saved first: nothing after it can lose the run
    held = data.held_out(t["seq_len"])
    if held is not None:
        print(f"held-out loss {held_out_loss(net.eval(), data, held, device):.4f}")
'''

# -- using the model, one part per kind -----------------------------------------------------------
SAMPLE = r'''
# --------------------------------------------------------------------------------------------------
# Sampling: feed the prompt, then each character the model picks, one at a time.
def choose(logits, temperature, top_k, gen):
    """The next token: the likeliest (temperature 0) or a draw from the softmax of logits / T."""
    if not bool(torch.isfinite(logits).all()):
        raise UsageError("the model's predictions are NaN or infinite: its weights have blown up")
    if temperature <= 0:
        return int(logits.argmax())
    logits = logits.float() / temperature
    if 0 < top_k < logits.numel():  # only the k likeliest
        kth = torch.topk(logits, top_k).values[-1]
        logits = torch.where(logits < kth, torch.full_like(logits, -float("inf")), logits)
    return int(torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=gen))


class Stepper:
    """A growing context, one token at a time. A recurrent model carries its hidden state (the whole
    past in one vector); the others re-read their context at every step: the Transformer up to
    MAX_LEN tokens, the feed-forward network its window. A recurrent model with attention re-reads
    too: its attention looks back over every state so far."""

    def __init__(self, model, ids):
        self.model, self.context, self.state = model, [], None
        self.carries = model.recurrent and not model.attends
        self.feed(list(ids))

    def feed(self, tokens):
        """Read `tokens`; self.logits are then the model's scores for the token after them."""
        self.context += tokens
        if self.carries:
            out, self.state = self.model(torch.tensor([tokens]), self.state)
        else:
            limit = self.model.cfg["window"] if self.model.cfg["arch"] == "mlp" else MAX_LEN
            out = self.model(torch.tensor([self.context[-limit:]]))[0]
        self.logits = out[0, -1]


def sample(model, chars, prompt, length, temperature=0.0, top_k=0, seed=0, stop=()):
    """`length` characters after `prompt` (an empty one starts a fresh line); a seed repeats a draw."""
    start = "\n" if "\n" in chars.stoi else chars.vocab[0]
    ids = chars.encode(prompt, "prompt") if prompt else chars.encode(start)
    gen, out = torch.Generator().manual_seed(seed), []
    with torch.no_grad():
        stepper = Stepper(model, ids.tolist())
        for _ in range(max(0, length)):
            token = choose(stepper.logits, temperature, top_k, gen)
            if chars.vocab[token] in stop:
                break
            out.append(chars.vocab[token])
            stepper.feed([token])
    return "".join(out)


def cmd_sample(args):
    model, settings, _ = load_model(args.weights)
    temperature = 0.0 if args.greedy else args.temperature
    chars = Chars(settings["task"]["vocab"])
    text = sample(model, chars, args.prompt, args.length, temperature, args.top_k, args.seed)
    print(args.prompt + text)


def add_sample(sub):
    p = command(sub, "sample", "continue a prompt", cmd_sample)
    p.add_argument("--prompt", default="", help="the text to continue")
    p.add_argument("--length", type=int, default=200, help="characters to write (default: 200)")
    p.add_argument("--greedy", action="store_true", help="always the likeliest character")
    p.add_argument("--temperature", type=float, default=1.0, help="below 1 safer, above 1 wilder")
    p.add_argument("--top-k", type=int, default=0, help="draw from the k likeliest only; 0: all")
    p.add_argument("--seed", type=int, default=0, help="the same seed draws the same text")
'''

REPLY = r'''

def cmd_reply(args):
    """The next turn of the dialog: greedy, up to the end of the turn (120 characters at most)."""
    model, settings, _ = load_model(args.weights)
    if not args.turn.strip():
        raise UsageError("say something first, for example: Knock, knock!")
    prompt = encode_turns([*args.history, args.turn.strip()], open_next=True)
    print(sample(model, Chars(settings["task"]["vocab"]), prompt, 120, stop=(END_OF_TURN, *MARKERS)).strip())


def add_reply(sub):
    p = command(sub, "reply", "answer a turn of a dialog", cmd_reply)
    p.add_argument("--turn", required=True, help='what you say, e.g. "Knock, knock!"')
    p.add_argument("--history", nargs="*", default=[], help="the earlier turns, in order")
'''

FORECAST = r'''
# --------------------------------------------------------------------------------------------------
# Forecasting: the next values after the series the model file carries.
def cmd_forecast(args):
    model, settings, tensors = load_model(args.weights)
    task = settings["task"]
    values, scales = tensors["data/series"].double().numpy(), task.get("inputs") or []
    inputs = tensors["data/inputs"].double().numpy() if scales else None  # held at their last values
    horizon = max(1, args.horizon)
    for v in forecast(model, values, task["window"], task["normalizer"]["scale"], horizon, inputs, scales):
        print(repr(v))


def add_forecast(sub):
    p = command(sub, "forecast", "forecast the next values of the series", cmd_forecast)
    p.add_argument("--horizon", type=int, default=10, help="steps ahead (default: 10)")
'''

CLASSIFY = r'''
# --------------------------------------------------------------------------------------------------
# Classifying: one sequence in, every class with its probability out, likeliest first.
def encode_sequence(task, text):
    """Token ids of a typed sequence, left-padded to the training length where the data pads."""
    tokens, stoi, pad = tokenize(text), {tok: i for i, tok in enumerate(task["vocab"])}, task.get("pad")
    unknown = ", ".join(repr(t) for t in sorted({t for t in tokens if t not in stoi or t == pad})[:8])
    if not tokens or unknown:
        what = f"has tokens the model does not know: {unknown}" if unknown else "is empty"
        raise UsageError(f"the sequence {what}; {HINT}")
    ids = [stoi[t] for t in tokens]
    return [stoi[pad]] * (task["max_words"] - len(ids)) + ids if pad is not None else ids


def cmd_classify(args):
    model, settings, _ = load_model(args.weights)
    task = settings["task"]
    with torch.no_grad():
        probs = torch.softmax(model(torch.tensor([encode_sequence(task, args.text)]))[0][0].float(), dim=-1)
    for i in torch.argsort(probs, descending=True).tolist():
        print(f"{task['classes'][i]}\t{float(probs[i]):.6f}")


def add_classify(sub):
    p = command(sub, "classify", "the answer to a sequence, with every class's probability", cmd_classify)
    p.add_argument("--text", required=True, help=f"the sequence: {HINT}")
'''

WRITE = r'''
# --------------------------------------------------------------------------------------------------
# Writing: one letter in, the word out: the likeliest letter at every step, up to the end mark.
def cmd_write(args):
    model, settings, _ = load_model(args.weights)
    words, vocab = settings["task"]["words"], settings["task"]["vocab"]
    letters = [ch.lower() for ch in args.letter if not ch.isspace() and ch != BLANK]
    if len(letters) != 1 or letters[0] not in [w[0] for w in words]:
        raise UsageError(f"give one of the letters {', '.join(w[0] for w in words)}, not {args.letter!r}")
    x = torch.tensor([[vocab.index(letters[0])] + [vocab.index(BLANK)] * max(len(w) for w in words)])
    with torch.no_grad():
        best_p, best = torch.softmax(model(x)[0][0].float(), dim=-1).max(dim=-1)
    steps = []
    for i, p in zip(best.tolist(), best_p.tolist()):
        steps.append((vocab[i], p))
        if vocab[i] == END:
            break
    print("".join(ch for ch, _ in steps if ch not in (END, BLANK)))  # the word, then every step
    for ch, p in steps:
        print(f"  {ch}\t{p:.6f}")


def add_write(sub):
    p = command(sub, "write", "the word the model writes from its first letter", cmd_write)
    p.add_argument("--letter", required=True, help="a word's first letter")
'''

MAIN = r'''
# --------------------------------------------------------------------------------------------------
# The command line.
MAX_LENGTH, MAX_HORIZON, MAX_STEPS = 10_000, 10_000, 10_000_000  # sample, forecast, train
MAX_SEED = 2**64 - 1  # torch's seeds: 0 to 2**64 - 1
MAX_BATCH = @@MAX_BATCH@@  # the app's largest batch


class Parser(argparse.ArgumentParser):
    """argparse with its mistakes in one line (`--help` shows the usage)."""

    def error(self, message):
        print(f"{self.prog}: error: {shown(message)}", file=sys.stderr)
        sys.exit(2)


def command(sub, name, help, func):
    p = sub.add_parser(name, help=help)
    p.add_argument("--weights", help="a model file (default: the exported one, CONFIG['weights'] from here)")
    p.set_defaults(func=func)
    return p


def pick_device(name):
    """--device as a torch device that this machine has: auto (CUDA if there is one, else CPU), cpu,
    cuda, cuda:N or mps."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise UsageError(f"--device {shown(name)!r} is not a device: use auto, cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UsageError(f"--device {shown(name)}: this torch sees no CUDA GPU here; use --device cpu or auto")
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        raise UsageError(f"--device {shown(name)}: there are {torch.cuda.device_count()} CUDA GPUs (cuda:0 on)")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise UsageError(f"--device {shown(name)}: this torch has no MPS (Apple GPU) here; use --device cpu")
    if device.type not in ("cpu", "cuda", "mps"):
        raise UsageError(f"--device {shown(name)!r}: this script trains on auto, cpu, cuda, cuda:N or mps")
    return device


def check_args(args):
    """The command line's numbers and places, judged before any work: a one-line UsageError."""
    for name, lo, hi in (("length", 0, MAX_LENGTH), ("horizon", 1, MAX_HORIZON), ("steps", 1, MAX_STEPS),
                         ("top_k", 0, MAX_VOCAB), ("seed", 0, MAX_SEED)):
        value = getattr(args, name, None)
        if value is not None and not lo <= value <= hi:
            raise UsageError(f"--{name.replace('_', '-')} is {value}: give a whole number from {lo:,} to {hi:,}")
    temperature = getattr(args, "temperature", None)
    if temperature is not None and not (math.isfinite(temperature) and temperature >= 0):
        raise UsageError(f"--temperature is {temperature}: give a number from 0 (always the likeliest) up")
    if getattr(args, "device", None) is not None:
        args.device = pick_device(args.device)
    if getattr(args, "out", None) is not None:
        args.out = checked_out(args.out, probe=args.group.lead)
    if getattr(args, "batch_size", None) is not None and not 1 <= args.batch_size <= MAX_BATCH:
        raise UsageError(f"--batch-size is {args.batch_size}: give a whole number from 1 to {MAX_BATCH:,}")
    if getattr(args, "batch_size", 0) is None:
        args.batch_size = CONFIG["train"]["batch_size"]
    if args.weights is None:
        args.weights = default_weights()


def main(argv=None):
    for stream in (sys.stdout, sys.stderr):  # a name or character the terminal cannot show is escaped
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
@@ADD_COMMANDS@@
    p = command(sub, "train", "train on from a model file and save a new one", cmd_train)
    p.add_argument("--steps", type=int, default=100, help="optimizer steps (default: 100)")
    p.add_argument("--batch-size", type=int, help="sequences per step, over all processes under torchrun "
                   "(default: CONFIG['train']['batch_size'])")
    p.add_argument("--out", required=True, help="the model file to write (.safetensors)")@@DATA_OPTION@@
    p.add_argument("--device", default="auto", help="auto (CUDA if there is one, else CPU), cpu, cuda, ...")
    p.add_argument("--bf16", action="store_true", help="forward passes in bfloat16 (autocast): CPU or a bf16 GPU")
    p.add_argument("--compile", action="store_true", help="torch.compile the model first (a minute or more)")
    args = parser.parse_args(argv)
    try:
        args.group = Group.from_environment()  # one process, or one of torchrun's
        check_args(args)
        args.func(args)
    except UsageError as e:
        print(f"{parser.prog}: error: {shown(e)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''
