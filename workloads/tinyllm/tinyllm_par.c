/* tinyllm split across the MCUs of a system (issue 15; docs/SYSTEM.md): every MCU runs this program
 * with its rank, each holding the model image (blob 0) and computing its share; activations move over
 * the link endpoints of configs/mcu-*-link.yaml (link0 at 0x13000000 sends to the next rank, link1 at
 * 0x13001000 receives from the previous one; ring topology: the last rank's link0 reaches rank 0).
 *   -R rank -N size   this MCU's place (ranks 0..N-1)
 *   -M pp             pipeline parallel: rank r computes layers [r L / N, (r + 1) L / N); rank 0 embeds the
 *                     token, every rank sends its output activation (dim floats, with the position and
 *                     flags) to the next, the last rank computes the logits and returns the next token to
 *                     rank 0 (decode positions only: prompt positions flow through the pipeline without
 *                     waiting for a reply)
 *   -M tp             tensor parallel (tllm_forward_tp): every rank computes its kv heads' attention and a
 *                     slice of the rows of wo, w1/w3, w2 and the classifier; a ring all-gather joins the
 *                     slices after each (4 per layer and the logits), so every rank has the same x and
 *                     logits and samples the same token. The MCU count must divide the kv heads.
 *   -A                with -M tp and greedy decoding (-t 0): the logits are not gathered; every rank sends
 *                     its slice's (max, index) and all pick the first maximum (tllm_tp_argmax): the same
 *                     ids; no logits checksum (no rank holds them all)
 *   -n steps [256]  -i prompt words...  -t temperature [0]  -p top-p [0.9]  -s seed [1]
 *   -b scalar|xmac [scalar]  -k (INT8 KV cache)  -x (skip the image checksum)
 * Output: rank 0 prints the text and "ids: ..." (the same ids as tinyllm-host and tinyllm.elf), the last
 * rank "logits_fnv: 0x........" over the same positions (N = 1: both on rank 0); every rank
 * "METRIC link_bytes_sent=B link_messages_sent=M". Messages longer than a link's MTU (LoRa: 255 bytes)
 * are sent in MTU-sized pieces. Regions: startup, prefill, decode (each rank marks one token per
 * position it computes, so a rank's decode token is the whole system's token period), token > ...
 * Exit codes: 0 ok, 2 bad arguments or image, 3 does not fit RAM / prompt too long, 4 backend
 * missing, 7 link error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcucim/blob.h"
#include "mcucim/link.h"
#include "mcucim/simctrl.h"
#include "tinyllm/tinyllm.h"
#include "xmac.h"
#include "fw_args.h"

#define LINK_OUT 0x13000000u
#define LINK_IN 0x13001000u
#define MSG_PREFILL 1u
#define MSG_STOP 2u

#ifndef TLLM_ARENA_BYTES
#define TLLM_ARENA_BYTES (440u * 1024u)
#endif
static uint8_t arena[TLLM_ARENA_BYTES] __attribute__((aligned(16)));
static uint32_t msg[2 + 4096] __attribute__((aligned(16))); /* pos, flags, then dim floats */
static uint64_t sent_bytes, sent_messages;

/* n bytes to the next rank, in pieces of at most the link's MTU */
static int send_all(const void *p, uint32_t n) {
  const uint8_t *b = (const uint8_t *)p;
  uint32_t mtu = link_read(LINK_OUT, LINK_MTU);
  if (!mtu) return -1;
  while (n) {
    uint32_t k = n < mtu ? n : mtu;
    if (link_send(LINK_OUT, b, k)) return -1;
    sent_bytes += k;
    sent_messages++;
    b += k;
    n -= k;
  }
  return 0;
}

/* n bytes from the previous rank (the pieces it sent, in order) */
static int recv_all(void *p, uint32_t n) {
  uint8_t *b = (uint8_t *)p;
  while (n) {
    uint32_t err = 0, k = link_recv(LINK_IN, b, n, &err);
    if (err || !k) return -1;
    b += k;
    n -= k;
  }
  return 0;
}

/* Ring all-gather (tllm_gather_fn): in step k each rank sends the slice it got in step k - 1 (first its
 * own) to the next rank and receives the previous rank's; after size - 1 steps every rank has them all. */
static uint32_t g_rank, g_size;
static int g_gather_failed;
static void ring_gather(void *ctx, float *v, const uint32_t *b) {
  (void)ctx;
  sim_region_begin(0x7fff0010u);
  for (uint32_t k = 0; k + 1u < g_size && !g_gather_failed; k++) {
    uint32_t sc = (g_rank + g_size - k) % g_size, rc = (g_rank + g_size - k - 1u) % g_size;
    if (send_all(v + b[sc], (b[sc + 1u] - b[sc]) * 4u) || recv_all(v + b[rc], (b[rc + 1u] - b[rc]) * 4u)) g_gather_failed = 1;
  }
  sim_region_end(0x7fff0010u);
}

static int link_failed(const char *what, uint32_t pos) {
  printf("\ntinyllm: error: link %s failed at position %lu\n", what, (unsigned long)pos);
  return 7;
}

/* Tensor parallel generation: every rank runs the single-MCU loop on tllm_forward_tp (all have the
 * logits); rank 0 prints the text, ids and logits checksum. */
static int run_tp(tllm_state *st, const tllm_model *model, tllm_sampler *sp, const int32_t *tokens, int32_t *ids,
                  uint32_t n, uint32_t steps, int argmax) {
  uint32_t hash = TLLM_FNV_OFFSET, produced = 0;
  int32_t token = tokens[0];
  char bb[2];
  int first = g_rank == 0;
  sim_region_end(SIM_REGION_STARTUP);
  if (n > 1u) sim_region_begin(SIM_REGION_PREFILL);
  for (uint32_t pos = 0; pos < steps; pos++) { /* n <= steps: position n - 1 (the first decode one) comes */
    if (pos + 1u == n) {
      if (n > 1u) sim_region_end(SIM_REGION_PREFILL);
      sim_region_begin(SIM_REGION_DECODE);
    }
    float *logits = tllm_forward_tp(st, (uint32_t)token, pos);
    if (!logits) return fail(2, "forward", "bad arguments");
    if (g_gather_failed) return link_failed("all-gather", pos);
    if (!argmax) hash = tllm_logits_hash(hash, logits, model->vocab_size);
    int32_t next = pos + 1u < n ? tokens[pos + 1u]
                   : argmax ? (int32_t)tllm_logits_argmax(st, logits) : (int32_t)tllm_sample(sp, logits);
    sim_token((uint32_t)next);
    if (pos + 1u >= n && next == (int32_t)model->hdr->bos_id) break;
    ids[produced++] = next;
    if (first) fputs(tllm_decode(model, token, next, bb), stdout);
    token = next;
  }
  sim_region_end(SIM_REGION_DECODE);
  if (first) {
    printf("\nids:");
    for (uint32_t i = 0; i < produced; i++) printf(" %ld", (long)ids[i]);
    if (argmax) printf("\n");
    else printf("\nlogits_fnv: 0x%08lx\n", (unsigned long)hash);
  }
  printf("METRIC link_bytes_sent=%llu link_messages_sent=%llu\n", (unsigned long long)sent_bytes, (unsigned long long)sent_messages);
  return 0;
}

int main(int argc, char **argv) {
  fw_opts o = fw_opts_default(0);
  uint32_t rank = 0, size = 1;
  const char *mode = "pp";
  int argmax = 0;
  sim_name_phases();
  sim_region_begin(SIM_REGION_STARTUP);
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-A")) { argmax = 1; continue; }
    int rc = fw_common_option(&o, argc, argv, &i);
    if (rc != FW_OPT_OTHER) { if (rc) return rc; continue; }
    const char *a = argv[i];
    if (i + 1 >= argc) return fail(2, "option needs a value", a);
    const char *v = argv[++i];
    if (!strcmp(a, "-R")) { if (!parse_u32(v, &rank)) return fail(2, "-R expects a rank, got", v); }
    else if (!strcmp(a, "-N")) { if (!parse_u32(v, &size) || !size) return fail(2, "-N expects the number of MCUs, got", v); }
    else if (!strcmp(a, "-M")) mode = v;
    else return fail(2, "unknown option (expected -R -N -M -A -n -i -t -p -s -b -k -x)", a);
  }
  if (rank >= size) return fail(2, "-R", "the rank must be below -N");
  int tp = !strcmp(mode, "tp");
  if (!tp && strcmp(mode, "pp")) return fail(2, "-M expects pp or tp, got", mode);
  if (argmax && (!tp || o.temperature != 0.0f)) return fail(2, "-A", "the argmax exchange needs -M tp and greedy decoding (-t 0)");
  if (size > 1 && (link_read(LINK_OUT, LINK_ID) != 0x4C4E4B31u || link_read(LINK_IN, LINK_ID) != 0x4C4E4B31u))
    return fail(2, "links", "no link endpoints at 0x13000000/0x13001000 (use a config with them, e.g. configs/mcu-llm-link.yaml)");
  if (size > 1 && (link_read(LINK_OUT, LINK_KIND) == 0xffu || link_read(LINK_IN, LINK_KIND) == 0xffu))
    return fail(2, "links", "link0 or link1 is not connected (system.topology: ring)");

  uint32_t addr = 0, bytes = 0;
  if (!sim_blob(0, &addr, &bytes)) return fail(2, "no model image", "run with --load model.img@ADDR (blob 0 is empty)");
  tllm_error err;
  tllm_model model;
  if (tllm_model_open(&model, (const void *)(uintptr_t)addr, bytes, o.open_flags, &err) != TLLM_OK) return fail(2, "", err.msg);
  if (o.backend == TLLM_BACKEND_XMAC && !xmac_present()) return fail(4, "backend xmac", "this core does not implement Xmac");
  if (model.n_experts) return fail(2, "-M", "MoE models are not supported split across MCUs");
  if (!tp && size > model.n_layers) {
    tllm_errorf(&err, TLLM_E_ARG, "%u MCUs for %u layers: pipeline parallelism needs at least one layer per MCU", size, model.n_layers);
    return fail(2, "-N", err.msg);
  }
  if ((model.dim + 2u) * 4u > sizeof msg) return fail(3, "dim", "the activation message does not fit its buffer");
  const uint32_t l0 = rank * model.n_layers / size, l1 = (rank + 1u) * model.n_layers / size;
  const int first = rank == 0, last = rank + 1u == size;

  size_t plen = strlen(o.prompt);
  if (o.steps > model.seq_len) o.steps = model.seq_len;
  size_t tok_bytes = ((plen + 3u + o.steps) * sizeof(int32_t) + 15u) & ~(size_t)15u;
  if (tok_bytes >= sizeof arena) return fail(3, "prompt", "too long for the RAM arena");
  int32_t *tokens = (int32_t *)(void *)(arena + sizeof arena - tok_bytes);
  int32_t *ids = tokens + plen + 3u;
  /* temperature 0: argmax only, no top-p buffer (32000 x 8 bytes for a 32000-token vocabulary) */
  tllm_config cfg = {o.steps, o.kv_int8, 1, o.temperature == 0.0f, 1};
  tllm_plan plan;
  if (tllm_plan_memory(&plan, &model, &cfg, sizeof arena - tok_bytes, &err) != TLLM_OK) return fail(3, "memory plan", err.msg);
  tllm_state st;
  if (tllm_state_init(&st, &model, &plan, arena, plan.total, o.backend, &err) != TLLM_OK)
    return fail(err.code == TLLM_E_BACKEND ? 4 : 3, "state", err.msg);
  uint32_t n;
  tllm_sampler sp;
  int rc = fw_encode_prompt(&o, &model, &st, tokens, &n, &sp);
  if (rc) return rc;
  tllm_regions_name_model(&model);
  sim_region_name(0x7fff0010u, "allgather");
  if (tp) {
    g_rank = rank;
    g_size = size;
    if (tllm_tp_setup(&st, rank, size, ring_gather, 0, &err) != TLLM_OK) return fail(2, "-M tp", err.msg);
    if (tllm_tp_argmax(&st, argmax, &err) != TLLM_OK) return fail(2, "-A", err.msg);
    printf("rank %lu of %lu: heads %lu..%lu, row slices of every matrix\n", (unsigned long)rank, (unsigned long)size,
           (unsigned long)st.head0, (unsigned long)(st.head1 - 1u));
    return run_tp(&st, &model, &sp, tokens, ids, n, o.steps, argmax);
  }
  printf("rank %lu of %lu: layers %lu..%lu%s%s\n", (unsigned long)rank, (unsigned long)size, (unsigned long)l0,
         (unsigned long)(l1 - 1u), first ? ", embedding" : "", last ? ", classifier" : "");

  const uint32_t msg_bytes = (2u + model.dim) * 4u;
  uint32_t hash = TLLM_FNV_OFFSET, produced = 0, phase = 0; /* phase: 0 none, 1 prefill, 2 decode */
  int32_t token = tokens[0];
  char bb[2];
  sim_region_end(SIM_REGION_STARTUP);
  for (uint32_t pos = 0;; pos++) {
    uint32_t flags;
    float *x;
    if (first) {
      if (pos >= o.steps) flags = MSG_STOP;
      else flags = pos + 1u < n ? MSG_PREFILL : 0u;
    } else {
      if (recv_all(msg, msg_bytes)) return link_failed("receive", pos);
      flags = msg[1];
      if (!(flags & MSG_STOP) && msg[0] != pos) return link_failed("order", pos);
    }
    if (flags & MSG_STOP) {
      if (first && size > 1) { msg[0] = pos; msg[1] = MSG_STOP; if (send_all(msg, msg_bytes)) return link_failed("send", pos); }
      else if (!first && !last) { if (send_all(msg, msg_bytes)) return link_failed("send", pos); }
      break;
    }
    uint32_t want = flags & MSG_PREFILL ? 1u : 2u;
    if (want != phase) {
      if (phase) sim_region_end(phase == 1u ? SIM_REGION_PREFILL : SIM_REGION_DECODE);
      sim_region_begin(want == 1u ? SIM_REGION_PREFILL : SIM_REGION_DECODE);
      phase = want;
    }
    if (!first) memcpy(st.x, &msg[2], model.dim * 4u);
    x = tllm_forward_layers(&st, first ? (uint32_t)token : 0u, pos, l0, l1,
                            (first ? TLLM_LAYERS_EMBED : 0u) | (last ? TLLM_LAYERS_CLASSIFY : 0u));
    if (!x) return fail(2, "forward", "bad arguments");
    int32_t next = -1;
    if (last) {
      hash = tllm_logits_hash(hash, x, model.vocab_size);
      if (!(flags & MSG_PREFILL)) next = (int32_t)tllm_sample(&sp, x);
    } else {
      msg[0] = pos;
      msg[1] = flags;
      memcpy(&msg[2], x, model.dim * 4u);
      if (send_all(msg, msg_bytes)) return link_failed("send", pos);
    }
    if (last && !first && !(flags & MSG_PREFILL)) { /* the next token goes back to rank 0 */
      uint32_t reply = (uint32_t)next;
      if (send_all(&reply, 4u)) return link_failed("send", pos);
    }
    if (first) {
      if (flags & MSG_PREFILL) next = tokens[pos + 1u];
      else if (!last) {
        uint32_t reply = 0;
        if (recv_all(&reply, 4u)) return link_failed("receive", pos);
        next = (int32_t)reply;
      }
      sim_token((uint32_t)next);
      if (next == (int32_t)model.hdr->bos_id) { o.steps = pos + 1u; continue; } /* stop: the next pass sends STOP */
      ids[produced++] = next;
      fputs(tllm_decode(&model, token, next, bb), stdout);
      token = next;
    } else {
      sim_token(next < 0 ? 0u : (uint32_t)next);
    }
  }
  if (phase) sim_region_end(phase == 1u ? SIM_REGION_PREFILL : SIM_REGION_DECODE);
  if (first) {
    printf("\nids:");
    for (uint32_t i = 0; i < produced; i++) printf(" %ld", (long)ids[i]);
    printf("\n");
  }
  if (last) printf("logits_fnv: 0x%08lx\n", (unsigned long)hash);
  printf("METRIC link_bytes_sent=%llu link_messages_sent=%llu\n", (unsigned long long)sent_bytes, (unsigned long long)sent_messages);
  return 0;
}
