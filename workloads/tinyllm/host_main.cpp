// tinyllm-host: runs a tinyllm model image on the host build of the runtime.
#include <cstdio>
#include <string>

#include "cli_common.h"
#include "tllm_tools.h"

using namespace tllm_tools;

static void usage(FILE *f) {
  std::fprintf(f,
               "usage: tinyllm-host IMAGE [options]\n"
               "  --prompt TEXT  [\"\"]     --steps N [256]     --temperature T [0 = greedy]\n"
               "  --topp P [0.9]  --seed N [1]  --backend scalar|xmac|cim [scalar]\n"
               "  --max-seq N [seq_len]  --kv-int8  --ram BYTES (RAM budget for the memory plan)\n"
               "  --agree IDS_FILE [--positions N (256)]: teacher-forced top-1 agreement with the ids\n"
               "Prints the text, then 'ids: ...' and 'logits_fnv: 0x...' (FNV-1a over the float bits of\n"
               "all logits of all positions). Exit codes: 0 ok, 2 bad input or runtime error.\n");
}

int main(int argc, char **argv) {
  try {
    std::string image, agree;
    uint32_t positions = 256;
    RunOptions o;
    for (int i = 1; i < argc; i++) {
      std::string a = argv[i];
      if (a == "-h" || a == "--help") { usage(stdout); return 0; }
      if (a == "--kv-int8") { o.kv_int8 = true; continue; }
      if (a.rfind("-", 0) != 0) { if (!image.empty()) throw Error("more than one image given ('" + image + "', '" + a + "')"); image = a; continue; }
      if (i + 1 >= argc) throw Error("option " + a + " needs a value");
      std::string v = argv[++i];
      if (a == "--prompt" || a == "-i") o.prompt = v;
      else if (a == "--steps" || a == "-n") o.steps = static_cast<uint32_t>(tllm_cli::parse_uint(a, v, 1u << 20));
      else if (a == "--temperature" || a == "-t") o.temperature = tllm_cli::parse_float(a, v);
      else if (a == "--topp" || a == "-p") o.topp = tllm_cli::parse_float(a, v);
      else if (a == "--seed" || a == "-s") o.seed = tllm_cli::parse_uint(a, v, ~0ull);
      else if (a == "--max-seq") o.max_seq = static_cast<uint32_t>(tllm_cli::parse_uint(a, v, 1u << 20));
      else if (a == "--ram") o.ram_budget = tllm_cli::parse_uint(a, v, ~0ull);
      else if (a == "--agree") agree = v;
      else if (a == "--positions") positions = static_cast<uint32_t>(tllm_cli::parse_uint(a, v, 1u << 20));
      else if (a == "--backend" || a == "-b") {
        if (v == "scalar") o.backend = TLLM_BACKEND_SCALAR;
        else if (v == "xmac") o.backend = TLLM_BACKEND_XMAC;
        else if (v == "cim") o.backend = TLLM_BACKEND_CIM;
        else throw Error("option --backend: '" + v + "', expected scalar, xmac or cim");
      } else throw Error("unknown option '" + a + "' (see --help)");
    }
    if (image.empty()) { usage(stderr); return 2; }
    if (o.temperature < 0) throw Error("option --temperature: must be >= 0");
    LoadedModel lm;
    tllm_error err{};
    if (lm.open(read_file(image), &err) != TLLM_OK) throw Error(image + ": " + err.msg);
    if (!agree.empty()) {
      std::vector<int32_t> ids = read_ids(agree);
      double a = agreement(lm.model, ids, positions, o.backend);
      uint32_t n = std::min<uint32_t>(std::min<uint32_t>(positions, ids.size()), lm.model.seq_len);
      std::printf("agreement: %.4f (%u of %u positions) image %s (%zu bytes, %.2f bits/parameter)\n", a,
                  static_cast<unsigned>(a * n + 0.5), n, image.c_str(), lm.size, 8.0 * lm.model.weight_bytes / lm.model.n_params);
      return 0;
    }
    RunResult r = generate(lm.model, o);
    if (r.status != TLLM_OK) throw Error(image + ": " + r.error);
    std::printf("%s\n", r.text.c_str());
    std::printf("ids:");
    for (int32_t id : r.ids) std::printf(" %d", id);
    std::printf("\nlogits_fnv: 0x%08x\n", r.logits_hash);
    return 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "tinyllm-host: error: %s\n", e.what());
    return 2;
  }
}
