// Small helpers shared by the tinyllm host tools' command lines.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tllm_tools.h"

namespace tllm_cli {
inline unsigned long long parse_uint(const std::string &opt, const std::string &v, unsigned long long max) {
  char *end = nullptr;
  unsigned long long x = std::strtoull(v.c_str(), &end, 0);
  if (v.empty() || *end || v[0] == '-' || x > max)
    throw tllm_tools::Error("option " + opt + ": '" + v + "' is not an integer in 0.." + std::to_string(max));
  return x;
}
inline float parse_float(const std::string &opt, const std::string &v) {
  char *end = nullptr;
  float x = std::strtof(v.c_str(), &end);
  if (v.empty() || *end) throw tllm_tools::Error("option " + opt + ": '" + v + "' is not a number");
  return x;
}
// Applies a precision option shared by pack and synth; returns false if `opt` is not one.
inline bool quant_option(tllm_tools::QuantPlan &p, const std::string &opt, const std::string &v) {
  using namespace tllm_tools;
  if (opt == "--weights") { uint32_t g = p.matrices.group; p.matrices = parse_qspec(v); if (v.find(':') == std::string::npos && p.matrices.prec != TLLM_FP32) p.matrices.group = g ? g : 32; return true; }
  if (opt == "--group") { p.matrices.group = static_cast<uint32_t>(parse_uint(opt, v, 65536)); if (!p.matrices.group) throw Error("option --group: must be >= 1"); return true; }
  if (opt == "--embedding") { p.by_name["tok_embedding"] = parse_qspec(v); return true; }
  if (opt == "--classifier") { p.by_name["wcls"] = parse_qspec(v); p.separate_classifier = true; return true; }
  if (opt == "--tensor" || opt == "--layer") {
    auto eq = v.find('=');
    if (eq == std::string::npos) throw Error("option " + opt + ": expected NAME=PRECISION, got '" + v + "'");
    QSpec q = parse_qspec(v.substr(eq + 1));
    if (opt == "--tensor") p.by_name[v.substr(0, eq)] = q;
    else p.by_layer[static_cast<uint32_t>(parse_uint(opt, v.substr(0, eq), 65535))] = q;
    return true;
  }
  return false;
}
inline const char *quant_help() {
  return "  --weights P          precision of every weight matrix: fp32 | int8 | int4 | int2, optionally\n"
         "                       :GROUP[:affine][:clip|:mse|:gptq] (e.g. int4:32, int2:16:affine:mse:gptq) [int8:32]\n"
         "  --group G            default group size [32]\n"
         "  --embedding P        token embedding precision (default: --weights)\n"
         "  --classifier P       store a separate classifier with precision P\n"
         "  --tensor NAME=P      per-kind override: wq wk wv wo w1 w2 w3 expert.w1 ... tok_embedding\n"
         "  --layer N=P          every matrix of layer N\n";
}
}  // namespace tllm_cli
