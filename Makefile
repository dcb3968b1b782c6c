# The two commands of the README: `make run` and `make test`. Both install missing Debian packages first.
BUILD ?= build
JOBS  ?= $(shell nproc)

.PHONY: all deps configure build run test bench clean

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

bench: build
	./bench/run.sh

clean:
	rm -rf $(BUILD) $(BUILD).configure.log $(BUILD).run.log
