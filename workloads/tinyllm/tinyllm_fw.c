/* tinyllm firmware: generates text with the model image the simulator placed in memory (blob 0,
 * `mcucim run --load model.img@ADDR --args "..."`).
 *   -n steps [256]  -i prompt words... [""] (every word up to the next option)  -t temperature [0 = greedy]  -p top-p [0.9]  -s seed [1]
 *   -b scalar|xmac|cim [scalar]  -k (INT8 KV cache and quantized attention)  -x (skip the image checksum)
 *   -P N      batched prefill: the prompt's positions are computed N at a time (each weight read once
 *             per chunk of N), with the ids and logits of one position at a time [8, with -R 1; 1 = off]
 *   -R        copy the whole image into SRAM at start-up and read it there (when it fits beside the
 *             memory plan: no flash wait states on weight reads); not with -S/-E
 *   -c PLACE  tensors on the CIM macros (tllm_cim_parse_place: wq,wk,wv,wo,w1,w2,w3,wcls | attn | ffn |
 *             all | image [:LAYERS]); the others use -b (scalar or xmac). -b cim alone = -c image when
 *             the image flags tensors for CIM, else -c all, with the scalar kernels for the rest.
 *   -m N      CIM macros available: at CIM_DEFAULT_BASE + i * CIM_DEFAULT_STRIDE, i < N [6]
 *   -W on|off CIM: program the image's ADC windows for these macros (mcucim-pack --cim-windows) [off]
 *   -G on|off CIM: power-gate each tensor's macros while other tensors run (tllm_cim.h) [off]
 *   -a N      teacher-forced agreement over N positions with the reference ids of blob 1 (the second
 *             --load: text ids separated by white space, e.g. ../shared/oracles/<name>.ids): feeds BOS then
 *             ref[0..N-2], prints "ids:" (the argmax per position), "logits_fnv:", and
 *             "METRIC agreement=<fraction> positions=N". In generation mode a blob 1
 *             gives "METRIC ids_equal_ref=0|1 first_diff=<position or -1>".
 *   -S BYTES|auto  weight streaming (runtime/STREAMING.md): every weight matrix is copied by the DMA engine
 *             into two SRAM buffers of BYTES/2 each (auto: each the size of the largest matrix), double-
 *             buffered; for images in external flash. Prints "METRIC stream_bytes=... stream_blocks=...
 *             stream_prefetched=... dma_waits=...". Not with CIM.
 *   -E K      MoE: keep the K most recently used routed experts in SRAM (LRU), DMA on a miss.
 *   -r        MoE: print "routes: L:E ..." (layer:expert of every routed use, in order).
 *   -T N      split the forward pass across N harts of the cluster (docs/CLUSTER.md, tllm_cluster.h; 1..8,
 *             at most the cluster's harts; not with CIM or -S/-E): matrix rows, attention heads, FFN
 *             rows and quantization groups per hart, a barrier between steps; the same ids and logits
 *             as -T 1. (-t is the temperature, so harts are -T.) Worker stacks come off the arena.
 * Output (same format as tinyllm-host): the text, then "ids: ..." and "logits_fnv: 0x........"; MoE
 * images add "experts: <calls of expert 0> <1> ..." and "METRIC expert_uses=U expert_hits=H
 * expert_misses=M expert_bytes_read=B" (B: bytes of routed experts' weights read from the image).
 * Exit codes: 0 ok, 2 bad arguments or no/invalid model image, 3 does not fit RAM / prompt too long,
 * 4 backend not available, 5 CIM: not enough macros, a macro error or windows missing from the image,
 * 6 DMA error while streaming.
 * Regions: token (one position) or chunk (a batched prefill call) > embed, attention > qkv/scores/
 * softmax/weighted_sum/out_proj, ffn, classifier (see tinyllm.h); dma_wait (CPU waiting for a weight
 * DMA); expert<E> per routed expert (inside ffn, MACs declared). Phases (mcucim/simctrl.h): startup
 * (main up to the first position), prefill (positions whose input is a prompt token and whose output
 * is the next prompt token, in chunks of -P; teacher-forced positions with -a), decode (positions that
 * produce a generated token); every position counts as one token (a chunk's mark stands for its
 * positions), so the report counts start-up in no token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcucim/blob.h"
#include "mcucim/cluster.h"
#include "mcucim/dma.h"
#include "mcucim/simctrl.h"
#include "tinyllm/tinyllm.h"
#include "tinyllm/tllm_cim.h"
#include "tinyllm/tllm_cluster.h"
#include "tinyllm/tllm_stream.h"
#include "xmac.h"
#include "fw_args.h"

#ifndef TLLM_ARENA_BYTES
#define TLLM_ARENA_BYTES (472u * 1024u)
#endif
static uint8_t arena[TLLM_ARENA_BYTES] __attribute__((aligned(16)));

/* -T: the cluster's harts run the forward pass's jobs (tllm_cluster.h). Hart 0 publishes a job and
 * releases the workers at a barrier; every hart then runs each step on its part with a barrier after
 * it. Workers wait at the release barrier (clock-gated) between jobs. */
#define FW_MAX_HARTS 8u
#define FW_WORKER_STACK 2048u /* bytes per worker hart, taken from the end of the arena */
static tllm_cluster cluster_ctx;
static volatile tllm_step_fn job_fn;
static void *volatile job_ctx;
static volatile uint32_t job_steps;
/* Greedy decode: hart 1 hashes the logits (logits_fnv) of one forward pass during the next one, a slice
 * after each of its steps but the last (the classifier, the only step that writes the logits:
 * tllm_cluster.h), in order: the same hash, off hart 0's path. */
static volatile uint32_t job_hash, pending_hash;
static uint32_t worker_hash;           /* hart 1's running hash (hart 0 reads it after hash_flush_step's job) */
static const float *volatile hash_logits;
static volatile uint32_t hash_n;

static void worker(uint32_t hart) {
  for (;;) {
    cluster_barrier(); /* a job is published */
    const tllm_step_fn fn = job_fn;
    void *ctx = job_ctx;
    const uint32_t n = job_steps, parts = cluster_ctx.parts, do_hash = job_hash && hart == 1u;
    /* the previous logits in slices after steps 0..n-2 (a forward pass's job has at least 3 steps) */
    const uint32_t slice = do_hash && n > 1u ? (hash_n + n - 2u) / (n - 1u) : 0u;
    uint32_t done = 0;
    for (uint32_t i = 0; i < n; i++) {
      fn(ctx, i, hart, parts);
      if (done < hash_n && slice && i + 1u < n) {
        const uint32_t k = hash_n - done < slice ? hash_n - done : slice;
        worker_hash = tllm_logits_hash(worker_hash, hash_logits + done, k);
        done += k;
      }
      cluster_barrier();
    }
  }
}

/* a one-step job: hart 1 hashes the last logits (the barrier after the step waits for it) */
static void hash_flush_step(void *ctx, uint32_t step, uint32_t part, uint32_t parts) {
  (void)ctx; (void)step; (void)parts;
  if (part == 1u) worker_hash = tllm_logits_hash(worker_hash, hash_logits, hash_n);
}

static void cluster_run(const tllm_cluster *c, tllm_step_fn fn, void *ctx, uint32_t nsteps) {
  job_fn = fn;
  job_ctx = ctx;
  job_steps = nsteps;
  job_hash = pending_hash;
  pending_hash = 0;
  cluster_barrier();
  for (uint32_t i = 0; i < nsteps; i++) {
    fn(ctx, i, 0, c->parts);
    cluster_barrier();
  }
}
#define MAX_MACROS 256u
static cim_macro macros[MAX_MACROS];
static tllm_cim cim_ctx;
static tllm_stream stream_ctx;

/* "%lu.%06lu" of agree/n, rounded to nearest (host tinyllm-host prints the same digits) */
static void print_fraction(uint32_t agree, uint32_t n) {
  uint64_t micro = n ? ((uint64_t)agree * 1000000u + n / 2u) / n : 0u;
  printf("%lu.%06lu", (unsigned long)(micro / 1000000u), (unsigned long)(micro % 1000000u));
}

/* text ids separated by white space; returns how many were stored (at most cap), -1 on a bad byte */
static int32_t parse_ids(const char *p, uint32_t size, int32_t *ids, uint32_t cap) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < size && n < cap;) {
    char ch = p[i];
    if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t' || ch == '\0') { i++; continue; }
    if (ch < '0' || ch > '9') return -1;
    int32_t v = 0;
    while (i < size && p[i] >= '0' && p[i] <= '9') { v = v * 10 + (p[i] - '0'); i++; }
    ids[n++] = v;
  }
  return (int32_t)n;
}

static int stream_failed(uint32_t pos) {
  printf("\ntinyllm: error: weight DMA failed with error %d at position %lu (%s)\n", tllm_stream_error(&stream_ctx),
         (unsigned long)pos, tllm_stream_error(&stream_ctx) == DMA_ERR_BUS ? "source or destination not mapped" : "see mcucim/dma.h");
  return 6;
}

/* MoE routing and streaming statistics (the same lines as tinyllm-host prints) */
static void print_stats(const tllm_state *st, int use_stream) {
  const tllm_model *m = st->m;
  if (use_stream) tllm_stream_finish(&stream_ctx); /* the speculative prefetch of the next token lands */
  if (m->n_experts) {
    if (st->route_log) {
      printf("routes:");
      for (uint32_t i = 0; i < st->route_n; i++) printf(" %lu:%lu", (unsigned long)(st->route_log[i] >> 16), (unsigned long)(st->route_log[i] & 0xffffu));
      printf("\n");
    }
    printf("experts:");
    for (uint32_t e = 0; e < m->n_experts; e++) printf(" %lu", (unsigned long)st->expert_calls[e]);
    printf("\nMETRIC expert_uses=%llu expert_hits=%llu expert_misses=%llu expert_bytes_read=%llu\n",
           (unsigned long long)st->expert_uses, (unsigned long long)st->expert_hits,
           (unsigned long long)st->expert_misses, (unsigned long long)st->expert_bytes_read);
  }
  if (use_stream && stream_ctx.streaming)
    printf("METRIC stream_bytes=%llu stream_blocks=%llu stream_prefetched=%llu dma_waits=%llu\n",
           (unsigned long long)stream_ctx.bytes_streamed, (unsigned long long)stream_ctx.blocks,
           (unsigned long long)stream_ctx.prefetch_hits, (unsigned long long)stream_ctx.waits);
}

int main(int argc, char **argv) {
  fw_opts o = fw_opts_default(1);
  const char *place_spec = 0;
  uint32_t n_macros = 6, agree_n = 0, chunk = 0; /* chunk 0: the default below */
  int cim_windows = 0, cim_gate = 0;
  tllm_stream_config scfg = {0, 0};
  int print_routes = 0, image_in_ram = 0;
  uint32_t harts = 1;
  sim_name_phases();
  sim_region_begin(SIM_REGION_STARTUP);
  for (int i = 1; i < argc; i++) {
    int rc = fw_common_option(&o, argc, argv, &i);
    if (rc != FW_OPT_OTHER) { if (rc) return rc; continue; }
    const char *a = argv[i];
    if (!strcmp(a, "-r")) { print_routes = 1; continue; }
    if (!strcmp(a, "-R")) { image_in_ram = 1; continue; }
    if (i + 1 >= argc) return fail(2, "option needs a value", a);
    const char *v = argv[++i];
    if (!strcmp(a, "-c")) place_spec = v;
    else if (!strcmp(a, "-W") || !strcmp(a, "-G")) {
      int on = !strcmp(v, "on");
      if (!on && strcmp(v, "off")) return fail(2, a[1] == 'W' ? "-W expects on or off, got" : "-G expects on or off, got", v);
      if (a[1] == 'W') cim_windows = on; else cim_gate = on;
    }
    else if (!strcmp(a, "-m")) { if (!parse_u32(v, &n_macros) || n_macros > MAX_MACROS) return fail(2, "-m expects the number of CIM macros (0..256), got", v); }
    else if (!strcmp(a, "-S")) {
      if (!strcmp(v, "auto")) scfg.buffer_bytes = TLLM_STREAM_AUTO;
      else if (!parse_u32(v, &scfg.buffer_bytes) || !scfg.buffer_bytes || scfg.buffer_bytes == TLLM_STREAM_AUTO)
        return fail(2, "-S expects the bytes of the two weight buffers together, or auto; got", v);
    }
    else if (!strcmp(a, "-E")) { if (!parse_u32(v, &scfg.expert_slots)) return fail(2, "-E expects a number of expert slots, got", v); }
    else if (!strcmp(a, "-P")) { if (!parse_u32(v, &chunk) || !chunk) return fail(2, "-P expects a positive number of prompt positions per chunk, got", v); }
    else if (!strcmp(a, "-T")) { if (!parse_u32(v, &harts) || !harts || harts > FW_MAX_HARTS) return fail(2, "-T expects a number of harts (1..8), got", v); }
    else if (!strcmp(a, "-a")) { if (!parse_u32(v, &agree_n) || !agree_n) return fail(2, "-a expects a positive number of positions, got", v); }
    else return fail(2, "unknown option (expected -n -i -t -p -s -b -c -m -W -G -a -k -x -P -R -S -E -r -T)", a);
  }

  uint32_t addr = 0, size = 0;
  if (!sim_blob(0, &addr, &size))
    return fail(2, "no model image", "run with `mcucim run --load model.img@ADDR` (blob 0 is empty)");
  tllm_error err;
  tllm_model model;
  if (tllm_model_open(&model, (const void *)(uintptr_t)addr, size, o.open_flags, &err) != TLLM_OK)
    return fail(2, "", err.msg);
  if (o.backend == TLLM_BACKEND_XMAC && !xmac_present())
    return fail(4, "backend xmac", "this core does not implement Xmac (use a config with core.isa ..._xmac or -b scalar)");
  /* CIM placement: -c, or -b cim (image flags, else everything); -b gives the kernels of the rest */
  tllm_cim_place place;
  int use_cim = place_spec != 0 || o.backend == TLLM_BACKEND_CIM;
  if (place_spec) {
    if (tllm_cim_parse_place(place_spec, &place, &err) != TLLM_OK) return fail(2, "-c", err.msg);
  } else if (o.backend == TLLM_BACKEND_CIM) {
    int flagged = 0;
    for (uint32_t i = 0; i < model.hdr->n_tensors; i++) flagged |= (model.table[i].flags & TLLM_TFLAG_CIM) != 0;
    tllm_cim_parse_place(flagged ? "image" : "all", &place, &err);
  }
  tllm_backend fallback = o.backend == TLLM_BACKEND_CIM ? TLLM_BACKEND_SCALAR : o.backend;
  if (use_cim && scfg.buffer_bytes) return fail(2, "-S", "weight streaming is not combined with CIM (-b cim / -c): the CIM tensors are programmed once from the image");
  if (harts > 1u && (use_cim || scfg.buffer_bytes || scfg.expert_slots))
    return fail(2, "-T", "several harts are not combined with CIM (-b cim / -c) or weight streaming (-S / -E)");
  if (harts > 1u && cluster_harts() < harts)
    return fail(2, "-T", "more harts than the cluster has (soc.core.count, the event unit's HARTS register)");
  /* worker stacks at the very end of the arena; the rest as before */
  const size_t arena_bytes = sizeof arena - (size_t)(harts - 1u) * FW_WORKER_STACK;

  /* reference ids (blob 1) */
  uint32_t ref_addr = 0, ref_size = 0;
  int have_ref = sim_blob(1, &ref_addr, &ref_size);
  if (agree_n && !have_ref)
    return fail(2, "-a", "no reference ids: load them as the second blob (`--load model@A --load ref.ids@B`)");
  if (agree_n) o.steps = agree_n;

  /* prompt tokens live at the end of the arena; the plan gets the rest */
  size_t plen = strlen(o.prompt);
  if (o.steps > model.seq_len) o.steps = model.seq_len;
  /* prompt tokens (plen + 3) and generated ids (steps) are kept at the end of the arena */
  /* reference ids (steps) follow the generated ones */
  size_t tok_bytes = ((plen + 3u + 2u * o.steps) * sizeof(int32_t) + 15u) & ~(size_t)15u;
  size_t cim_bytes = use_cim ? tllm_cim_mem_bytes(&model, &place) : 0u;
  if (tok_bytes + cim_bytes >= arena_bytes) return fail(3, "prompt", "too long for the RAM arena");
  int32_t *tokens = (int32_t *)(void *)(arena + arena_bytes - tok_bytes);
  int32_t *ids = tokens + plen + 3u;
  int32_t *ref = ids + o.steps;
  int32_t n_ref = 0;
  if (have_ref) {
    n_ref = parse_ids((const char *)(uintptr_t)ref_addr, ref_size, ref, o.steps);
    if (n_ref < 0) return fail(2, "reference ids (blob 1)", "expected decimal token ids separated by white space");
    if (agree_n && (uint32_t)n_ref < o.steps) o.steps = (uint32_t)n_ref;
    if (!o.steps) return fail(2, "reference ids (blob 1)", "no ids");
  }
  tok_bytes += cim_bytes;
  uint32_t route_cap = print_routes && model.n_experts ? o.steps * model.n_layers * model.top_k : 0u;
  tok_bytes += ((size_t)route_cap * 4u + 15u) & ~(size_t)15u;
  if (tok_bytes >= arena_bytes) return fail(3, "-r", "the routing log does not fit the RAM arena (fewer steps)");
  uint32_t *route_log = (uint32_t *)(void *)(arena + arena_bytes - tok_bytes);
  /* prefill chunks hold prompt positions 0..n-2 (n prompt tokens with BOS, at most plen + 2): plan for
   * no more than the prompt can use */
  /* default: 8 with the image read in place from flash (a chunk saves the weight reads' wait states);
   * 1 with -R (from SRAM a weight read costs one cycle and the batched kernels' extra instructions
   * cost more than they save) */
  if (!chunk) chunk = image_in_ram ? 1u : 8u;
  if (agree_n || chunk > plen + 1u) chunk = agree_n ? 1u : (uint32_t)plen + 1u;
  tllm_config cfg = {o.steps, o.kv_int8, chunk, 0, harts};
  tllm_plan plan;
  if (tllm_plan_memory(&plan, &model, &cfg, arena_bytes - tok_bytes, &err) != TLLM_OK)
    return fail(3, "memory plan", err.msg);
  /* weight buffers and expert cache: right after the plan's regions */
  size_t stream_bytes = 0;
  int use_stream = scfg.buffer_bytes || scfg.expert_slots;
  if (use_stream && tllm_stream_size(&model, &scfg, arena_bytes - tok_bytes - plan.total, &stream_bytes, &err) != TLLM_OK)
    return fail(err.code == TLLM_E_NOMEM ? 3 : 2, scfg.buffer_bytes ? "-S" : "-E", err.msg);
  /* -R: the whole image copied into SRAM once, after the plan's regions and the stream buffers, and
   * read there (no flash wait states in the kernels) */
  if (image_in_ram) {
    if (use_stream) return fail(2, "-R", "the image in RAM is not streamed (-S/-E stream from the image in flash)");
    size_t need = ((size_t)size + 15u) & ~(size_t)15u, at = plan.total + stream_bytes;
    if (at + need + tok_bytes > arena_bytes) {
      tllm_errorf(&err, TLLM_E_NOMEM, "the %u-byte image does not fit in RAM beside the memory plan (%u bytes left)", size,
                  (unsigned)(arena_bytes - tok_bytes - at));
      return fail(3, "-R", err.msg);
    }
    memcpy(arena + at, (const void *)(uintptr_t)addr, size);
    if (tllm_model_open(&model, arena + at, size, TLLM_OPEN_SKIP_CHECKSUM, &err) != TLLM_OK) return fail(2, "-R", err.msg);
  }
  tllm_state st;
  if (tllm_state_init(&st, &model, &plan, arena, plan.total, use_cim ? fallback : o.backend, &err) != TLLM_OK)
    return fail(err.code == TLLM_E_BACKEND ? 4 : 3, "state", err.msg);
  if (use_stream) {
    if (tllm_stream_attach(&st, &stream_ctx, &scfg, arena + plan.total, stream_bytes, &err) != TLLM_OK)
      return fail(err.code == TLLM_E_BACKEND ? 4 : 3, "stream", err.msg);
    printf("stream: %lu weight buffers of %lu bytes, %lu expert slots of %lu bytes\n",
           (unsigned long)(stream_ctx.streaming ? 2u : 0u), (unsigned long)stream_ctx.buf_bytes,
           (unsigned long)stream_ctx.n_slots, (unsigned long)stream_ctx.slot_bytes);
  }
  st.route_log = route_log;
  st.route_cap = route_cap;
  if (harts > 1u) {
    cluster_ctx.parts = harts;
    cluster_ctx.run = cluster_run;
    cluster_barrier_size(harts);
    for (uint32_t h = 1; h < harts; h++) cluster_start(h, worker, h, arena + arena_bytes + h * FW_WORKER_STACK);
    st.cluster = &cluster_ctx;
  }
  if (use_cim) {
    /* macro 0 gives the geometry; open only the macros the placement needs (capacity checked first) */
    if (!n_macros) return fail(5, "CIM", "no macros (-m 0)");
    if (cim_open(&macros[0], CIM_DEFAULT_BASE) != CIM_OK) return fail(5, "CIM", "no CIM macro at 0x40000000 (use a config with CIM devices, e.g. configs/mcu-llm-cim.yaml)");
    uint32_t need = tllm_cim_macros_needed(&model, &place, &macros[0], &err);
    if (need == 0 && err.code == TLLM_E_UNSUPPORTED) return fail(5, "CIM", err.msg);
    if (need > n_macros)
      return fail(5, "CIM", (tllm_errorf(&err, TLLM_E_CIM_CAPACITY, "not enough macros: the tensors placed on CIM (-c %s) need %u macros of %ux%u, but %u are available (-m)",
                                         place_spec ? place_spec : "all", need, macros[0].arr.rows, macros[0].arr.cols, n_macros), err.msg));
    for (uint32_t i = 1; i < need; i++)
      if (cim_open(&macros[i], CIM_DEFAULT_BASE + i * CIM_DEFAULT_STRIDE) != CIM_OK) return fail(5, "CIM", "a macro below -m does not answer (wrong -m?)");
    tllm_cim_options co = {macros, need ? need : 1u, place, fallback, cim_windows, cim_gate};
    tllm_status cs = tllm_cim_attach(&st, &cim_ctx, &co, arena + arena_bytes - tok_bytes, cim_bytes, &err);
    if (cs != TLLM_OK) return fail(cs == TLLM_E_CIM_CAPACITY || cs == TLLM_E_BACKEND || cs == TLLM_E_CIM_WINDOWS ? 5 : 3, "CIM", err.msg);
    printf("cim: %lu tensors on %lu of %lu macros (%lux%lu, %lu-bit ADC, step %lu) rows/pass %lu%s%s%s\n", (unsigned long)cim_ctx.n_placed,
           (unsigned long)cim_ctx.used_macros, (unsigned long)n_macros, (unsigned long)macros[0].arr.rows,
           (unsigned long)macros[0].arr.cols, (unsigned long)macros[0].arr.adc_bits, (unsigned long)macros[0].arr.adc_step,
           (unsigned long)macros[0].arr.rows_per_pass, macros[0].arr.type == CIM_TYPE_DIGITAL ? ", digital" : "",
           cim_windows ? ", windows" : "", macros[0].arr.zero_skip ? ", zero skipping" : "");
  }
  uint32_t n;
  tllm_sampler sp;
  int rc = fw_encode_prompt(&o, &model, &st, tokens, &n, &sp);
  if (rc) return rc;
  tllm_regions_name_model(&model);

  uint32_t hash = TLLM_FNV_OFFSET, produced = 0;
  int32_t token = tokens[0];
  char bb[2];
  sim_region_end(SIM_REGION_STARTUP);
  if (agree_n) { /* teacher forcing against the reference: every position's input is known (prefill) */
    uint32_t agree = 0;
    sim_region_begin(SIM_REGION_PREFILL);
    for (uint32_t pos = 0; pos < o.steps; pos++) {
      float *logits = tllm_forward(&st, (uint32_t)token, pos);
      if (use_cim && tllm_cim_error(&cim_ctx)) { printf("\ntinyllm: error: CIM: macro error %d at position %lu\n", tllm_cim_error(&cim_ctx), (unsigned long)pos); return 5; }
      if (use_stream && tllm_stream_error(&stream_ctx)) return stream_failed(pos);
      hash = tllm_logits_hash(hash, logits, model.vocab_size);
      int32_t best = (int32_t)tllm_argmax(logits, model.vocab_size);
      sim_token((uint32_t)best);
      ids[produced++] = best;
      agree += best == ref[pos];
      token = ref[pos];
    }
    sim_region_end(SIM_REGION_PREFILL);
    printf("ids:");
    for (uint32_t i = 0; i < produced; i++) printf(" %ld", (long)ids[i]);
    printf("\nlogits_fnv: 0x%08lx\nMETRIC agreement=", (unsigned long)hash);
    print_fraction(agree, o.steps);
    printf(" positions=%lu\nagree: %lu of %lu\n", (unsigned long)o.steps, (unsigned long)agree, (unsigned long)o.steps);
    print_stats(&st, use_stream);
    return 0;
  }
  /* prefill: positions 0..n-2 read prompt tokens and predict the next prompt token; they are computed
   * in chunks of up to `chunk` positions (tllm_forward_chunk: every weight read once per chunk, the
   * same bits as one position at a time; one token mark stands for the chunk's positions) */
  uint32_t pos = 0;
  if (n > 1u) sim_region_begin(SIM_REGION_PREFILL);
  while (pos + 1u < n && pos < o.steps) {
    uint32_t c = n - 1u - pos;
    if (c > chunk) c = chunk;
    if (c > o.steps - pos) c = o.steps - pos;
    float *logits = c > 1u ? tllm_forward_chunk(&st, tokens + pos, c, pos) : tllm_forward(&st, (uint32_t)tokens[pos], pos);
    if (use_cim && tllm_cim_error(&cim_ctx)) { printf("\ntinyllm: error: CIM: macro error %d at position %lu\n", tllm_cim_error(&cim_ctx), (unsigned long)pos); return 5; }
    if (use_stream && tllm_stream_error(&stream_ctx)) return stream_failed(pos);
    for (uint32_t b = 0; b < c; b++) {
      hash = tllm_logits_hash(hash, logits + (size_t)b * model.vocab_size, model.vocab_size);
      int32_t next = tokens[pos + b + 1u];
      ids[produced++] = next;
      fputs(tllm_decode(&model, token, next, bb), stdout);
      token = next;
    }
    sim_tokens((uint32_t)token, c);
    pos += c;
  }
  if (n > 1u) sim_region_end(SIM_REGION_PREFILL);
  /* decode: from the last prompt position on, each position produces a generated token. With -T and
   * greedy sampling hart 1 hashes the logits (above) and the harts' own argmaxes give the token (the
   * same ids and hash) */
  const int greedy_split = harts > 1u && o.temperature == 0.0f && tllm_forward_splits(&st);
  uint32_t unhashed = 0; /* the last forward pass's logits are not hashed yet (hart 1 does it in the next) */
  if (greedy_split) {
    worker_hash = hash;
    hash_logits = st.logits;
    hash_n = model.vocab_size;
  }
  sim_region_begin(SIM_REGION_DECODE);
  for (; pos < o.steps; pos++) {
    pending_hash = unhashed;
    float *logits = tllm_forward(&st, (uint32_t)token, pos);
    if (use_cim && tllm_cim_error(&cim_ctx)) { printf("\ntinyllm: error: CIM: macro error %d at position %lu\n", tllm_cim_error(&cim_ctx), (unsigned long)pos); return 5; }
    if (use_stream && tllm_stream_error(&stream_ctx)) return stream_failed(pos);
    if (greedy_split) unhashed = 1;
    else hash = tllm_logits_hash(hash, logits, model.vocab_size);
    int32_t next = pos + 1u < n ? tokens[pos + 1u]
                   : greedy_split ? (int32_t)tllm_logits_argmax(&st, logits) : (int32_t)tllm_sample(&sp, logits);
    sim_token((uint32_t)next);
    if (next == (int32_t)model.hdr->bos_id) break;
    ids[produced++] = next;
    fputs(tllm_decode(&model, token, next, bb), stdout);
    token = next;
  }
  if (unhashed) cluster_run(&cluster_ctx, hash_flush_step, 0, 1);
  if (greedy_split) hash = worker_hash;
  sim_region_end(SIM_REGION_DECODE);
  printf("\nids:");
  for (uint32_t i = 0; i < produced; i++) printf(" %ld", (long)ids[i]);
  printf("\nlogits_fnv: 0x%08lx\n", (unsigned long)hash);
  if (have_ref) {
    long diff = -1;
    for (uint32_t i = 0; i < produced && diff < 0; i++)
      if (i >= (uint32_t)n_ref || ids[i] != ref[i]) diff = (long)i;
    printf("METRIC ids_equal_ref=%d first_diff=%ld\n", diff < 0 ? 1 : 0, diff);
  }
  print_stats(&st, use_stream);
  return 0;
}
