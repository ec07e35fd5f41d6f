# The two commands of README. The real work is in scripts/ and meson.
BUILD ?= build

.PHONY: all build demo check deps install clean

all: build

deps:
	scripts/install-deps.sh

build: deps
	scripts/build.sh $(BUILD)

demo: build
	scripts/demo.sh $(BUILD)

check:
	scripts/check.sh

install: build
	meson install -C $(BUILD)

clean:
	rm -rf build build-asan
