# The two commands of README. The real work is in scripts/ and meson.
BUILD ?= build
FUZZ_SECONDS ?= 60

.PHONY: all build demo check deps install clean fuzz

all: build

deps:
	scripts/install-deps.sh

build: deps
	scripts/build.sh $(BUILD)

demo: build
	scripts/demo.sh $(BUILD)

check:
	scripts/check.sh

# Every libFuzzer target for FUZZ_SECONDS each, in build-fuzz (clang).
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

install: build
	meson install -C $(BUILD)

clean:
	rm -rf build build-asan
