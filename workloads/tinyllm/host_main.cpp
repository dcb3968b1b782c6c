// tinyllm-host: runs a tinyllm model image on the host build of the runtime.
#include <cstdio>
#include <string>

#include "cli_common.h"
#include "tllm_tools.h"
#include "tinyllm/tllm_stream.h"

using namespace tllm_tools;

static void usage(FILE *f) {
  std::fprintf(f,
               "usage: tinyllm-host IMAGE [options]\n"
               "  --prompt TEXT  [\"\"]     --steps N [256]     --temperature T [0 = greedy]\n"
               "  --topp P [0.9]  --seed N [1]  --backend scalar|xmac|cim [scalar]\n"
               "  --max-seq N [seq_len]  --kv-int8 (INT8 KV cache, quantized attention)  --ram BYTES (RAM budget) [2 GiB]\n"
               "  --chunk N [8]  batched prefill: prompt positions per forward call (the firmware's -P; 1 = off)\n"
               "  --harts N, -T N [1]  split the forward pass into N parts like the firmware's -T (computed in turn: the same bits)\n"
               "  --agree IDS_FILE [--positions N (256)]: teacher-forced top-1 agreement with the ids; prints\n"
               "                 'ids:' (argmax per position), 'logits_fnv:' and 'METRIC agreement=... positions=N'\n"
               "                 like the firmware's -a N\n"
               "  --ref IDS_FILE  (generation) print 'METRIC ids_equal_ref=0|1 first_diff=P' like the firmware\n"
               "  --stream BYTES|auto  weight streaming through two buffers of BYTES/2 (auto: the largest matrix each)\n"
               "  --expert-cache K  MoE: keep K routed experts in RAM (LRU)   --routes  print 'routes: L:E ...'\n"
               "                 (runtime/STREAMING.md; memcpy in place of the firmware's DMA, same numerics)\n"
               "CIM (host in-memory macros with the simulated preset's geometry; the firmware's -c/-m):\n"
               "  --backend cim   every quantized matrix on CIM (or the image's CIM flags), scalar for the rest\n"
               "  --cim PLACE     wq,wk,wv,wo,w1,w2,w3,wcls | attn | ffn | all | image [:LAYERS]; the rest on --backend\n"
               "  --cim-macros N [6]  --cim-rows R [256]  --cim-cols C [512]  --cim-cell-bits B [1]  --cim-dac-bits D [1]\n"
               "  --adc-bits B [6]  --adc-full-scale F [0 = the largest sum of a row group]  --cim-rows-per-pass R [rows]\n"
               "  --cim-zero-skip  --cim-digital (adder trees, no ADC)  --cim-window-cols N [64]\n"
               "  --cim-windows   program the image's ADC windows (mcucim-pack --cim-windows; the firmware's -W on)\n"
               "                 (defaults: configs/cim/deaville-jssc2025.yaml)\n"
               "Prints the text, then 'ids: ...' and 'logits_fnv: 0x...' (FNV-1a over the float bits of\n"
               "all logits of all positions). Exit codes: 0 ok, 2 bad input or runtime error, 5 not enough\n"
               "CIM macros.\n");
}

int main(int argc, char **argv) {
  try {
    std::string image, agree, ref;
    uint32_t positions = 256;
    RunOptions o;
    for (int i = 1; i < argc; i++) {
      std::string a = argv[i];
      if (a == "-h" || a == "--help") { usage(stdout); return 0; }
      if (a == "--kv-int8") { o.kv_int8 = true; continue; }
      if (a == "--routes") { o.routes = true; continue; }
      if (a == "--cim-zero-skip") { o.cim.zero_skip = true; continue; }
      if (a == "--cim-digital") { o.cim.digital = true; continue; }
      if (a == "--cim-windows") { o.cim.windows = true; continue; }
      if (a.rfind("-", 0) != 0) { if (!image.empty()) throw Error("more than one image given ('" + image + "', '" + a + "')"); image = a; continue; }
      if (i + 1 >= argc) throw Error("option " + a + " needs a value");
      std::string v = argv[++i];
      if (a == "--prompt" || a == "-i") o.prompt = v;
      else if (a == "--steps" || a == "-n") o.steps = static_cast<uint32_t>(tllm_cli::parse_uint(a, v, 1u << 20));
      else if (a == "--temperature" || a == "-t") o.temperature = tllm_cli::parse_float(a, v);
      else if (a == "--topp" || a == "-p") o.topp = tllm_cli::parse_float(a, v);
      else if (a == "--seed" || a == "-s") o.seed = tllm_cli::parse_uint(a, v, ~0ull);
      else if (a == "--harts" || a == "-T") { o.parts = static_cast<uint32_t>(tllm_cli::parse_uint(a, v, 64)); if (!o.parts) throw Error("option --harts: must be >= 1"); }
      else if (a == "--chunk" || a == "-P") { o.chunk = static_cast<uint32_t>(tllm_cli::parse_uint(a, v, 1u << 20)); if (!o.chunk) throw Error("option --chunk: must be >= 1"); }
      else if (a == "--max-seq") o.max_seq = static_cast<uint32_t>(tllm_cli::parse_uint(a, v, 1u << 20));
      else if (a == "--ram") o.ram_budget = tllm_cli::parse_uint(a, v, ~0ull);
      else if (a == "--stream") {
        o.stream_bytes = v == "auto" ? TLLM_STREAM_AUTO : static_cast<uint32_t>(tllm_cli::parse_uint(a, v, 0xFFFFFFFEu));
        if (!o.stream_bytes) throw Error("option --stream: expected a positive number of bytes or auto");
      }
      else if (a == "--expert-cache") o.expert_slots = static_cast<uint32_t>(tllm_cli::parse_uint(a, v, 1u << 20));
      else if (a == "--agree") agree = v;
      else if (a == "--ref") ref = v;
      else if (a == "--cim") { o.cim.enabled = true; o.cim.place = v; }
      else if (a == "--cim-macros") o.cim.macros = static_cast<uint32_t>(tllm_cli::parse_uint(a, v, 65536));
      else if (a == "--cim-rows") o.cim.rows = static_cast<uint32_t>(tllm_cli::parse_uint(a, v, 4096));
      else if (a == "--cim-cols") o.cim.cols = static_cast<uint32_t>(tllm_cli::parse_uint(a, v, 4096));
      else if (a == "--cim-cell-bits") o.cim.cell_bits = static_cast<uint32_t>(tllm_cli::parse_uint(a, v, 8));
      else if (a == "--cim-dac-bits") o.cim.dac_bits = static_cast<uint32_t>(tllm_cli::parse_uint(a, v, 8));
      else if (a == "--adc-bits") o.cim.adc_bits = static_cast<uint32_t>(tllm_cli::parse_uint(a, v, 16));
      else if (a == "--adc-full-scale") o.cim.adc_full_scale = tllm_cli::parse_uint(a, v, 1ull << 40);
      else if (a == "--cim-rows-per-pass") o.cim.rows_per_pass = static_cast<uint32_t>(tllm_cli::parse_uint(a, v, 4096));
      else if (a == "--cim-window-cols") o.cim.window_cols = static_cast<uint32_t>(tllm_cli::parse_uint(a, v, 4096));
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
    if (o.backend == TLLM_BACKEND_CIM) o.cim.enabled = true;  // --cim PLACE keeps its placement
    LoadedModel lm;
    tllm_error err{};
    if (lm.open(read_file(image), &err) != TLLM_OK) throw Error(image + ": " + err.msg);
    if (!agree.empty()) {
      std::vector<int32_t> ids = read_ids(agree);
      AgreeResult ar;
      try {
        ar = agreement_run(lm.model, ids, positions, o);
      } catch (const Error &e) {
        std::fprintf(stderr, "tinyllm-host: error: %s\n", e.what());
        const std::string w = e.what();
        return w.find("not enough macros") != std::string::npos || w.find("CIM windows") != std::string::npos ? 5 : 2;
      }
      if (!ar.cim_line.empty()) std::printf("%s\n", ar.cim_line.c_str());
      std::printf("agreement: %.4f (%u of %u positions) image %s (%zu bytes, %.2f bits/parameter)\n",
                  static_cast<double>(ar.agree) / ar.positions, ar.agree, ar.positions, image.c_str(), lm.size,
                  8.0 * lm.model.weight_bytes / lm.model.n_params);
      std::printf("ids:");
      for (int32_t id : ar.ids) std::printf(" %d", id);
      std::printf("\nlogits_fnv: 0x%08x\n", ar.logits_hash);
      std::printf("METRIC agreement=%s positions=%u\n", fraction6(ar.agree, ar.positions).c_str(), ar.positions);
      return 0;
    }
    RunResult r = generate(lm.model, o);
    if (r.status == TLLM_E_CIM_CAPACITY || r.status == TLLM_E_CIM_WINDOWS) {
      std::fprintf(stderr, "tinyllm-host: error: CIM: %s\n", r.error.c_str());
      return 5;
    }
    if (r.status != TLLM_OK) throw Error(image + ": " + r.error);
    if (!r.cim_line.empty()) std::printf("%s\n", r.cim_line.c_str());
    std::printf("%s\n", r.text.c_str());
    std::printf("ids:");
    for (int32_t id : r.ids) std::printf(" %d", id);
    std::printf("\nlogits_fnv: 0x%08x\n", r.logits_hash);
    std::printf("%s", r.stats.c_str());
    if (!ref.empty()) {
      std::vector<int32_t> rid = read_ids(ref);
      long diff = -1;
      for (size_t i = 0; i < r.ids.size() && diff < 0; i++)
        if (i >= rid.size() || r.ids[i] != rid[i]) diff = static_cast<long>(i);
      std::printf("METRIC ids_equal_ref=%d first_diff=%ld\n", diff < 0 ? 1 : 0, diff);
    }
    return 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "tinyllm-host: error: %s\n", e.what());
    return 2;
  }
}
