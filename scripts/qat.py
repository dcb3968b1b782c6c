#!/usr/bin/python3
"""Quantization-aware distillation of a llama2.c checkpoint into the tinyllm image's weight format.

    scripts/qat.py CHECKPOINT.bin -o OUT.tqc [options]      then
    mcucim-pack OUT.tqc TOKENIZER.bin -o IMAGE.tllm

The student is the same network as the runtime's (runtime/src/tllm_forward.c) with every weight
matrix fake-quantized in the exact format of the image (runtime/MODEL_FORMAT.md): per row, groups of
G elements, q in [-qmax, qmax] (sym), the full two's complement range with a scale only (full) or
with a scale and an offset (affine), dequantized as float32 q*scale (+ offset), and every
matrix-vector input quantized to INT8 per group of the same G as tllm_quantize_act() does
(q = x * (127/max|x|) rounded half away from zero, scale max|x|/127). Straight-through
estimators carry the gradients through both roundings; the latent weights, the step sizes (scales,
offsets; LSQ) and the RMSNorm weights are learned by distillation from the fp32 model: the KL
divergence of the student's logits from the teacher's, on sequences sampled from the fp32 model
itself (seeded; no outside data). The output checkpoint (.tqc, format in
workloads/tinyllm/QUANTIZATION.md) holds the integer levels, scales and offsets as trained;
mcucim-pack stores them unchanged. Fixed seed and thread count give the same bytes.

Exit codes: 0 ok, 2 bad input (file, option).
"""
import argparse
import math
import os
import struct
import sys
import time

# Idle OpenMP threads sleep instead of spinning: on a shared 2-core machine spinning threads make a
# step several times slower (measured 10x for the scale search). Does not change any result.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover
    sys.stderr.write("qat.py: error: %s (needs Debian's python3-torch and python3-numpy: "
                     "scripts/install-deps.sh; run with /usr/bin/python3)\n" % e)
    sys.exit(2)

TQC_MAGIC = 0x43515454  # bytes "TTQC"
TQC_VERSION = 1
PREC_CODE = {"fp32": 0, "int8": 1, "int4": 2, "int2": 3}  # runtime/include/tinyllm/format.h
PREC_BITS = {"int8": 8, "int4": 4, "int2": 2}
QMAX = {"int8": 127, "int4": 7, "int2": 1}
KIND = {"tok_embedding": 0, "rms_att": 1, "wq": 2, "wk": 3, "wv": 4, "wo": 5, "rms_ffn": 6,
        "w1": 7, "w2": 8, "w3": 9, "rms_final": 10}
MATRICES = ("wq", "wk", "wv", "wo", "w1", "w2", "w3")
BOS = 1


class InputError(Exception):
    pass


# ---- checkpoint --------------------------------------------------------------------------------
def load_llama2c(path):
    """llama2.c legacy fp32 checkpoint (shared classifier only): dims and float32 arrays."""
    try:
        raw = open(path, "rb").read()
    except OSError as e:
        raise InputError("%s: cannot open (%s)" % (path, e.strerror))
    if len(raw) < 28:
        raise InputError("%s: %d bytes, too short for the 28-byte llama2.c header" % (path, len(raw)))
    h = struct.unpack("<7i", raw[:28])
    names = ("dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len")
    for i, (n, v) in enumerate(zip(names, h)):
        if i != 5 and not 0 < v <= (1 << 20):
            raise InputError("%s: header field %s = %d, expected 1..%d (not a llama2.c checkpoint?)"
                             % (path, n, v, 1 << 20))
    dim, hid, L, nh, nkv, vocab, seq = h
    if vocab <= 0:
        raise InputError("%s: vocab_size %d: a separate classifier (negative vocab_size) is not "
                         "supported by qat.py (stories260K shares it with the embedding)" % (path, vocab))
    if dim % nh or nh % nkv:
        raise InputError("%s: dim %d, n_heads %d, n_kv_heads %d: dim must be a multiple of n_heads and "
                         "n_heads of n_kv_heads" % (path, dim, nh, nkv))
    hs = dim // nh
    kv = hs * nkv
    shapes = [("tok_embedding", (vocab, dim)), ("rms_att", (L, dim)), ("wq", (L, dim, dim)),
              ("wk", (L, kv, dim)), ("wv", (L, kv, dim)), ("wo", (L, dim, dim)), ("rms_ffn", (L, dim)),
              ("w1", (L, hid, dim)), ("w2", (L, dim, hid)), ("w3", (L, hid, dim)), ("rms_final", (dim,)),
              ("freq_cis", (seq * hs,))]
    need = 28 + 4 * sum(int(np.prod(s)) for _, s in shapes)
    if len(raw) != need:
        raise InputError("%s: %d bytes, but a checkpoint with dim %d, hidden %d, %d layers, vocab %d, "
                         "seq_len %d has %d%s" % (path, len(raw), dim, hid, L, vocab, seq, need,
                                                  " (truncated)" if len(raw) < need else
                                                  " (trailing data: inconsistent header)"))
    a = np.frombuffer(raw, dtype="<f4", offset=28)
    out, off = {}, 0
    for n, s in shapes:
        k = int(np.prod(s))
        out[n] = a[off:off + k].reshape(s).astype(np.float32)
        off += k
    del out["freq_cis"]
    if not all(np.isfinite(v).all() for v in out.values()):
        raise InputError("%s: non-finite weights" % path)
    cfg = dict(dim=dim, hidden_dim=hid, n_layers=L, n_heads=nh, n_kv_heads=nkv, vocab_size=vocab,
               seq_len=seq, head_size=hs, kv_dim=kv)
    return cfg, out


# ---- precision specs ---------------------------------------------------------------------------
class QSpec:
    def __init__(self, text):
        parts = text.split(":")
        p = parts[0]
        if p not in PREC_CODE:
            raise InputError("precision '%s': the runtime has fp32, int8, int4 and int2 "
                             "(optionally :GROUP[:sym|:full|:affine])" % text)
        self.prec, self.group, self.affine, self.full = p, 32, False, False
        for x in parts[1:]:
            if x == "affine":
                self.affine, self.full = True, False
            elif x == "sym":
                self.affine, self.full = False, False
            elif x == "full":
                self.affine, self.full = False, True
            elif x.isdigit() and 1 <= int(x) <= 65536:
                self.group = int(x)
            else:
                raise InputError("precision '%s': '%s' is neither a group size 1..65536 nor sym/full/affine"
                                 % (text, x))
        if p == "fp32":
            self.group, self.affine, self.full = 0, False, False

    @property
    def quantized(self):
        return self.prec != "fp32"

    def levels(self):
        b = PREC_BITS[self.prec]
        if self.affine or self.full:
            return -(1 << (b - 1)), (1 << (b - 1)) - 1
        return -QMAX[self.prec], QMAX[self.prec]

    def __str__(self):
        if not self.quantized:
            return "fp32"
        return "%s:%d:%s" % (self.prec, self.group, "affine" if self.affine else "full" if self.full else "sym")


def ngroups(cols, group):
    return (cols + group - 1) // group


def tensor_bytes(rows, cols, q):
    """Bytes the image stores for a tensor (MODEL_FORMAT.md): padded rows + fp32 scales (+offsets)."""
    if not q.quantized:
        return rows * cols * 4
    row_bytes = (cols + 15) // 16 * 16 * PREC_BITS[q.prec] // 8
    return rows * row_bytes + rows * ngroups(cols, q.group) * 4 * (2 if q.affine else 1)


# ---- the exact roundings of the runtime ------------------------------------------------------------
def round_half_away(v):
    """Nearest integer, ties away from zero, as tllm_round_i32() (tllm_math.h) computes it: trunc + exact
    fraction (float32), no floor(v + 0.5), which rounds 0.49999997 up."""
    t = torch.trunc(v)
    f = v - t
    return t + (f >= 0.5).to(v.dtype) - (f <= -0.5).to(v.dtype)


def ste(v, r):
    """r in the forward pass, gradient of v."""
    return v + (r - v).detach()


@torch.no_grad()
def act_levels(x, group):
    """tllm_quantize_act() (runtime/src/tllm_kernels.c): per group of `group` elements along the last
    axis, amax = max|x|; q = round_half_away(x * (127/amax)) with 127/amax one float32 division and the
    product rounded to float32; the scale is amax/127. A group with amax < 2^-121 (127/amax would
    overflow) gets q = 0. Returns q (..., ngroups, group; zero beyond the last element) and the scales
    (..., ngroups, 1), float32."""
    n = x.shape[-1]
    ng = ngroups(n, group)
    pad = ng * group - n
    xp = F.pad(x, (0, pad)) if pad else x
    xg = xp.reshape(*x.shape[:-1], ng, group)
    amax = xg.abs().amax(dim=-1, keepdim=True)
    ok = amax >= 2.0 ** -121
    inv = torch.full_like(amax, 127.0) / torch.where(ok, amax, torch.ones_like(amax))
    q = torch.where(ok, round_half_away(xg * inv), torch.zeros_like(xg))
    return q, amax / 127.0


def act_quant(x, group):
    """The matvec input as the integer kernels see it, q*scale, with a straight-through gradient."""
    q, s = act_levels(x, group)
    n = x.shape[-1]
    xq = (q * s).reshape(*x.shape[:-1], -1)[..., :n]
    return ste(x, xq)


class QMatrix(torch.nn.Module):
    """A weight matrix in the image's format: latent float weights W, per-(row, group) scale (and
    offset when affine). forward() returns the dequantized float32 matrix q*s (+o) exactly as the
    runtime computes it (tllm_dequant_row), with LSQ-style gradients for W, s and o."""

    def __init__(self, w, spec):
        super().__init__()
        self.spec = spec
        self.rows, self.cols = w.shape
        self.w = torch.nn.Parameter(torch.tensor(w))
        if spec.quantized:
            s, o = init_scales(self.w.data, spec)
            self.s = torch.nn.Parameter(s)
            self.register_buffer("sign", torch.where(s < 0, -1.0, 1.0), persistent=False)
            self.o = torch.nn.Parameter(o) if spec.affine else None

    def grouped(self, w):
        G, ng = self.spec.group, ngroups(self.cols, self.spec.group)
        pad = ng * G - self.cols
        return (F.pad(w, (0, pad)) if pad else w).reshape(self.rows, ng, G)

    def levels(self, train):
        """q (rows, ng, G) as float, and its straight-through version."""
        lo, hi = self.spec.levels()
        wg = self.grouped(self.w)
        s = self.s.unsqueeze(-1)
        v = (wg - self.o.unsqueeze(-1)) / s if self.spec.affine else wg / s
        q = torch.clamp(round_half_away(v.detach()), lo, hi)
        if not train:
            return q
        return torch.clamp(ste(v, round_half_away(v.detach())), lo, hi)

    def forward(self, train=True):
        if not self.spec.quantized:
            return self.w
        q = self.levels(train)
        wq = q * self.s.unsqueeze(-1)
        if self.spec.affine:
            wq = wq + self.o.unsqueeze(-1)
        return wq.reshape(self.rows, -1)[:, :self.cols]

    def export(self):
        """(q int8 array rows x cols, scales, offsets or None) as float32/int8 numpy arrays."""
        with torch.no_grad():
            q = self.levels(False).reshape(self.rows, -1)[:, :self.cols]
            return (q.to(torch.int8).numpy(), self.s.detach().numpy().astype(np.float32),
                    self.o.detach().numpy().astype(np.float32) if self.spec.affine else None)


def init_scales(w, spec, steps=12, frac=0.04, als=6):
    """Per (row, group): the scale (and offset) minimising the squared error, as the packer's :mse
    does: a grid over shrunk range ends (both ends when affine, the magnitude when symmetric), then
    alternating least squares (fixed q -> optimal s, o -> requantize) while the error drops."""
    rows, cols = w.shape
    G, ng = spec.group, ngroups(cols, spec.group)
    lo_q, hi_q = spec.levels()
    pad = ng * G - cols
    wg = F.pad(w, (0, pad)).reshape(rows, ng, G).double()
    mask = F.pad(torch.ones(rows, cols, dtype=torch.float64), (0, pad)).reshape(rows, ng, G)
    big = torch.finfo(torch.float64).max
    mn = torch.where(mask > 0, wg, torch.full_like(wg, big)).amin(-1)
    mx = torch.where(mask > 0, wg, torch.full_like(wg, -big)).amax(-1)

    def err(s, o):
        s = torch.where(s.abs() > 0, s, torch.full_like(s, 1e-12))
        q = torch.clamp(torch.round((wg - o.unsqueeze(-1)) / s.unsqueeze(-1)), lo_q, hi_q)
        return (((q * s.unsqueeze(-1) + o.unsqueeze(-1)) - wg) ** 2 * mask).sum(-1), q

    best_e = torch.full((rows, ng), float("inf"), dtype=torch.float64)
    best_s = torch.zeros(rows, ng, dtype=torch.float64)
    best_o = torch.zeros(rows, ng, dtype=torch.float64)

    def consider(s, o):
        e, _ = err(s, o)
        better = e < best_e
        best_e.copy_(torch.where(better, e, best_e))
        best_s.copy_(torch.where(better, s, best_s))
        best_o.copy_(torch.where(better, o, best_o))

    if spec.affine:
        r = mx - mn
        for a in range(steps + 1):
            for b in range(steps + 1 - a):
                lo, hi = mn + r * frac * a, mx - r * frac * b
                s = (hi - lo) / (hi_q - lo_q)
                consider(s, lo - s * lo_q)
    elif spec.full:  # scale only, levels lo_q..hi_q: either sign (a negative scale puts lo_q on the positive side)
        amax = torch.maximum(mn.abs(), mx.abs())
        for a in range(46):
            for sign in (1.0, -1.0):
                consider(sign * amax * (1 - 0.02 * a) / hi_q, torch.zeros_like(amax))
    else:
        amax = torch.maximum(mn.abs(), mx.abs())
        for a in range(46):  # magnitude 1.0 .. 0.1 x max|w|
            consider(amax * (1 - 0.02 * a) / hi_q, torch.zeros_like(amax))
    for _ in range(als):
        _, q = err(best_s, best_o)
        q = q * mask
        sh, sq, sqq = mask.sum(-1), q.sum(-1), (q * q).sum(-1)
        sv, sqv = (wg * mask).sum(-1), (q * wg).sum(-1)
        if spec.affine:
            det = sh * sqq - sq * sq
            ok = det.abs() > 1e-30
            det = torch.where(ok, det, torch.ones_like(det))
            ns = torch.where(ok, (sh * sqv - sq * sv) / det, best_s)
            no = torch.where(ok, (sqq * sv - sq * sqv) / det, best_o)
        else:
            ns = torch.where(sqq > 0, sqv / torch.where(sqq > 0, sqq, torch.ones_like(sqq)), best_s)
            no = best_o
        ns = torch.where(ns * best_s > 0, ns, best_s)  # keeps the sign
        consider(ns, no)
    return best_s.float(), best_o.float()


# ---- the network -------------------------------------------------------------------------------
class Net(torch.nn.Module):
    """llama2.c's Llama (tllm_forward.c) over whole sequences, teacher-forced: RMSNorm, RoPE, GQA
    causal attention in float32, SwiGLU, shared embedding/classifier. quant=True fake-quantizes the
    weights and the matrix inputs as the runtime does."""

    def __init__(self, cfg, wts, plan, quant):
        super().__init__()
        self.cfg, self.quant = cfg, quant
        fp = QSpec("fp32")
        L = cfg["n_layers"]
        self.emb = QMatrix(wts["tok_embedding"], plan("tok_embedding") if quant else fp)
        self.mats = torch.nn.ModuleDict({
            n: torch.nn.ModuleList([QMatrix(wts[n][l], plan(n) if quant else fp) for l in range(L)])
            for n in MATRICES})
        self.rms_att = torch.nn.Parameter(torch.tensor(wts["rms_att"]))
        self.rms_ffn = torch.nn.Parameter(torch.tensor(wts["rms_ffn"]))
        self.rms_final = torch.nn.Parameter(torch.tensor(wts["rms_final"]))
        hs = cfg["head_size"]
        i = np.arange(0, hs, 2, dtype=np.float64)
        freq = 1.0 / np.exp((i / hs) * math.log(10000.0))
        ang = np.arange(cfg["seq_len"], dtype=np.float64)[:, None] * freq[None, :]
        self.register_buffer("cos", torch.tensor(np.cos(ang), dtype=torch.float32), persistent=False)
        self.register_buffer("sin", torch.tensor(np.sin(ang), dtype=torch.float32), persistent=False)

    def matrices(self):
        yield "tok_embedding", 0, self.emb
        for n in MATRICES:
            for l, m in enumerate(self.mats[n]):
                yield n, l, m

    def mv(self, x, m, w):
        """x @ w.T with the runtime's INT8 input quantization (group of the weight's spec)."""
        if self.quant and m.spec.quantized:
            x = act_quant(x, m.spec.group)
        return x @ w.t()

    @staticmethod
    def rmsnorm(x, w):
        return w * (x * torch.rsqrt((x * x).mean(-1, keepdim=True) + 1e-5))

    def rope(self, x, T):
        # x (B, T, H, hs): pairs (2i, 2i+1) rotated by pos * freq_i
        xr = x.reshape(*x.shape[:-1], -1, 2)
        c = self.cos[:T].reshape(1, T, 1, -1)
        s = self.sin[:T].reshape(1, T, 1, -1)
        a, b = xr[..., 0], xr[..., 1]
        return torch.stack((a * c - b * s, a * s + b * c), dim=-1).reshape(x.shape)

    def forward(self, tokens, train=True):
        cfg = self.cfg
        B, T = tokens.shape
        nh, nkv, hs = cfg["n_heads"], cfg["n_kv_heads"], cfg["head_size"]
        emb = self.emb(train)
        x = emb[tokens]
        mask = torch.full((T, T), float("-inf")).triu(1)
        for l in range(cfg["n_layers"]):
            M = {n: self.mats[n][l] for n in MATRICES}
            W = {n: M[n](train) for n in MATRICES}
            xb = self.rmsnorm(x, self.rms_att[l])
            q = self.mv(xb, M["wq"], W["wq"]).reshape(B, T, nh, hs)
            k = self.mv(xb, M["wk"], W["wk"]).reshape(B, T, nkv, hs)
            v = self.mv(xb, M["wv"], W["wv"]).reshape(B, T, nkv, hs)
            q, k = self.rope(q, T), self.rope(k, T)
            # (B, heads, T, hs); head h uses kv head h // (nh / nkv). Plain batched matmuls: 1.6x faster
            # than grouped einsums on the CPU (the same values).
            qh = q.permute(0, 2, 1, 3) * (1.0 / math.sqrt(hs))
            kh = k.permute(0, 2, 1, 3).repeat_interleave(nh // nkv, 1)
            vh = v.permute(0, 2, 1, 3).repeat_interleave(nh // nkv, 1)
            att = (torch.matmul(qh, kh.transpose(-1, -2)) + mask).softmax(-1)
            o = torch.matmul(att, vh).permute(0, 2, 1, 3).reshape(B, T, nh * hs)
            x = x + self.mv(o, M["wo"], W["wo"])
            xb = self.rmsnorm(x, self.rms_ffn[l])
            h = F.silu(self.mv(xb, M["w1"], W["w1"])) * self.mv(xb, M["w3"], W["w3"])
            x = x + self.mv(h, M["w2"], W["w2"])
        x = self.rmsnorm(x, self.rms_final)
        return self.mv(x, self.emb, emb)

    @torch.no_grad()
    def sample(self, n, length, temperature, gen, batch=256):
        """n sequences of `length` tokens sampled from this (fp32) network from BOS, with a KV cache,
        and the network's logits at every position (float16: the distillation targets). A sampled
        BOS starts a new story in the same sequence (as in llama2.c's training data)."""
        seqs, logits = [], []
        for b0 in range(0, n, batch):
            s, lg = self._sample_batch(min(batch, n - b0), length, temperature, gen)
            seqs.append(s)
            logits.append(lg)
        return torch.cat(seqs), torch.cat(logits)

    def _sample_batch(self, B, length, temperature, gen):
        cfg = self.cfg
        nh, nkv, hs, L = cfg["n_heads"], cfg["n_kv_heads"], cfg["head_size"], cfg["n_layers"]
        kc = torch.zeros(L, B, length, nkv, hs)
        vc = torch.zeros(L, B, length, nkv, hs)
        tok = torch.full((B,), BOS, dtype=torch.long)
        seq = torch.empty(B, length, dtype=torch.long)
        lgs = torch.empty(B, length, cfg["vocab_size"], dtype=torch.float16)
        emb = self.emb(False)
        Ws = {n: [m(False) for m in self.mats[n]] for n in MATRICES}
        rep = nh // nkv
        for pos in range(length):
            x = emb[tok]
            c, s = self.cos[pos].reshape(1, 1, -1), self.sin[pos].reshape(1, 1, -1)

            def rot(t):
                tr = t.reshape(B, -1, hs // 2, 2)
                a, b = tr[..., 0], tr[..., 1]
                return torch.stack((a * c - b * s, a * s + b * c), -1).reshape(B, -1, hs)

            for l in range(L):
                xb = self.rmsnorm(x, self.rms_att[l])
                q = rot(xb @ Ws["wq"][l].t())
                kc[l, :, pos] = rot(xb @ Ws["wk"][l].t())
                vc[l, :, pos] = (xb @ Ws["wv"][l].t()).reshape(B, nkv, hs)
                k, v = kc[l, :, :pos + 1], vc[l, :, :pos + 1]  # (B, S, nkv, hs); head h uses kv head h // rep
                qg = q.reshape(B, nkv, rep, hs) * (1.0 / math.sqrt(hs))
                att = torch.einsum("bgrd,bsgd->bgrs", qg, k).softmax(-1)
                o = torch.einsum("bgrs,bsgd->bgrd", att, v).reshape(B, nh * hs)
                x = x + o @ Ws["wo"][l].t()
                xb = self.rmsnorm(x, self.rms_ffn[l])
                x = x + (F.silu(xb @ Ws["w1"][l].t()) * (xb @ Ws["w3"][l].t())) @ Ws["w2"][l].t()
            logits = self.rmsnorm(x, self.rms_final) @ emb.t()
            lgs[:, pos] = logits.half()
            if temperature <= 0:
                tok = logits.argmax(-1)
            else:
                tok = torch.multinomial((logits / temperature).softmax(-1), 1, generator=gen).squeeze(1)
            seq[:, pos] = tok
        return seq, lgs


# ---- output checkpoint (.tqc) -------------------------------------------------------------------
def write_tqc(path, cfg, net):
    """Format: workloads/tinyllm/QUANTIZATION.md, section "QAT checkpoint"."""
    recs = []

    def fp32(kind, layer, arr):
        arr = np.ascontiguousarray(arr, dtype="<f4").reshape(1, -1)
        recs.append(struct.pack("<8I", KIND[kind], layer, 1, arr.shape[1], PREC_CODE["fp32"], 0, 0, 0)
                    + arr.tobytes())

    def mat(kind, layer, m):
        sp = m.spec
        if not sp.quantized:
            a = np.ascontiguousarray(m.w.detach().numpy(), dtype="<f4")
            recs.append(struct.pack("<8I", KIND[kind], layer, m.rows, m.cols, 0, 0, 0, 0) + a.tobytes())
            return
        q, s, o = m.export()
        b = struct.pack("<8I", KIND[kind], layer, m.rows, m.cols, PREC_CODE[sp.prec], sp.group,
                        1 if sp.affine else 2 if sp.full else 0, 0)
        b += np.ascontiguousarray(q, dtype=np.int8).tobytes()
        b += b"\0" * (-len(b) % 4)
        b += np.ascontiguousarray(s, dtype="<f4").tobytes()
        if o is not None:
            b += np.ascontiguousarray(o, dtype="<f4").tobytes()
        recs.append(b)

    with torch.no_grad():
        mat("tok_embedding", 0, net.emb)
        for l in range(cfg["n_layers"]):
            fp32("rms_att", l, net.rms_att[l].numpy())
            for n in ("wq", "wk", "wv", "wo"):
                mat(n, l, net.mats[n][l])
            fp32("rms_ffn", l, net.rms_ffn[l].numpy())
            for n in ("w1", "w2", "w3"):
                mat(n, l, net.mats[n][l])
        fp32("rms_final", 0, net.rms_final.numpy())
    hdr = struct.pack("<12I", TQC_MAGIC, TQC_VERSION, cfg["dim"], cfg["hidden_dim"], cfg["n_layers"],
                      cfg["n_heads"], cfg["n_kv_heads"], cfg["vocab_size"], cfg["seq_len"], 1,
                      len(recs), 0)
    data = hdr + b"".join(recs)
    with open(path, "wb") as f:
        f.write(data)
    return data


# ---- training ----------------------------------------------------------------------------------
def kl_loss(student_logits, teacher_logits, tau):
    t = F.log_softmax(teacher_logits / tau, -1)
    s = F.log_softmax(student_logits / tau, -1)
    return (t.exp() * (t - s)).sum(-1).mean() * tau * tau


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", help="llama2.c fp32 checkpoint (e.g. stories260K.bin)")
    ap.add_argument("-o", "--output", required=True, help="QAT checkpoint to write (.tqc)")
    ap.add_argument("--weights", default="int2:256:sym", help="precision of every weight matrix [int2:256:sym]")
    ap.add_argument("--embedding", default=None, help="precision of the shared embedding/classifier [--weights]")
    ap.add_argument("--tensor", action="append", default=[], metavar="NAME=P",
                    help="per-kind override (wq wk wv wo w1 w2 w3 tok_embedding)")
    ap.add_argument("--seqs", type=int, default=512, help="sequences sampled from the fp32 model [512]")
    ap.add_argument("--seq-len", type=int, default=256, help="tokens per sequence [256]")
    ap.add_argument("--sample-temperature", type=float, default=1.0, help="sampling temperature [1.0]")
    ap.add_argument("--steps", type=int, default=1000, help="optimizer steps [1000]")
    ap.add_argument("--batch", type=int, default=16, help="sequences per step [16]")
    ap.add_argument("--short-len", type=int, default=128,
                    help="curriculum: tokens per sequence in the first --short-frac of the steps [128]")
    ap.add_argument("--short-frac", type=float, default=0.0,
                    help="fraction of the steps on --short-len prefixes (batch x seq-len/short-len of them) [0]")
    ap.add_argument("--lr", type=float, default=2e-3, help="peak learning rate of the latent weights [2e-3]")
    ap.add_argument("--lr-scale", type=float, default=1e-3, help="peak learning rate of scales/offsets [1e-3]")
    ap.add_argument("--lr-norm", type=float, default=1e-3, help="peak learning rate of the RMSNorm weights [1e-3]")
    ap.add_argument("--warmup", type=int, default=50, help="linear warm-up steps [50]")
    ap.add_argument("--tau", type=float, default=1.0, help="KL temperature [1.0]")
    ap.add_argument("--seed", type=int, default=1, help="seed of sampling, batch order and training [1]")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (fixed: part of determinism) [2]")
    ap.add_argument("--eval-seqs", type=int, default=8, help="held-out sampled sequences for the loss [8]")
    ap.add_argument("--eval-every", type=int, default=100, help="report held-out loss every N steps [100]")
    ap.add_argument("--eval-ids", default=None, help="token ids (oracle) to report teacher-forced agreement on")
    ap.add_argument("--log", default=None, help="also write the progress lines to this file")
    ap.add_argument("--save-every", type=int, default=0,
                    help="also write OUTPUT.stepN at every N steps (a multiple of --eval-every) [0: only at the end]")
    args = ap.parse_args(argv)
    t_start = time.time()
    logf = open(args.log, "w") if args.log else None

    def log(msg):
        line = "[%7.1fs] %s" % (time.time() - t_start, msg)
        print(line, flush=True)
        if logf:
            logf.write(line + "\n")
            logf.flush()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    for name, v in (("--seqs", args.seqs), ("--seq-len", args.seq_len), ("--batch", args.batch),
                    ("--threads", args.threads), ("--short-len", args.short_len)):
        if v < 1:
            raise InputError("option %s: %d, expected >= 1" % (name, v))
    if args.steps < 0 or args.eval_seqs < 1:
        raise InputError("options --steps must be >= 0 and --eval-seqs >= 1")
    default = QSpec(args.weights)
    over = {}
    if args.embedding:
        over["tok_embedding"] = QSpec(args.embedding)
    for t in args.tensor:
        if "=" not in t or t.split("=")[0] not in ("tok_embedding",) + MATRICES:
            raise InputError("option --tensor '%s': expected NAME=PRECISION with NAME one of %s"
                             % (t, ", ".join(("tok_embedding",) + MATRICES)))
        over[t.split("=")[0]] = QSpec(t.split("=", 1)[1])

    def plan(name):
        return over.get(name, default)

    cfg, wts = load_llama2c(args.checkpoint)
    if args.seq_len > cfg["seq_len"]:
        raise InputError("option --seq-len %d exceeds the model's seq_len %d" % (args.seq_len, cfg["seq_len"]))

    teacher = Net(cfg, wts, plan, quant=False)
    student = Net(cfg, wts, plan, quant=True)
    for p in teacher.parameters():
        p.requires_grad_(False)
    # size of the image's matrices (weights + scales + offsets) and the parameter count
    mbytes = sum(tensor_bytes(m.rows, m.cols, m.spec) for _, _, m in student.matrices())
    mparams = sum(m.rows * m.cols for _, _, m in student.matrices())
    nbytes = 4 * (student.rms_att.numel() + student.rms_ffn.numel() + student.rms_final.numel())
    log("model: dim %d, hidden %d, %d layers; weights %s, embedding %s; matrices %d params, %d bytes = "
        "%.3f bits/param (with fp32 norms %.3f)" % (cfg["dim"], cfg["hidden_dim"], cfg["n_layers"], default,
                                                     plan("tok_embedding"), mparams, mbytes, 8.0 * mbytes / mparams,
                                                     8.0 * (mbytes + nbytes) / (mparams + nbytes // 4)))
    gen = torch.Generator().manual_seed(args.seed)
    T = args.seq_len
    data, tlogits = teacher.sample(args.seqs + args.eval_seqs, T, args.sample_temperature, gen)
    bos = torch.full((data.shape[0], 1), BOS, dtype=torch.long)
    inputs = torch.cat([bos, data[:, :-1]], 1)  # position p sees BOS, x_0..x_{p-1}
    train_in, eval_in = inputs[:args.seqs], inputs[args.seqs:]
    train_t, eval_teacher = tlogits[:args.seqs], tlogits[args.seqs:].float()
    log("sampled %d + %d held-out sequences of %d tokens (temperature %g, seed %d)"
        % (args.seqs, args.eval_seqs, T, args.sample_temperature, args.seed))

    eval_ids = None
    if args.eval_ids:
        try:
            eval_ids = [int(x) for x in open(args.eval_ids).read().split()]
        except (OSError, ValueError) as e:
            raise InputError("%s: cannot read token ids (%s)" % (args.eval_ids, e))

    def evaluate():
        with torch.no_grad():
            lg = student(eval_in, train=False)
            loss = kl_loss(lg, eval_teacher, 1.0).item()
            agree = (lg.argmax(-1) == eval_teacher.argmax(-1)).float().mean().item()
            msg = "held-out KL %.4f, top-1 agreement with fp32 %.4f" % (loss, agree)
            if eval_ids:
                ids = torch.tensor(eval_ids[:T], dtype=torch.long).unsqueeze(0)
                x = torch.cat([torch.tensor([[BOS]]), ids[:, :-1]], 1)
                a = (student(x, train=False).argmax(-1) == ids).float().mean().item()
                msg += ", agreement with %s %.4f" % (os.path.basename(args.eval_ids), a)
            return loss, msg

    loss0, msg = evaluate()
    log("step 0: " + msg)
    groups = [{"params": [m.w for _, _, m in student.matrices()], "lr": args.lr},
              {"params": [p for _, _, m in student.matrices() if m.spec.quantized
                          for p in ([m.s] + ([m.o] if m.spec.affine else []))], "lr": args.lr_scale},
              {"params": [student.rms_att, student.rms_ffn, student.rms_final], "lr": args.lr_norm}]
    for g in groups:
        g["peak"] = g["lr"]
    opt = torch.optim.Adam(groups, betas=(0.9, 0.95), eps=1e-10)
    perm, pi = None, 0
    run_loss = None
    loss = loss0
    for step in range(1, args.steps + 1):
        warm = min(1.0, step / max(1, args.warmup))
        decay = 0.5 * (1 + math.cos(math.pi * min(1.0, step / args.steps)))
        for g in groups:
            g["lr"] = g["peak"] * warm * (0.02 + 0.98 * decay)
        # curriculum: the first --short-frac of the steps on the sequences' first --short-len tokens
        # (the same positions as the runtime sees them, from BOS), with proportionally more sequences
        short = step <= args.short_frac * args.steps and args.short_len < T
        tlen = args.short_len if short else T
        nb = min(args.seqs, args.batch * T // tlen) if short else args.batch
        if perm is None or pi + nb > len(perm):
            perm, pi = torch.randperm(args.seqs, generator=gen), 0
        idx = perm[pi:pi + nb]
        pi += nb
        xb = train_in[idx, :tlen]
        tl = train_t[idx, :tlen].float()
        sl = student(xb, train=True)
        l = kl_loss(sl, tl, args.tau)
        opt.zero_grad(set_to_none=True)
        l.backward()
        opt.step()
        with torch.no_grad():  # step sizes keep their sign (set by the initial fit) and stay away from 0
            for _, _, m in student.matrices():
                if m.spec.quantized:
                    m.s.copy_(torch.where(m.sign > 0, m.s.clamp(min=1e-8), m.s.clamp(max=-1e-8)))
        run_loss = l.item() if run_loss is None else 0.95 * run_loss + 0.05 * l.item()
        if step % args.eval_every == 0 or step == args.steps:
            loss, msg = evaluate()
            log("step %d: train KL %.4f, %s" % (step, run_loss, msg))
            if args.save_every and step % args.save_every == 0 and step < args.steps:
                write_tqc("%s.step%d" % (args.output, step), cfg, student)
    data = write_tqc(args.output, cfg, student)
    log("final held-out KL %.4f (step 0: %.4f); wrote %s (%d bytes); %.0f s CPU time"
        % (loss, loss0, args.output, len(data), time.process_time()))
    print("QAT_RESULT loss0=%.6f loss=%.6f" % (loss0, loss))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except InputError as e:
        sys.stderr.write("qat.py: error: %s\n" % e)
        sys.exit(2)
