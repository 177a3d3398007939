# swift-rlhf — common tasks.
#   make setup   install what is missing (OpenBLAS, the two models) via scripts/setup
#   make build   release build (with -enable-testing so tests reuse the same build)
#   make test    release build + swift test
#   make demo    run the demos of the CLI (KL objective, toy policy, reward model, SmolLM2 chat generation)
#   make bench   compare our kernels and models against PyTorch on this machine (scripts/bench_compare.py)

SWIFT ?= swift
PYTHON ?= python3
SWIFTFLAGS ?= -c release -Xswiftc -enable-testing
RLHF := .build/release/rlhf

.PHONY: all setup build test demo bench

all: build

setup:
	bash scripts/setup

build: setup
	$(SWIFT) build $(SWIFTFLAGS)

test: setup
	$(SWIFT) test $(SWIFTFLAGS)

demo: build
	$(RLHF) demo kl-loss
	$(RLHF) demo toy --beta 5 --epochs 300
	$(RLHF) demo reward
	$(RLHF) generate --model models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf --chat --max-new-tokens 48 \
		--prompt "In one sentence, what is reinforcement learning from human feedback?"

bench: build
	$(PYTHON) scripts/bench_compare.py --rlhf $(RLHF)
