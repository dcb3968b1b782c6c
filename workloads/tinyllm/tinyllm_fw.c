/* tinyllm firmware: generates text with the model image the simulator placed in memory (blob 0,
 * `mcucim run --load model.img@ADDR --args "..."`).
 *   -n steps [256]  -i prompt words... [""] (every word up to the next option)  -t temperature [0 = greedy]  -p top-p [0.9]  -s seed [1]
 *   -b scalar|xmac|cim [scalar]  -k (INT8 KV cache)  -x (skip the image checksum)
 * Output (same format as tinyllm-host): the text, then "ids: ..." and "logits_fnv: 0x........".
 * Exit codes: 0 ok, 2 bad arguments or no/invalid model image, 3 does not fit RAM / prompt too long,
 * 4 backend not available. Regions: token > embed/attention/ffn/classifier (see tinyllm.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcucim/blob.h"
#include "mcucim/simctrl.h"
#include "tinyllm/tinyllm.h"
#include "xmac.h"

#ifndef TLLM_ARENA_BYTES
#define TLLM_ARENA_BYTES (448u * 1024u)
#endif
static uint8_t arena[TLLM_ARENA_BYTES] __attribute__((aligned(16)));

static char prompt_buf[1024];

static int fail(int code, const char *what, const char *msg) {
  printf("\ntinyllm: error: %s%s%s\n", what, (what[0] && msg[0]) ? ": " : "", msg);
  return code;
}

static int parse_u32(const char *s, uint32_t *out) {
  if (!s || !*s) return 0;
  uint32_t v = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > 429496728u) return 0;
    v = v * 10u + (uint32_t)(*s - '0');
  }
  *out = v;
  return 1;
}

/* non-negative decimal "12", "0.8", ".9" */
static int parse_float(const char *s, float *out) {
  if (!s || !*s) return 0;
  float v = 0.0f, scale = 1.0f;
  int frac = 0, digits = 0;
  for (; *s; s++) {
    if (*s == '.' && !frac) { frac = 1; continue; }
    if (*s < '0' || *s > '9') return 0;
    digits++;
    if (frac) { scale /= 10.0f; v += (float)(*s - '0') * scale; }
    else v = v * 10.0f + (float)(*s - '0');
  }
  *out = v;
  return digits > 0;
}

int main(int argc, char **argv) {
  uint32_t steps = 256, seed = 1;
  float temperature = 0.0f, topp = 0.9f;
  const char *prompt = "";
  tllm_backend backend = TLLM_BACKEND_SCALAR;
  int kv_int8 = 0;
  unsigned open_flags = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-k")) { kv_int8 = 1; continue; }
    if (!strcmp(a, "-x")) { open_flags |= TLLM_OPEN_SKIP_CHECKSUM; continue; }
    if (i + 1 >= argc) return fail(2, "option needs a value", a);
    const char *v = argv[++i];
    if (!strcmp(a, "-n")) { if (!parse_u32(v, &steps) || !steps) return fail(2, "-n expects a positive integer, got", v); }
    else if (!strcmp(a, "-i")) {
      /* the semihosting command line is split at spaces (no quoting): the prompt is every word up
       * to the next option */
      size_t used = 0;
      for (;;) {
        size_t L = strlen(v);
        if (used + L + 2u > sizeof prompt_buf) return fail(2, "-i", "prompt longer than 1023 bytes");
        if (used) prompt_buf[used++] = ' ';
        memcpy(prompt_buf + used, v, L + 1u);
        used += L;
        if (i + 1 >= argc || argv[i + 1][0] == '-') break;
        v = argv[++i];
      }
      prompt = prompt_buf;
    }
    else if (!strcmp(a, "-t")) { if (!parse_float(v, &temperature)) return fail(2, "-t expects a number >= 0, got", v); }
    else if (!strcmp(a, "-p")) { if (!parse_float(v, &topp)) return fail(2, "-p expects a number, got", v); }
    else if (!strcmp(a, "-s")) { if (!parse_u32(v, &seed)) return fail(2, "-s expects an integer, got", v); }
    else if (!strcmp(a, "-b")) {
      if (!strcmp(v, "scalar")) backend = TLLM_BACKEND_SCALAR;
      else if (!strcmp(v, "xmac")) backend = TLLM_BACKEND_XMAC;
      else if (!strcmp(v, "cim")) backend = TLLM_BACKEND_CIM;
      else return fail(2, "-b expects scalar, xmac or cim, got", v);
    } else return fail(2, "unknown option (expected -n -i -t -p -s -b -k -x)", a);
  }

  uint32_t addr = 0, size = 0;
  if (!sim_blob(0, &addr, &size))
    return fail(2, "no model image", "run with `mcucim run --load model.img@ADDR` (blob 0 is empty)");
  tllm_error err;
  tllm_model model;
  if (tllm_model_open(&model, (const void *)(uintptr_t)addr, size, open_flags, &err) != TLLM_OK)
    return fail(2, "", err.msg);
  if (backend == TLLM_BACKEND_XMAC && !xmac_present())
    return fail(4, "backend xmac", "this core does not implement Xmac (use a config with core.isa ..._xmac or -b scalar)");

  /* prompt tokens live at the end of the arena; the plan gets the rest */
  size_t plen = strlen(prompt);
  if (steps > model.seq_len) steps = model.seq_len;
  /* prompt tokens (plen + 3) and generated ids (steps) are kept at the end of the arena */
  size_t tok_bytes = ((plen + 3u + steps) * sizeof(int32_t) + 15u) & ~(size_t)15u;
  if (tok_bytes >= sizeof arena) return fail(3, "prompt", "too long for the RAM arena");
  int32_t *tokens = (int32_t *)(void *)(arena + sizeof arena - tok_bytes);
  int32_t *ids = tokens + plen + 3u;
  tllm_config cfg = {steps, kv_int8};
  tllm_plan plan;
  if (tllm_plan_memory(&plan, &model, &cfg, sizeof arena - tok_bytes, &err) != TLLM_OK)
    return fail(3, "memory plan", err.msg);
  tllm_state st;
  if (tllm_state_init(&st, &model, &plan, arena, sizeof arena - tok_bytes, backend, &err) != TLLM_OK)
    return fail(err.code == TLLM_E_BACKEND ? 4 : 3, "state", err.msg);
  uint32_t n = 0;
  if (tllm_encode(&model, prompt, 1, 0, tokens, (uint32_t)(plen + 3u), &n, &err) != TLLM_OK)
    return fail(2, "prompt", err.msg);
  if (n > steps) {
    tllm_errorf(&err, TLLM_E_PROMPT_TOO_LONG, "prompt is %u tokens (with BOS), more than the %u positions (-n, seq_len %u)", n, steps, model.seq_len);
    return fail(3, "prompt", err.msg);
  }
  tllm_sampler sp;
  tllm_sampler_init(&sp, model.vocab_size, temperature, topp, seed, st.probidx);
  tllm_regions_name();

  uint32_t hash = TLLM_FNV_OFFSET, produced = 0;
  int32_t token = tokens[0];
  char bb[2];
  for (uint32_t pos = 0; pos < steps; pos++) {
    float *logits = tllm_forward(&st, (uint32_t)token, pos);
    hash = tllm_logits_hash(hash, logits, model.vocab_size);
    int32_t next = pos + 1u < n ? tokens[pos + 1u] : (int32_t)tllm_sample(&sp, logits);
    sim_token((uint32_t)next);
    if (next == (int32_t)model.hdr->bos_id) break;
    ids[produced++] = next;
    fputs(tllm_decode(&model, token, next, bb), stdout);
    token = next;
  }
  printf("\nids:");
  for (uint32_t i = 0; i < produced; i++) printf(" %ld", (long)ids[i]);
  printf("\nlogits_fnv: 0x%08lx\n", (unsigned long)hash);
  return 0;
}
