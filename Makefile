# Astrolabe — the commands a developer and CI run. See CONTRIBUTING.md.
#   make          release build → build/astrolabe (the web UI built first and embedded)
#   make ui       the web UI only: ui/dist (npm packages from scripts/setup; ui/README.md)
#   make test     setup, ASan+UBSan build, every test through ctest
#   make demo     setup, build, run `astrolabe demo` (docs/demo.md; HTTP=ADDR moves the API)
#   make bench    benchmarks (bench/README.md)
#   make fuzz     libFuzzer targets, FUZZ_SECONDS each
#   make drills   the long reliability drills, then every fuzz target DRILL_FUZZ_SECONDS (600),
#                 DRILL_FUZZ_JOBS (default JOBS) at a time
#   make format / make lint

SHELL := /bin/bash
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60
DRILL_FUZZ_SECONDS ?= 600
DRILL_FUZZ_JOBS ?= $(JOBS)
CMAKE_COMMON := -G Ninja -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
# ccache hits across clones (CI builds a fresh clone at another path): paths are hashed
# relative to the checkout, and the working directory is left out of the hash.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all build setup ui test drills demo bench fuzz format lint clean

all: build

setup:
	@scripts/setup

# The UI is built before the C++ build, which embeds ui/dist (cmake/embed_ui.cmake).
ui: setup
	@cd ui && npm run --silent build

build: setup ui
	@cmake -S . -B build $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Release -DASTROLABE_TESTS=OFF >/dev/null
	@ninja -C build -j$(JOBS) astrolabe

test: setup ui
	@cmake -S . -B build-asan $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Debug -DASTROLABE_SANITIZE=ON >/dev/null
	@ninja -C build-asan -j$(JOBS)
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j$(JOBS) -LE drills-long

# tests/reliability/README.md: the drills' long forms (one at a time: they measure the
# machine), then every fuzz target for DRILL_FUZZ_SECONDS under ASan+UBSan, DRILL_FUZZ_JOBS
# at a time.
drills: setup
	@cmake -S . -B build-asan $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Debug -DASTROLABE_SANITIZE=ON >/dev/null
	@ninja -C build-asan -j$(JOBS)
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure --no-tests=error -L drills-long
	@CC=clang CXX=clang++ cmake -S . -B build-fuzz $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DASTROLABE_FUZZ=ON -DASTROLABE_TESTS=OFF >/dev/null
	@ninja -C build-fuzz -j$(JOBS) fuzzers
	@FUZZ_JOBS=$(DRILL_FUZZ_JOBS) fuzz/run $(DRILL_FUZZ_SECONDS)

demo: build
	@scripts/demo

bench: setup
	@cmake -S . -B build-bench $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Release -DASTROLABE_BENCH=ON -DASTROLABE_TESTS=OFF >/dev/null
	@ninja -C build-bench -j$(JOBS)
	@bench/run

fuzz: setup
	@CC=clang CXX=clang++ cmake -S . -B build-fuzz $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DASTROLABE_FUZZ=ON -DASTROLABE_TESTS=OFF >/dev/null
	@ninja -C build-fuzz -j$(JOBS) fuzzers
	@fuzz/run $(FUZZ_SECONDS)

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

lint: setup
	@cmake -S . -B build $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@git ls-files 'src/*.cc' | xargs clang-tidy -p build --quiet

clean:
	rm -rf build build-asan build-bench build-fuzz
