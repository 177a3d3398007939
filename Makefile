# swift-rlhf — common tasks.
#   make setup   install what is missing (OpenBLAS, the two models) via scripts/setup
#   make build   release build (with -enable-testing so tests reuse the same build)
#   make test    release build + swift test + the short kill-and-resume check (scripts/kill_resume.py --short)
#   make demo    the whole pipeline on the real models: SFT → reward model → PPO (examples/pipeline.yaml)
#   make bench   compare our kernels and models against PyTorch on this machine (scripts/bench_compare.py)
#   make fuzz    build the libFuzzer harnesses (Fuzz/) and run each for FUZZ_SECONDS (scripts/fuzz); fails on a crash

SWIFT ?= swift
PYTHON ?= python3
SWIFTFLAGS ?= -c release -Xswiftc -enable-testing
RLHF := .build/release/rlhf
FUZZ_SECONDS ?= 60

.PHONY: all setup build test demo bench fuzz

all: build

setup:
	bash scripts/setup

build: setup
	$(SWIFT) build $(SWIFTFLAGS)

test: setup
	$(SWIFT) test $(SWIFTFLAGS)
	$(PYTHON) scripts/kill_resume.py --short

demo: build
	$(RLHF) pipeline --config examples/pipeline.yaml

bench: build
	$(PYTHON) scripts/bench_compare.py --rlhf $(RLHF)

fuzz: setup
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) bash scripts/fuzz
