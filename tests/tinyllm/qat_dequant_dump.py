#!/usr/bin/python3
"""Test helper for tests/tinyllm/qat_test.cpp: writes, from scripts/qat.py's own code,
  OUT/random.tqc   a small random model, every matrix in a different format (int2/int4/int8, sym and
                   affine, groups that divide the row, do not, or exceed it), with randomly
                   perturbed latent weights, scales and offsets (as after training);
  OUT/deq.f32      each matrix's fake-quantized weights (QMatrix.forward(train=False): what the
                   student computes with), float32, canonical order;
  OUT/act.bin      activation vectors with tllm_quantize_act()'s levels and scales as act_levels()
                   computes them: per case u32 n, u32 group, n f32 x, n i8 q (padded to 4), ng f32 s;
                   random vectors of several magnitudes, exact ties, and a group too small to scale.
The C++ test reads the checkpoint through mcucim-pack's loader, builds the image and compares the
runtime's dequantization (tllm_dequant_row) and activation quantizer bit for bit.
usage: qat_dequant_dump.py SCRIPTS_DIR OUT_DIR
"""
import os
import struct
import sys

sys.path.insert(0, sys.argv[1])
import qat  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

out = sys.argv[2]
torch.manual_seed(5)
torch.set_num_threads(1)
cfg = dict(dim=48, hidden_dim=72, n_layers=2, n_heads=4, n_kv_heads=2, vocab_size=300, seq_len=32,
           head_size=12, kv_dim=24)
rng = np.random.default_rng(11)
d, h, kv, V, L = 48, 72, 24, 300, 2
wts = {"tok_embedding": rng.standard_normal((V, d)).astype(np.float32),
       "rms_att": (1 + 0.1 * rng.standard_normal((L, d))).astype(np.float32),
       "rms_ffn": (1 + 0.1 * rng.standard_normal((L, d))).astype(np.float32),
       "rms_final": (1 + 0.1 * rng.standard_normal(d)).astype(np.float32)}
for n, shape in (("wq", (d, d)), ("wk", (kv, d)), ("wv", (kv, d)), ("wo", (d, d)), ("w1", (h, d)),
                 ("w2", (d, h)), ("w3", (h, d))):
    wts[n] = (rng.standard_normal((L,) + shape) / np.sqrt(shape[1])).astype(np.float32)
specs = {"tok_embedding": "int2:256:affine", "wq": "int2:256:sym", "wk": "int2:7:affine",
         "wv": "int4:24:sym", "wo": "int4:5:affine", "w1": "int8:32:sym", "w2": "int2:64:full",
         "w3": "int8:48:affine"}
net = qat.Net(cfg, wts, lambda n: qat.QSpec(specs[n]), quant=True)
with torch.no_grad():
    for _, _, m in net.matrices():  # arbitrary trained-looking values
        m.w.add_(0.3 * torch.randn(m.w.shape) * m.w.abs().mean())
        m.s.mul_(torch.exp(0.3 * torch.randn(m.s.shape)))
        if m.o is not None:
            m.o.add_(0.5 * torch.randn(m.o.shape) * m.s)
qat.write_tqc(os.path.join(out, "random.tqc"), cfg, net)
with open(os.path.join(out, "deq.f32"), "wb") as f, torch.no_grad():
    order = [net.emb] + [net.mats[n][l] for l in range(L) for n in qat.MATRICES]  # the image's order
    for m in order:
        f.write(np.ascontiguousarray(m(train=False).numpy(), dtype="<f4").tobytes())

cases = []
for n in (64, 64, 172, 172, 48):
    cases.append(torch.randn(n) * float(torch.exp(torch.randn(1) * 2)))
# ties and near-ties: amax 127 gives scale exactly 1, so x/s = x
tie = torch.tensor([127.0, 2.5, -2.5, 0.5, -0.5, 1.5, 0.49999997, -0.49999997, 126.5, -126.5, 3.0, 0.0,
                    -127.0, 7.5, 100.49999, -33.5], dtype=torch.float32)
cases.append(tie)
cases.append(torch.randn(16) * 1e-37)  # max|x| < 2^-121: levels 0 (127/max would overflow)
# groups of 2 {max, x} where x * (127/max) and x / (max/127) round to different integers
cases.append(torch.tensor([1.869516372680664, 1.6707881689071655, 4.52160120010376, -1.6911499500274658,
                           5.612361431121826, 2.806180715560913, 3.3803508281707764, 1.9297277927398682],
                          dtype=torch.float32))
groups = [64, 256, 32, 5, 16, 16, 16, 2]
with open(os.path.join(out, "act.bin"), "wb") as f:
    for x, g in zip(cases, groups):
        x = x.float()
        q, s = qat.act_levels(x, g)
        n = x.shape[0]
        qb = q.reshape(-1)[:n].to(torch.int8).numpy().tobytes()
        f.write(struct.pack("<2I", n, g) + x.numpy().astype("<f4").tobytes() + qb + b"\0" * (-n % 4)
                + s.reshape(-1).numpy().astype("<f4").tobytes())
print("wrote", out)
