# The two commands of README. The real work is in scripts/ and meson.
BUILD ?= build
FUZZ_SECONDS ?= 60
SOAK_SECONDS ?= 600

.PHONY: all build demo check coverage deps install clean fuzz soak

all: build

deps:
	scripts/install-deps.sh

build: deps
	scripts/build.sh $(BUILD)

demo: build
	scripts/demo.sh $(BUILD)

check:
	scripts/check.sh

# Line coverage of src/ per layer from the unit and quick client suites
# (build-coverage; uncovered lines in build-coverage/coverage/index.html).
coverage: deps
	scripts/coverage.sh

# Every libFuzzer target for FUZZ_SECONDS each, in build-fuzz (clang).
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

# The guest soak against the ASan+UBSan vfsd for SOAK_SECONDS (tests/soak);
# the RSS and fd samples are left in build-asan/soak.csv.
soak: deps
	scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false
	tests/soak/run-soak.sh --daemon-bin build-asan/src/cli/vfsd \
		--seconds $(SOAK_SECONDS) --csv build-asan/soak.csv

install: build
	meson install -C $(BUILD)

clean:
	rm -rf build build-asan build-fuzz build-xfstests build-coverage
