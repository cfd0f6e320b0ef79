# iodbg: make device memory as debuggable as ordinary memory.
#
#   make demo       build, boot the test VM and show gdb reading device memory
#   make test       install what is missing, build, run every test (host, then each kernel)
#   make bench      the benchmarks, as ratios against baselines measured in the same run
#   make vm-shell   an interactive shell in the test VM with the modules loaded
#
# KERNELS selects the Debian kernel series to build for and test on (default: 6.1 6.12);
# make test also runs on DEBUG_KERNELS (default: 6.12-debug, a kernel built from Debian's 6.12
# source with the series in kernel/patches/ and lockdep, KASAN, KFENCE, ...: see
# scripts/build-debug-kernel; empty: none). Only make test uses it: benchmarks under KASAN
# mean nothing. Everything built or downloaded goes under OUT (default: ./out).

KERNELS ?= 6.1 6.12
DEBUG_KERNELS ?= 6.12-debug
OUT ?= $(CURDIR)/out
export IODBG_OUT := $(abspath $(OUT))

BUILD := $(IODBG_OUT)/build
PROGS := $(patsubst tests/progs/%.c,$(BUILD)/progs/%,$(wildcard tests/progs/*.c))
# The user ABI: the core's and each reference driver's header; the tests' view adds the
# test-only modules', which stay out of what ships.
UAPI_HEADERS := include/uapi/linux/iodbg.h include/uapi/linux/gpu_sim.h \
	include/uapi/linux/spu_sim.h
UAPI_TEST_HEADERS := $(UAPI_HEADERS) kernel/tests/uapi/linux/iodbg_test.h \
	kernel/tests/uapi/linux/pfnmap_shapes.h
UAPI_PYTHON := $(BUILD)/python/iodbg_uapi.py
UAPI_TEST_PYTHON := $(BUILD)/python/iodbg_test_uapi.py
LIBIODBG_HEADER := libiodbg/include/iodbg/iodbg.h
LIBIODBG_PYTHON := $(BUILD)/python/libiodbg_api.py

CFLAGS ?= -O2 -g
WARNINGS := -Wall -Wextra -Werror

.PHONY: all deps build modules progs libiodbg gdbserver-ext install deb test bench demo vm-shell clean distclean

all: build

deps:
	@scripts/install-deps

build: modules progs libiodbg gdbserver-ext $(UAPI_PYTHON) $(UAPI_TEST_PYTHON) $(LIBIODBG_PYTHON)

# The C library and the iodbg command, under OUT/build/libiodbg (see libiodbg/Makefile).
libiodbg: deps
	@$(MAKE) --no-print-directory -C libiodbg O=$(BUILD)/libiodbg

# iodbg-spu-stub, under OUT/build/gdbserver-ext (see gdbserver-ext/Makefile).
gdbserver-ext: libiodbg
	@$(MAKE) --no-print-directory -C gdbserver-ext O=$(BUILD)/gdbserver-ext \
		LIBIODBG_O=$(BUILD)/libiodbg

# The library, the iodbg command, iodbg-spu-stub and the GDB package (see gdb-python/Makefile).
install: libiodbg gdbserver-ext $(UAPI_PYTHON) $(LIBIODBG_PYTHON)
	@$(MAKE) --no-print-directory -C libiodbg O=$(BUILD)/libiodbg install
	@$(MAKE) --no-print-directory -C gdbserver-ext O=$(BUILD)/gdbserver-ext \
		LIBIODBG_O=$(BUILD)/libiodbg install
	@$(MAKE) --no-print-directory -C gdb-python GENERATED=$(BUILD)/python install

# The Debian packages (debian/) into OUT/deb, built from a copy of the sources there and
# checked by lintian (scripts/build-deb).
deb:
	@scripts/install-deps --deb
	@scripts/build-deb $(IODBG_OUT)/deb

# The module is built out of tree against each kernel's Debian headers, in a copy of kernel/
# under OUT so that the source folder stays free of build outputs.
modules: deps
	@for series in $(KERNELS); do \
		kver=$$(scripts/fetch-kernel $$series $(IODBG_OUT)) || exit 1; \
		mkdir -p $(BUILD)/$$kver/kernel && cp -a -u kernel/. $(BUILD)/$$kver/kernel/ && \
		$(MAKE) --no-print-directory -C $(IODBG_OUT)/kernels/$$kver/usr/src/linux-headers-$$kver \
			M=$(BUILD)/$$kver/kernel IODBG_ROOT=$(CURDIR) W=1 modules >/dev/null || exit 1; \
		echo "  built kernel modules for $$kver"; \
	done

progs: $(PROGS)

$(BUILD)/progs/%: tests/progs/%.c $(wildcard tests/progs/*.h) $(UAPI_TEST_HEADERS) | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARNINGS) -pthread -Iinclude/uapi -Ikernel/tests/uapi -o $@ $<

# The bench's debugger side also times libiodbg's calls, linked in as the iodbg command has it.
$(BUILD)/progs/bench_rw: tests/progs/bench_rw.c $(wildcard tests/progs/*.h) $(UAPI_TEST_HEADERS) \
		$(wildcard $(BUILD)/libiodbg/lib/libiodbg.a) | libiodbg
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARNINGS) -Iinclude/uapi -Ilibiodbg/include -o $@ $< \
		$(BUILD)/libiodbg/lib/libiodbg.a

# The Python views of the C headers, for the tests and the GDB package.
$(UAPI_PYTHON): $(UAPI_HEADERS) scripts/gen-uapi-python | deps
	scripts/gen-uapi-python $(UAPI_HEADERS) $@

$(UAPI_TEST_PYTHON): $(UAPI_TEST_HEADERS) scripts/gen-uapi-python | deps
	scripts/gen-uapi-python $(UAPI_TEST_HEADERS) $@

$(LIBIODBG_PYTHON): $(LIBIODBG_HEADER) scripts/gen-uapi-python | deps
	scripts/gen-uapi-python $< $@

# run-tests installs, fetches and builds itself, so that it can time each stage.
test:
	@scripts/run-tests $(KERNELS) $(DEBUG_KERNELS)

# Benchmarks print ratios against baselines measured in the same run, one VM boot per kernel.
# The bench scripts (tests/bench/bench_NAME.py), run in this order in one VM per kernel; each
# records its summary rows under OUT/bench/rows, which summary.py merges at the end.
BENCH ?= kernel libiodbg gdb spu_sched scale remote core
bench: build
	@rm -rf $(IODBG_OUT)/bench/rows
	@for series in $(KERNELS); do \
		scripts/vm-run --kernel $$series --timeout 1800 -- \
			bash -c 'for bench in $(BENCH); do \
				/usr/bin/python3 tests/bench/bench_$$bench.py || exit 1; done' || exit 1; \
	done
	@/usr/bin/python3 tests/bench/summary.py

demo: build
	@scripts/demo $(firstword $(KERNELS))

vm-shell: build
	@scripts/vm-run --kernel $(firstword $(KERNELS)) --shell

clean:
	rm -rf $(BUILD) $(IODBG_OUT)/vm

# Also forgets the downloaded kernels.
distclean:
	rm -rf $(IODBG_OUT)
