// mcucim-pack: llama2.c checkpoint + tokenizer -> tinyllm model image (runtime/MODEL_FORMAT.md).
#include <cstdio>
#include <string>
#include <vector>

#include "cli_common.h"
#include "tllm_tools.h"

using namespace tllm_tools;

static void usage(FILE *f) {
  std::fprintf(f,
               "usage: mcucim-pack CHECKPOINT.bin TOKENIZER.bin -o IMAGE [options]\n"
               "Converts a llama2.c (legacy fp32) checkpoint and its tokenizer into a tinyllm model image.\n"
               "%s"
               "  --cim LIST           flag tensors for the CIM macros (wq,wk,wv,wo,w1,w2,w3,wcls | attn | ffn | all\n"
               "                       [:LAYERS]); their group becomes the row length (one MVM per row)\n"
               "  --cim-keep-groups    keep the group size of the --cim tensors (one MVM per group at run time)\n"
               "Exit codes: 0 ok, 2 bad input (truncated/inconsistent checkpoint, bad option).\n",
               tllm_cli::quant_help());
}

int main(int argc, char **argv) {
  try {
    std::vector<std::string> pos;
    std::string out, cim;
    bool keep_groups = false;
    QuantPlan plan;
    plan.matrices = parse_qspec("int8:32");
    for (int i = 1; i < argc; i++) {
      std::string a = argv[i];
      if (a == "-h" || a == "--help") { usage(stdout); return 0; }
      if (a == "--cim-keep-groups") { keep_groups = true; continue; }
      if (a.rfind("-", 0) == 0) {
        if (i + 1 >= argc) throw Error("option " + a + " needs a value");
        std::string v = argv[++i];
        if (a == "-o" || a == "--output") out = v;
        else if (a == "--cim") cim = v;
        else if (!tllm_cli::quant_option(plan, a, v)) throw Error("unknown option '" + a + "' (see --help)");
      } else {
        pos.push_back(a);
      }
    }
    if (pos.size() != 2 || out.empty()) { usage(stderr); return 2; }
    Checkpoint ck = load_checkpoint(pos[0]);
    Tokenizer tok = load_tokenizer(pos[1], ck.d.vocab_size);
    ModelSpec spec = spec_from_checkpoint(ck, tok, plan);
    if (!cim.empty() && !mark_cim(spec, cim, keep_groups))
      throw Error("option --cim " + cim + ": selects no quantized tensor (fp32 tensors cannot go to CIM)");
    std::vector<uint8_t> img = build_image(spec);
    write_file(out, img);
    LoadedModel lm;
    tllm_error err{};
    if (lm.open(img, &err) != TLLM_OK) throw Error(std::string("internal error: the written image does not parse: ") + err.msg);
    std::printf("%s: %zu bytes, %llu parameters, %.2f bits/parameter (weights+scales), default %s\n", out.c_str(), img.size(),
                static_cast<unsigned long long>(lm.model.n_params), 8.0 * lm.model.weight_bytes / lm.model.n_params,
                qspec_str(plan.matrices).c_str());
    return 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "mcucim-pack: error: %s\n", e.what());
    return 2;
  }
}
