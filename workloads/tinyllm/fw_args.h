/* Argument parsing and error reporting shared by the tinyllm firmware programs (tinyllm_fw.c: one MCU,
 * tinyllm_par.c: one rank of a multi-MCU system). Bare-metal C: no strtoul/strtof (picolibc's pull in
 * locale tables), only what the options need. */
#ifndef TINYLLM_FW_ARGS_H
#define TINYLLM_FW_ARGS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tinyllm/tinyllm.h"

/* Prints "tinyllm: error: WHAT: MSG" on a line of its own and returns `code` (the program's exit code). */
static inline int fail(int code, const char *what, const char *msg) {
  printf("\ntinyllm: error: %s%s%s\n", what, (what[0] && msg[0]) ? ": " : "", msg);
  return code;
}

/* Decimal digits only, at most 4294967295; 0 on anything else. */
static inline int parse_u32(const char *s, uint32_t *out) {
  if (!s || !*s) return 0;
  uint32_t v = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > 429496728u) return 0;
    v = v * 10u + (uint32_t)(*s - '0');
  }
  *out = v;
  return 1;
}

/* Non-negative decimal "12", "0.8", ".9"; 0 on anything else. */
static inline int parse_float(const char *s, float *out) {
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

/* The options both programs take: -n steps -i prompt words... -t temperature -p top-p -s seed
 * -b backend -k (INT8 KV cache) -x (skip the image checksum). */
typedef struct fw_opts {
  uint32_t steps, seed;
  float temperature, topp;
  const char *prompt;
  tllm_backend backend;
  int kv_int8;
  unsigned open_flags;
  int cim_ok; /* -b cim accepted (tinyllm_fw.c) */
} fw_opts;

static inline fw_opts fw_opts_default(int cim_ok) {
  fw_opts o = {256u, 1u, 0.0f, 0.9f, "", TLLM_BACKEND_SCALAR, 0, 0u, cim_ok};
  return o;
}

#define FW_OPT_OTHER (-1) /* fw_common_option: argv[*i] is not one of the common options */

/* Parses argv[*i] if it is a common option, advancing *i over its value(s). Returns 0 when parsed,
 * FW_OPT_OTHER when it is not a common option (nothing consumed), else the exit code after printing
 * the error. The prompt of -i is every word up to the next option (the semihosting command line is
 * split at spaces, no quoting), kept in a static buffer of 1024 bytes. */
static inline int fw_common_option(fw_opts *o, int argc, char **argv, int *i) {
  static char prompt_buf[1024];
  const char *a = argv[*i];
  if (!strcmp(a, "-k")) { o->kv_int8 = 1; return 0; }
  if (!strcmp(a, "-x")) { o->open_flags |= TLLM_OPEN_SKIP_CHECKSUM; return 0; }
  if (a[0] != '-' || !a[1] || a[2] || !strchr("nitpsb", a[1])) return FW_OPT_OTHER;
  if (*i + 1 >= argc) return fail(2, "option needs a value", a);
  const char *v = argv[++*i];
  switch (a[1]) {
    case 'n': if (!parse_u32(v, &o->steps) || !o->steps) return fail(2, "-n expects a positive integer, got", v); break;
    case 't': if (!parse_float(v, &o->temperature)) return fail(2, "-t expects a number >= 0, got", v); break;
    case 'p': if (!parse_float(v, &o->topp)) return fail(2, "-p expects a number, got", v); break;
    case 's': if (!parse_u32(v, &o->seed)) return fail(2, "-s expects an integer, got", v); break;
    case 'b':
      if (!strcmp(v, "scalar")) o->backend = TLLM_BACKEND_SCALAR;
      else if (!strcmp(v, "xmac")) o->backend = TLLM_BACKEND_XMAC;
      else if (o->cim_ok && !strcmp(v, "cim")) o->backend = TLLM_BACKEND_CIM;
      else return fail(2, o->cim_ok ? "-b expects scalar, xmac or cim, got" : "-b expects scalar or xmac, got", v);
      break;
    default: { /* 'i' */
      size_t used = 0;
      for (;;) {
        size_t L = strlen(v);
        if (used + L + 2u > sizeof prompt_buf) return fail(2, "-i", "prompt longer than 1023 bytes");
        if (used) prompt_buf[used++] = ' ';
        memcpy(prompt_buf + used, v, L + 1u);
        used += L;
        if (*i + 1 >= argc || argv[*i + 1][0] == '-') break;
        v = argv[++*i];
      }
      o->prompt = prompt_buf;
    }
  }
  return 0;
}

/* Encodes the prompt of -i (with BOS) into `tokens` (room for strlen(prompt) + 3 ids), checks that it
 * fits the -n positions, and sets up the sampler from -t -p -s. Returns 0, else the exit code after
 * printing the error. */
static inline int fw_encode_prompt(const fw_opts *o, const tllm_model *model, const tllm_state *st, int32_t *tokens,
                                   uint32_t *n, tllm_sampler *sp) {
  tllm_error err;
  *n = 0;
  if (tllm_encode(model, o->prompt, 1, 0, tokens, (uint32_t)(strlen(o->prompt) + 3u), n, &err) != TLLM_OK)
    return fail(2, "prompt", err.msg);
  if (*n > o->steps) {
    tllm_errorf(&err, TLLM_E_PROMPT_TOO_LONG, "prompt is %u tokens (with BOS), more than the %u positions (-n, seq_len %u)",
                *n, o->steps, model->seq_len);
    return fail(3, "prompt", err.msg);
  }
  tllm_sampler_init(sp, model->vocab_size, o->temperature, o->topp, o->seed, st->probidx);
  return 0;
}

#endif
