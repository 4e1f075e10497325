# Convenience front end over CMake. The two commands in the README:
#   make demo   build (Release) and run `dmakit demo`
#   make test   build with -Werror and run the whole test suite
# and what CI adds: `make test-asan` (ASan+UBSan) and `make test-tsan`.
# `make bench [BENCH=PATTERN]` runs the benchmarks on a Release build.

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CTEST = ctest --output-on-failure -j$(JOBS) --test-dir

.PHONY: all deps demo build test test-asan test-tsan bench install-check clean

all: build

deps:
	@scripts/setup-deps

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build build -j$(JOBS)

demo: build
	./build/dmakit demo

test: deps
	@cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDK_WERROR=ON >/dev/null
	@cmake --build build-test -j$(JOBS)
	$(CTEST) build-test

test-asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDK_WERROR=ON \
		-DDK_SANITIZE=address,undefined >/dev/null
	@cmake --build build-asan -j$(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(CTEST) build-asan

test-tsan: deps
	@cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDK_WERROR=ON \
		-DDK_SANITIZE=thread >/dev/null
	@cmake --build build-tsan -j$(JOBS)
	TSAN_OPTIONS=halt_on_error=1 $(CTEST) build-tsan

bench: build
	./build/dmakit bench $(BENCH)

clean:
	rm -rf build build-test build-asan build-tsan
