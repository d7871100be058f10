# The two commands users need first: `make demo` and `make test`. See README.md.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
WERROR ?= ON
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps test-deps build demo test browser-deps test-asan test-tsan fuzz bench clean format \
        package docker-image docker-compose-up docker-compose-logs docker-compose-down
# Prerequisites run in the order written, one at a time: the test tools are installed before the
# build (apt-get takes one lock), and the build itself is parallel anyway (-j $(JOBS)).
.NOTPARALLEL:

all: build

deps:
	@scripts/install-deps.sh

# Everything the whole suite needs besides the build: strace, promtool, xvfb-run, chromium, node and
# npm, clang for the fuzzer... (scripts/install-deps.sh --with-tools). A test whose tool is missing
# fails, it does not skip.
test-deps:
	@scripts/install-deps.sh --with-tools

build: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DLOTTERY_WERROR=$(WERROR) $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Server + 5 agencies on loopback, on .data/agency-N.csv when present, else on generated data.
demo: build
	scripts/demo.sh $(BUILD_DIR)/bin

# The whole suite through CTest, after installing what it needs (test-deps, and playwright-core
# for the dashboard's browser test). CI (.ci/run) runs exactly this. The log of every test, passed
# or not, is in $(BUILD_DIR)/Testing/Temporary/LastTest.log.
test: test-deps build browser-deps
	cd $(BUILD_DIR) && ctest --output-on-failure -j 2 --timeout 600

# Debian packages lottery-server, agency-cli, agency-gui (CPack, dependencies by dpkg-shlibdeps)
# in $(BUILD_DIR)/: install them with `apt-get install ./build/*.deb` (docs/PACKAGING.md).
package: build
	cmake --build $(BUILD_DIR) --target package

# playwright-core, from tests/browser/package-lock.json (test-deps installs npm).
browser-deps: test-deps
	@if [ ! -d tests/browser/node_modules/playwright-core ]; then \
		npm ci --prefix tests/browser --no-audit --no-fund; fi

# The suite under AddressSanitizer + UBSan.
test-asan:
	$(MAKE) test BUILD_DIR=build-asan BUILD_TYPE=Debug CMAKE_FLAGS="-DLOTTERY_SANITIZE=address -DLOTTERY_BUILD_GUI=OFF $(CMAKE_FLAGS)"

# The concurrency tests under ThreadSanitizer.
test-tsan: deps
	cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLOTTERY_WERROR=$(WERROR) -DLOTTERY_SANITIZE=thread -DLOTTERY_BUILD_GUI=OFF $(CMAKE_FLAGS)
	cmake --build build-tsan -j $(JOBS)
	scripts/tsan-check.sh build-tsan

fuzz: test-deps
	tests/fuzz/run-fuzz.sh 60

# 5 agencies x 1,000,000 bets against the raw floor; e.g. BENCH_ARGS="--dataset ../shared/data".
bench: build
	$(BUILD_DIR)/bin/lottery-bench $(BENCH_ARGS)

clean:
	rm -rf build build-asan build-tsan build-fuzz

# --- Docker Compose deployment (docker/compose.sh picks `docker compose` or `docker-compose`) ---
COMPOSE_FILE ?= docker-compose-dev.yaml

docker-image:
	docker/compose.sh image

docker-compose-up:
	docker/compose.sh up $(COMPOSE_FILE)

docker-compose-logs:
	docker/compose.sh logs $(COMPOSE_FILE)

docker-compose-down:
	docker/compose.sh down $(COMPOSE_FILE)

# clang-format every C++ file git knows (style in .clang-format).
format:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i
