// mcucim-pack: llama2.c checkpoint + tokenizer -> tinyllm model image (runtime/MODEL_FORMAT.md).
#include <cstdio>
#include <string>
#include <vector>

#include "cli_common.h"
#include "tllm_cim_pack.h"
#include "tllm_qat.h"
#include "tllm_quant.h"
#include "tllm_tools.h"

using namespace tllm_tools;

static void usage(FILE *f) {
  std::fprintf(f,
               "usage: mcucim-pack CHECKPOINT.bin TOKENIZER.bin -o IMAGE [options]\n"
               "       mcucim-pack --share RANK/SIZE IMAGE -o SHARE   (one rank's rows of a dense image, for\n"
               "                       tensor parallelism over SIZE MCUs: runtime/MODEL_FORMAT.md, Shares)\n"
               "Converts a llama2.c (legacy fp32) checkpoint and its tokenizer into a tinyllm model image.\n"
               "A QAT checkpoint (.tqc, written by scripts/qat.py) in place of CHECKPOINT.bin is stored as trained:\n"
               "its levels, scales and offsets unchanged (only -o, --cim and --cim-keep-groups apply to it).\n"
               "%s"
               "  --cim LIST           flag tensors for the CIM macros (wq,wk,wv,wo,w1,w2,w3,wcls | attn | ffn | all\n"
               "                       [:LAYERS]); their group becomes the row length (one MVM per row)\n"
               "  --cim-keep-groups    keep the group size of the --cim tensors (one MVM per group at run time)\n"
               "CIM calibration (cim/CIM.md \"ADC windows\", \"Placement\"; calibration text: --calib, --calib-len):\n"
               "  --cim-macro SPEC     target macro: rows=256,cols=512,cell=1,dac=1,adc=6,wcols=64,rpp=64/256 (repeatable)\n"
               "  --cim-windows        store ADC windows for the CIM tensors, per target macro and rows_per_pass\n"
               "                       (image format version 2)\n"
               "  --cim-percentile P   windows cover the [100-P, P] percentiles of the column sums [100: min..max]\n"
               "  --cim-calib-positions N  calibration positions for the windows [512]\n"
               "  --cim-budget N       put on CIM the least sensitive matrices (KL of the logits with that matrix\n"
               "                       alone on the first --cim-macro) that fit N macros; --cim LIST: candidates\n"
               "  --cim-sens-positions N  positions per sensitivity run [128]\n"
               "Calibrated quantization (workloads/tinyllm/QUANTIZATION.md); precision suffixes :mse (per-group\n"
               "scale/offset search, no data needed) and :gptq (error-compensating rounding with calibration):\n"
               "  --gptq               add :gptq to every quantized precision given (weights, embedding, ...)\n"
               "  --mse                add :mse to every quantized precision given\n"
               "  --calib N            calibration sequences sampled from the fp32 model [16]\n"
               "  --calib-len N        positions per calibration sequence [128]\n"
               "  --calib-seed N       sampling seed [1]   --calib-temperature T [1.0]\n"
               "  --gptq-damp F        H += F * mean(diag H) * I [0.1]\n"
               "  --gptq-emb-identity F  shared embedding: H = H_classifier/mean + F * I (lookup error) [0.5]\n"
               "  --no-refit           skip the least-squares scale/offset refit under H after GPTQ rounding\n"
               "  --sequential         collect each H with the earlier tensors already quantized (default: fp32 model)\n"
               "  --budget-bits B      mixed precision: choose each matrix's precision by measured sensitivity\n"
               "                       (KL of the logits on the calibration text) so that the image's weights +\n"
               "                       scales take at most B bits/parameter (overrides --weights etc.)\n"
               "  --candidates LIST    comma-separated precisions for --budget-bits [int2:8|16|32|256:affine:mse:gptq, int2:256:mse:gptq,\n"
               "                       int4:16|32|256:affine:mse:gptq, int4:256:mse:gptq, int8:256:mse:gptq]\n"
               "  --sens-positions N   calibration positions per sensitivity measurement [256]\n"
               "Exit codes: 0 ok, 2 bad input (truncated/inconsistent checkpoint, bad option).\n",
               tllm_cli::quant_help());
}

int main(int argc, char **argv) {
  try {
    if (argc >= 2 && std::string(argv[1]) == "--share") {
      std::string spec = argc > 2 ? argv[2] : "", in, out;
      for (int i = 3; i < argc; i++) {
        std::string a = argv[i];
        if ((a == "-o" || a == "--output") && i + 1 < argc) out = argv[++i];
        else if (in.empty() && a[0] != '-') in = a;
        else throw Error("--share: unexpected argument '" + a + "' (usage: mcucim-pack --share RANK/SIZE IMAGE -o SHARE)");
      }
      const auto slash = spec.find('/');
      if (slash == std::string::npos || in.empty() || out.empty())
        throw Error("usage: mcucim-pack --share RANK/SIZE IMAGE -o SHARE (e.g. --share 0/8 model.tllm -o model.0of8.tllm)");
      const uint32_t rank = static_cast<uint32_t>(tllm_cli::parse_uint("--share", spec.substr(0, slash), 1u << 16));
      const uint32_t size = static_cast<uint32_t>(tllm_cli::parse_uint("--share", spec.substr(slash + 1), 1u << 16));
      const std::vector<uint8_t> img = read_file(in);
      const std::vector<uint8_t> share = share_image(img, rank, size);
      write_file(out, share);
      std::printf("%s: rank %u of %u, %zu bytes (%.1f%% of %s)\n", out.c_str(), rank, size, share.size(),
                  100.0 * share.size() / img.size(), in.c_str());
      return 0;
    }
    std::vector<std::string> pos;
    std::string out, cim;
    bool keep_groups = false, gptq = false, mse = false;
    std::string quant_opt;  // the first option that chooses or calibrates precisions (not for QAT checkpoints)
    AdvancedQuantOptions aq;
    CimPackOptions co;
    QuantPlan plan;
    plan.matrices = parse_qspec("int8:32");
    for (int i = 1; i < argc; i++) {
      std::string a = argv[i];
      if (a == "-h" || a == "--help") { usage(stdout); return 0; }
      if (a == "--cim-keep-groups") { keep_groups = true; continue; }
      if (a.rfind("-", 0) == 0 && a != "-o" && a != "--output" && a != "--cim" && quant_opt.empty()) quant_opt = a;
      if (a == "--gptq") { gptq = true; continue; }
      if (a == "--mse") { mse = true; continue; }
      if (a == "--cim-windows") { co.windows = true; continue; }
      if (a == "--no-refit") { aq.refit = false; continue; }
      if (a == "--sequential") { aq.sequential = true; continue; }
      if (a.rfind("-", 0) == 0) {
        if (i + 1 >= argc) throw Error("option " + a + " needs a value");
        std::string v = argv[++i];
        if (a == "-o" || a == "--output") out = v;
        else if (a == "--cim") cim = v;
        else if (a == "--cim-macro") co.macros.push_back(parse_cim_macro(v));
        else if (a == "--cim-percentile") co.percentile = tllm_cli::parse_float(a, v);
        else if (a == "--cim-calib-positions") co.calib_positions = static_cast<uint32_t>(tllm_cli::parse_uint(a, v, 1u << 20));
        else if (a == "--cim-budget") co.budget_macros = static_cast<uint32_t>(tllm_cli::parse_uint(a, v, 1u << 20));
        else if (a == "--cim-sens-positions") co.sens_positions = static_cast<uint32_t>(tllm_cli::parse_uint(a, v, 1u << 20));
        else if (a == "--calib") aq.calib.sequences = static_cast<uint32_t>(tllm_cli::parse_uint(a, v, 100000));
        else if (a == "--calib-len") aq.calib.length = static_cast<uint32_t>(tllm_cli::parse_uint(a, v, 1u << 20));
        else if (a == "--calib-seed") aq.calib.seed = tllm_cli::parse_uint(a, v, ~0ull);
        else if (a == "--calib-temperature") aq.calib.temperature = tllm_cli::parse_float(a, v);
        else if (a == "--gptq-damp") aq.damp = tllm_cli::parse_float(a, v);
        else if (a == "--gptq-emb-identity") aq.emb_identity = tllm_cli::parse_float(a, v);
        else if (a == "--budget-bits") aq.budget_bits = tllm_cli::parse_float(a, v);
        else if (a == "--sens-positions") aq.sens_positions = static_cast<uint32_t>(tllm_cli::parse_uint(a, v, 1u << 20));
        else if (a == "--candidates") {
          size_t b = 0;
          while (b <= v.size()) {
            size_t e = v.find(',', b);
            if (e == std::string::npos) e = v.size();
            aq.candidates.push_back(parse_qspec(v.substr(b, e - b)));
            b = e + 1;
          }
        }
        else if (!tllm_cli::quant_option(plan, a, v)) throw Error("unknown option '" + a + "' (see --help)");
      } else {
        pos.push_back(a);
      }
    }
    if (pos.size() != 2 || out.empty()) { usage(stderr); return 2; }
    if (is_qat_checkpoint(pos[0])) {
      if (!quant_opt.empty())
        throw Error("option " + quant_opt + ": " + pos[0] + " is a QAT checkpoint, whose precisions are trained; only -o, --cim and --cim-keep-groups apply");
      QatCheckpoint qc = load_qat_checkpoint(pos[0]);
      ModelSpec spec = spec_from_qat(qc, load_tokenizer(pos[1], qc.d.vocab_size));
      if (!cim.empty()) {
        std::vector<uint32_t> groups;
        for (auto &t : spec.tensors) groups.push_back(tllm_groups_per_row(t.cols, t.q.group));
        if (!mark_cim(spec, cim, keep_groups)) throw Error("option --cim " + cim + ": selects no quantized tensor");
        for (size_t i = 0; i < spec.tensors.size(); i++)
          if (tllm_groups_per_row(spec.tensors[i].cols, spec.tensors[i].q.group) != groups[i])
            throw Error("option --cim " + cim + ": " + kind_name(spec.tensors[i].kind) + " has trained groups of " +
                        std::to_string(qc.tensors[i].q.group) + " (" + std::to_string(groups[i]) + " per row); add --cim-keep-groups");
      }
      std::vector<uint8_t> img = build_image(spec);
      write_file(out, img);
      LoadedModel lm;
      tllm_error err{};
      if (lm.open(img, &err) != TLLM_OK) throw Error(pos[0] + ": the image built from the QAT checkpoint does not parse: " + err.msg);
      std::printf("%s: %zu bytes, %llu parameters, %.2f bits/parameter (weights+scales), from QAT checkpoint %s\n", out.c_str(), img.size(),
                  static_cast<unsigned long long>(lm.model.n_params), 8.0 * lm.model.weight_bytes / lm.model.n_params, pos[0].c_str());
      return 0;
    }
    Checkpoint ck = load_checkpoint(pos[0]);
    Tokenizer tok = load_tokenizer(pos[1], ck.d.vocab_size);
    if (aq.damp < 0 || !(aq.budget_bits >= 0)) throw Error("options --gptq-damp and --budget-bits must be >= 0");
    auto extend = [&](QSpec &q) { if (q.prec != TLLM_FP32) { q.gptq |= gptq; q.mse |= mse; } };
    extend(plan.matrices);
    for (auto &kv : plan.by_name) extend(kv.second);
    for (auto &kv : plan.by_layer) extend(kv.second);
    ModelSpec spec = spec_from_checkpoint(ck, tok, plan);
    if ((!cim.empty() || co.budget_macros) && aq.budget_bits > 0)
      throw Error("options --cim/--cim-budget and --budget-bits cannot be combined (the budget chooses the group sizes)");
    std::vector<std::vector<int32_t>> cim_seqs;
    if (co.budget_macros || co.windows) cim_seqs = calib_sequences(ck, aq.calib);
    if (co.budget_macros) {
      if (keep_groups) throw Error("options --cim-budget and --cim-keep-groups cannot be combined");
      if (!place_cim_by_sensitivity(spec, cim, cim_seqs, co, stdout)) throw Error("--cim-budget: no candidate fits the budget");
    } else if (!cim.empty() && !mark_cim(spec, cim, keep_groups)) {
      throw Error("option --cim " + cim + ": selects no quantized tensor (fp32 tensors cannot go to CIM)");
    }
    if (aq.budget_bits > 0 || needs_calibration(spec)) quantize_calibrated(spec, ck, aq, stdout);
    std::vector<uint8_t> img = build_image(spec);
    if (co.windows) img = add_cim_windows(img, cim_seqs, co, stdout);
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
