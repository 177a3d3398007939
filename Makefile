# swift-rlhf — common tasks.
#   make setup   install what is missing (OpenBLAS, the two models) via scripts/setup
#   make build   release build (with -enable-testing so tests reuse the same build)
#   make test    release build + swift test + the short kill-and-resume check (scripts/kill_resume.py --short)
#   make demo    the whole pipeline on the real models: SFT → reward model → PPO (examples/pipeline.yaml)
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
	$(PYTHON) scripts/kill_resume.py --short

demo: build
	$(RLHF) pipeline --config examples/pipeline.yaml

bench: build
	$(PYTHON) scripts/bench_compare.py --rlhf $(RLHF)
