# SPDX-License-Identifier: MIT
# Thin wrapper over CMake/CTest. The two set-up commands of the README:
#   make demo    install what is missing, build, start a two-site lab, open the shell
#   make test    install what is missing, build, run every test through CTest
#   make package the Debian package, build/cairn_<version>_<arch>.deb (docs/packaging.md)
#   make fuzz    the libFuzzer targets built with clang (build-fuzz/), each run
#                briefly from its corpus with a fixed seed (CI runs it)
# Options: SANITIZE=1 (ASan+UBSan build in build-asan/), CTEST_ARGS="-L unit",
#          JOBS=N, SITES=3 (demo: hub and spokes).

SANITIZE ?= 0
ifeq ($(SANITIZE),1)
BUILD ?= build-asan
CMAKE_FLAGS += -DENABLE_SANITIZERS=ON -DCMAKE_BUILD_TYPE=Debug
else
BUILD ?= build
endif
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_ARGS ?=
SITES ?= 2

.PHONY: all deps configure build test demo bench package fuzz clean format

all: build

deps:
	@if [ "$$(id -u)" -eq 0 ]; then ./packaging/install-deps.sh; \
	else echo "make: run as root to install dependencies (packaging/install-deps.sh)"; fi

configure: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure --timeout 900 -j $(JOBS) $(CTEST_ARGS)

demo: build
	./tests/lab/demo.sh --build $(BUILD) --sites $(SITES)

bench: build
	./tests/bench/run-all.sh $(BUILD)

package: build
	cd $(BUILD) && cpack -G DEB

fuzz: deps
	CC=clang cmake -S . -B build-fuzz -DENABLE_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build build-fuzz -j $(JOBS) --target fuzz-all
	cd build-fuzz && ctest --output-on-failure -j $(JOBS) -L fuzzrun

format:
	find backend cli daemons tests -name '*.[ch]' | xargs clang-format -i

clean:
	rm -rf build build-asan build-fuzz
