# swift-rlhf — common tasks.
#   make setup   install what is missing (OpenBLAS, the two models) via scripts/setup
#   make build   release build (with -enable-testing so tests reuse the same build)
#   make test    every public declaration documented (scripts/check_docs.py --strict), release build + swift test,
#                then the short kill-and-resume check (scripts/kill_resume.py --short) and the labelling app's checks
#                in a real browser, under kill -9 and under load (scripts/label_checks.py)
#   make demo    the whole pipeline on the real models: SFT → reward model → PPO (examples/pipeline.yaml)
#   make bench   compare our kernels and models against PyTorch on this machine (scripts/bench_compare.py)
#   make fuzz    build the libFuzzer harnesses (Fuzz/) and run each for FUZZ_SECONDS (scripts/fuzz); fails on a crash
#   make format  rewrite the Swift sources in place with swift format and the committed .swift-format
#   make lint    report where the Swift sources differ from .swift-format (warnings only; never fails)

SWIFT ?= swift
PYTHON ?= python3
SWIFTFLAGS ?= -c release -Xswiftc -enable-testing
RLHF := .build/release/rlhf
FUZZ_SECONDS ?= 60
FORMAT_PATHS := Package.swift Sources Tests Fuzz/Package.swift Fuzz/Sources

.PHONY: all setup build test demo bench fuzz format lint

all: build

setup:
	bash scripts/setup

build: setup
	$(SWIFT) build $(SWIFTFLAGS)

test: setup
	$(PYTHON) scripts/check_docs.py --strict --summary
	$(SWIFT) test $(SWIFTFLAGS)
	$(PYTHON) scripts/kill_resume.py --short
	$(PYTHON) scripts/label_checks.py

demo: build
	$(RLHF) pipeline --config examples/pipeline.yaml

bench: build
	$(PYTHON) scripts/bench_compare.py --rlhf $(RLHF)

fuzz: setup
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) bash scripts/fuzz

# .swift-format follows the existing code: 4-space indentation, lines up to 150, existing line breaks kept,
# three spaces before an end-of-line comment; the rules the code does not follow (one declaration or case
# per line, no semicolons, ordered imports, lowerCamelCase everywhere, ...) are off, so that a format run
# changes layout only. Most of what `make lint` reports is continuation lines aligned under an opening
# parenthesis, which swift format indents by a fixed step instead.
format:
	$(SWIFT) format --in-place --recursive --parallel --configuration .swift-format $(FORMAT_PATHS)

lint:
	-$(SWIFT) format lint --recursive --parallel --configuration .swift-format $(FORMAT_PATHS)
