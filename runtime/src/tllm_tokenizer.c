/* llama2.c's BPE tokenizer (encode with merge scores, byte fallback <0xXX>, decode) over the
 * tokenizer section of the image (sorted index precomputed by the packer: no RAM needed). */
#include <string.h>

#include "tinyllm/tinyllm.h"

const char *tllm_token_str(const tllm_model *m, uint32_t token) {
  return token < m->vocab_size ? m->tok_strings + m->tok_offsets[token] : "";
}

/* id of the token whose bytes equal str, or -1 (binary search over the sorted index) */
static int32_t lookup(const tllm_model *m, const char *str) {
  uint32_t lo = 0, hi = m->vocab_size;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2u;
    uint32_t id = m->tok_sorted[mid];
    int c = strcmp(str, m->tok_strings + m->tok_offsets[id]);
    if (c == 0) return (int32_t)id;
    if (c < 0) hi = mid; else lo = mid + 1u;
  }
  return -1;
}

tllm_status tllm_encode(const tllm_model *m, const char *text, int bos, int eos, int32_t *tokens,
                        uint32_t cap, uint32_t *n_out, tllm_error *err) {
  if (!text || !tokens || !n_out) { tllm_errorf(err, TLLM_E_ARG, "tllm_encode: NULL argument"); return TLLM_E_ARG; }
  size_t len = strlen(text);
  if ((uint64_t)len + 3u > cap) {
    tllm_errorf(err, TLLM_E_ARG, "tllm_encode: a %lu-byte text needs room for %lu tokens, buffer has %u", (unsigned long)len, (unsigned long)len + 3u, cap);
    return TLLM_E_ARG;
  }
  char buf[2u * TLLM_MAX_TOKEN_LENGTH_LIMIT + 3u];
  size_t str_len = 0;
  uint32_t n = 0;
  if (bos) tokens[n++] = (int32_t)m->hdr->bos_id;
  if (text[0] != '\0') {
    int32_t dummy = lookup(m, " ");
    if (dummy >= 0) tokens[n++] = dummy;
  }
  for (const char *c = text; *c != '\0'; c++) {
    /* a byte that is not a UTF-8 continuation byte starts a new codepoint */
    if ((*c & 0xC0) != 0x80) str_len = 0;
    buf[str_len++] = *c;
    buf[str_len] = '\0';
    /* keep appending while the next byte continues this codepoint (at most 4 bytes) */
    if ((*(c + 1) & 0xC0) == 0x80 && str_len < 4) continue;
    int32_t id = lookup(m, buf);
    if (id != -1) {
      tokens[n++] = id;
    } else {
      /* byte fallback: <0xXX> tokens are ids 3..258 (after <unk>, <s>, </s>) */
      for (size_t i = 0; i < str_len; i++) tokens[n++] = (int32_t)(uint8_t)buf[i] + 3;
    }
    str_len = 0;
  }
  /* merge the best-scoring adjacent pair until none can be merged */
  for (;;) {
    float best_score = -1e10f;
    int32_t best_id = -1;
    uint32_t best_idx = 0;
    for (uint32_t i = 0; i + 1u < n; i++) {
      const char *a = tllm_token_str(m, (uint32_t)tokens[i]);
      const char *b = tllm_token_str(m, (uint32_t)tokens[i + 1]);
      size_t la = strlen(a), lb = strlen(b);
      if (la + lb >= sizeof buf) continue;
      memcpy(buf, a, la);
      memcpy(buf + la, b, lb + 1);
      int32_t id = lookup(m, buf);
      if (id != -1 && m->tok_scores[id] > best_score) {
        best_score = m->tok_scores[id];
        best_id = id;
        best_idx = i;
      }
    }
    if (best_id == -1) break;
    tokens[best_idx] = best_id;
    for (uint32_t i = best_idx + 1u; i + 1u < n; i++) tokens[i] = tokens[i + 1];
    n--;
  }
  if (eos) tokens[n++] = (int32_t)m->hdr->eos_id;
  *n_out = n;
  return TLLM_OK;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

const char *tllm_decode(const tllm_model *m, int32_t prev, int32_t token, char byte_buf[2]) {
  if (token < 0 || (uint32_t)token >= m->vocab_size) return "";
  const char *piece = tllm_token_str(m, (uint32_t)token);
  if (prev == (int32_t)m->hdr->bos_id && piece[0] == ' ') piece++;
  /* raw byte tokens look like "<0x01>" */
  if (piece[0] == '<' && piece[1] == '0' && piece[2] == 'x' && piece[3] && piece[4] && piece[5] == '>' && piece[6] == '\0') {
    int hi = hexval(piece[3]), lo = hexval(piece[4]);
    if (hi >= 0 && lo >= 0) {
      byte_buf[0] = (char)(hi * 16 + lo);
      byte_buf[1] = '\0';
      return byte_buf;
    }
  }
  return piece;
}
