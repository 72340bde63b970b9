# The two commands of the README, and a few more, over CMake.
#   make run    build, then boot the reference image in QEMU with 4 CPUs
#   make check  build, then run every test (unit, QEMU, Bochs, OEM example, docs)
#   make bench  boot the benchmark guest on Bochs and print the table
#   make docs   the API reference (doc/api/html in the build tree)
#   make install PREFIX=/opt/xencore
BUILD ?= build
PREFIX ?= /usr/local
JOBS ?= $(shell nproc)
CTEST_JOBS ?= 2

.PHONY: all build run check bench docs install clean deps-run deps-check deps-docs

all: build

# Explicit rules: make skips implicit-rule search for .PHONY targets.
deps-run:
	@scripts/install-deps.sh run
deps-check:
	@scripts/install-deps.sh check
deps-docs:
	@scripts/install-deps.sh docs

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The demo: the hypervisor brings up every CPU, runs two PVH guests (alice and
# bob, each printing its checks), and powers off once both have shut down.
DEMO_ISO = $(BUILD)/tests/system/xencore-demo.iso
run: deps-run
	@$(MAKE) --no-print-directory build
	@echo "Booting $(DEMO_ISO) in QEMU (4 CPUs); the console follows."
	timeout 120 qemu-system-x86_64 -accel tcg -cpu max -smp 4 -m 256 -boot d \
	    -cdrom $(DEMO_ISO) -nic none -display none -monitor none \
	    -serial stdio -no-reboot

check: deps-check
	@$(MAKE) --no-print-directory build
	cd $(BUILD) && ctest --output-on-failure -j $(CTEST_JOBS)

bench: deps-check
	@$(MAKE) --no-print-directory build
	cmake --build $(BUILD) --target bench-sim
	cmake --build $(BUILD) --target bench

docs: deps-docs $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) --target docs

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD)
