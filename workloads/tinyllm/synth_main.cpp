// mcucim-synth: a synthetic tinyllm model image with seeded random weights (dense or MoE).
#include <cstdio>
#include <string>

#include "cli_common.h"
#include "tllm_tools.h"

using namespace tllm_tools;

static void usage(FILE *f) {
  std::fprintf(f,
               "usage: mcucim-synth -o IMAGE [options]\n"
               "  --dim N [64] --hidden N [172] --layers N [2] --heads N [8] --kv-heads N [4]\n"
               "  --vocab N [512] --seq-len N [256] --seed N [1]\n"
               "  --experts N [0 = dense] --shared N [0] --top-k N [2] --expert-hidden N [64]\n"
               "%s",
               tllm_cli::quant_help());
}

int main(int argc, char **argv) {
  try {
    Dims d;
    d.dim = 64; d.hidden_dim = 172; d.n_layers = 2; d.n_heads = 8; d.n_kv_heads = 4; d.vocab_size = 512; d.seq_len = 256;
    uint32_t top_k = 2, eh = 64;
    uint64_t seed = 1;
    std::string out;
    QuantPlan plan;
    plan.matrices = parse_qspec("int8:32");
    for (int i = 1; i < argc; i++) {
      std::string a = argv[i];
      if (a == "-h" || a == "--help") { usage(stdout); return 0; }
      if (i + 1 >= argc) throw Error("option " + a + " needs a value (see --help)");
      std::string v = argv[++i];
      auto u = [&](uint64_t max) { return static_cast<uint32_t>(tllm_cli::parse_uint(a, v, max)); };
      if (a == "-o" || a == "--output") out = v;
      else if (a == "--dim") d.dim = u(65536);
      else if (a == "--hidden") d.hidden_dim = u(1 << 20);
      else if (a == "--layers") d.n_layers = u(1024);
      else if (a == "--heads") d.n_heads = u(1024);
      else if (a == "--kv-heads") d.n_kv_heads = u(1024);
      else if (a == "--vocab") d.vocab_size = u(1 << 20);
      else if (a == "--seq-len") d.seq_len = u(1 << 20);
      else if (a == "--experts") d.n_experts = u(1024);
      else if (a == "--shared") d.n_shared = u(64);
      else if (a == "--top-k") top_k = u(1024);
      else if (a == "--expert-hidden") eh = u(1 << 20);
      else if (a == "--seed") seed = tllm_cli::parse_uint(a, v, ~0ull);
      else if (!tllm_cli::quant_option(plan, a, v)) throw Error("unknown option '" + a + "' (see --help)");
    }
    if (out.empty()) { usage(stderr); return 2; }
    if (d.n_experts) { d.top_k = top_k; d.expert_hidden = eh; d.hidden_dim = 0; }
    if (!d.n_heads || d.dim % d.n_heads || !d.n_kv_heads || d.n_heads % d.n_kv_heads || (d.dim / d.n_heads) % 2)
      throw Error("dims: dim " + std::to_string(d.dim) + " must be a multiple of heads " + std::to_string(d.n_heads) +
                  " with an even head size, and heads a multiple of kv-heads " + std::to_string(d.n_kv_heads));
    ModelSpec spec = spec_synthetic(d, seed, plan);
    std::vector<uint8_t> img = build_image(spec);
    LoadedModel lm;
    tllm_error err{};
    if (lm.open(img, &err) != TLLM_OK) throw Error(std::string("the generated image does not parse: ") + err.msg);
    write_file(out, img);
    std::printf("%s: %zu bytes, %llu parameters (%s), seed %llu\n", out.c_str(), img.size(),
                static_cast<unsigned long long>(lm.model.n_params), d.n_experts ? "MoE" : "dense",
                static_cast<unsigned long long>(seed));
    return 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "mcucim-synth: error: %s\n", e.what());
    return 2;
  }
}
