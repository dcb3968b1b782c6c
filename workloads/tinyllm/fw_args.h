/* Argument parsing and error reporting shared by the tinyllm firmware programs (tinyllm_fw.c: one MCU,
 * tinyllm_par.c: one rank of a multi-MCU system). Bare-metal C: no strtoul/strtof (picolibc's pull in
 * locale tables), only what the options need. */
#ifndef TINYLLM_FW_ARGS_H
#define TINYLLM_FW_ARGS_H

#include <stdint.h>
#include <stdio.h>

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

#endif
