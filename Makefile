# The two commands of the README: `make run` and `make test`. Both install missing Debian packages first.
BUILD ?= build
JOBS  ?= $(shell nproc)

SANITIZE_BUILD ?= build-sanitize
FUZZ_SECONDS ?= 60

.PHONY: all deps configure build run test bench int2 clean test-sanitize fuzz

all: build

deps:
	@./scripts/install-deps.sh test

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release > $(BUILD).configure.log 2>&1 || (cat $(BUILD).configure.log; exit 1)

build: configure
	@cmake --build $(BUILD) -j$(JOBS)

# `make run` builds only what the demo needs (the `demo` target: mcucim, mcucim-pack, tinyllm.elf),
# quietly: one line per stage, the whole output in $(BUILD).run.log.
run:
	@mkdir -p $(BUILD) && : > $(BUILD).run.log
	@./scripts/stage.sh 1/3 "Debian packages for the demo (scripts/install-deps.sh run)" $(BUILD).run.log ./scripts/install-deps.sh run
	@./scripts/stage.sh 2/3 "configure $(BUILD)/" $(BUILD).run.log cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	@./scripts/stage.sh 3/3 "build the simulator, the model packer and the LLM firmware (-j$(JOBS))" $(BUILD).run.log cmake --build $(BUILD) -j$(JOBS) --target demo
	@./scripts/demo.sh $(BUILD)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

# The same suite on an ASan + UBSan build of the simulator and host tools (its own folder; README,
# Security), except the tests listed in tests/sanitize_skip.txt. Prints the build and suite times.
# The firmware (cross-compiled, not instrumented) is shared with $(BUILD)/firmware.
SANITIZE_SKIP := $(shell grep -v '^\#' tests/sanitize_skip.txt | paste -sd'|')
test-sanitize: deps
	@cmake -S . -B $(SANITIZE_BUILD) -DCMAKE_BUILD_TYPE=Release -DMCUCIM_SANITIZE=ON -DMCUCIM_FIRMWARE_DIR=$(CURDIR)/$(BUILD)/firmware > $(SANITIZE_BUILD).configure.log 2>&1 || (cat $(SANITIZE_BUILD).configure.log; exit 1)
	@t0=$$(date +%s); cmake --build $(SANITIZE_BUILD) -j$(JOBS) && echo "test-sanitize: build $$(( $$(date +%s) - t0 )) s"
	@t0=$$(date +%s); ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$(CURDIR)/fuzz/lsan.supp UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(SANITIZE_BUILD) --output-on-failure -j$(JOBS) -E '$(SANITIZE_SKIP)'; rc=$$?; \
	  echo "test-sanitize: suite $$(( $$(date +%s) - t0 )) s"; exit $$rc

# libFuzzer campaign: every target of fuzz/ for FUZZ_SECONDS seconds (fuzz/README.md).
fuzz:
	@./scripts/install-deps.sh fuzz
	./scripts/fuzz.sh $(FUZZ_SECONDS)

bench: build
	./bench/run.sh

# `make int2`: INT2 stories260K by quantization-aware distillation (scripts/qat.py, ~2.4 bits/parameter),
# then its agreement with the fp32 oracle on the host build and in the simulator, and its story
# (scripts/int2.sh; workloads/tinyllm/QUANTIZATION.md). Builds only the tools it runs.
int2:
	@./scripts/install-deps.sh int2
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release > $(BUILD).configure.log 2>&1 || (cat $(BUILD).configure.log; exit 1)
	@cmake --build $(BUILD) -j$(JOBS) --target demo tinyllm-host
	./scripts/int2.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD).configure.log $(BUILD).run.log $(SANITIZE_BUILD) $(SANITIZE_BUILD).configure.log build-fuzz build-fuzz.*.log
