# Appliance layer build. `make` builds the daemons and tools into build/;
# `make test` builds with ASan/UBSan and runs every unit and integration test;
# `make lab` starts the lab cluster. See README.md.
CC      ?= cc
PKGS    := libsystemd sqlite3 blkid jansson libmnl libcpg libquorum libcmap nettle libxcrypt
# The web process's own libraries: only apweb (and its unit test) link them.
WEBPKGS := libmicrohttpd gnutls
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wno-format-truncation \
           -I. $(shell pkg-config --cflags $(PKGS) $(WEBPKGS))
LDLIBS  += $(shell pkg-config --libs $(PKGS)) -lreadline -lm
WEBLIBS := $(shell pkg-config --libs $(WEBPKGS))
# The console certificate's validator (ap_certcheck.c) parses X.509 with
# GnuTLS in vsadm and apweb; applianced never links it (ap_certcheck.h).
CERTLIBS := $(shell pkg-config --libs gnutls)
SAN     ?=
# FUZZ=1: the same objects built by clang with libFuzzer's coverage and
# ASan/UBSan into $(FB) (never build/ or build/san), for the fuzz targets.
FUZZ    ?=
FB      ?= build/fuzz
FUZZCC  ?= clang
FUZZ_SECONDS ?= 60
ifeq ($(FUZZ),1)
override CC := $(FUZZCC)
CFLAGS  += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined -Wno-unknown-warning-option
LDFLAGS += -fsanitize=address,undefined
override B := $(FB)
else ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
B       := build/san
else
B       := build
endif

LAYERS  := lib netfail fsexport vserver appliance
# Objects of every layer except the programs' main files.
MAINS   := appliance/applianced_main.c appliance/vsadm_main.c appliance/apweb_main.c \
           appliance/apseed_main.c
# apweb's HTTPS, TLS, privilege and socket-client code (libapweb.a); its pure
# decision code (the /metrics renderer, the API routes and JSON mapping, the session
# table, the login limits, the console's asset table) needs nothing more and stays in
# libappliance.a.
WEBPURE := appliance/ap_webmetrics.c appliance/ap_webapi.c appliance/ap_websess.c appliance/ap_weblimit.c \
           appliance/ap_webstatic.c
WEBSRCS := $(filter-out $(WEBPURE),$(wildcard appliance/ap_web*.c))
WEBOBJS := $(WEBSRCS:%.c=$(B)/%.o)
SRCS    := $(filter-out $(MAINS) $(WEBSRCS),$(foreach d,$(LAYERS),$(wildcard $(d)/*.c)))
OBJS    := $(SRCS:%.c=$(B)/%.o)
UNIT    := $(wildcard tests/unit/test_*.c)
UNITBIN := $(UNIT:tests/unit/%.c=$(B)/tests/%)
# libFuzzer targets: every tests/fuzz/fuzz_*.c; the message codec's only once it exists.
FUZZSRC := $(wildcard tests/fuzz/fuzz_*.c)
ifneq ($(words $(wildcard appliance/ap_msg.h appliance/ap_msg.c)),2)
FUZZSRC := $(filter-out tests/fuzz/fuzz_msg.c,$(FUZZSRC))
endif
FUZZBIN := $(FUZZSRC:tests/fuzz/%.c=$(B)/fuzz/%)

all: $(B)/applianced $(B)/vsadm $(B)/apweb $(B)/appliance-seed

# The web console (appliance/console, issue 12): npm ci from its lockfile, then
# vite bundles it into $(B)/console (index.html, assets/, MANIFEST), which apweb
# serves (--assets). Part of `all` where npm is on PATH (`make deps` installs it).
NPM     ?= npm
HAVE_NPM := $(shell command -v $(NPM) 2>/dev/null)
CONSOLE := appliance/console
CONSOLE_SRC := $(wildcard $(CONSOLE)/src/*.js $(CONSOLE)/src/*.jsx $(CONSOLE)/src/*.css \
               $(CONSOLE)/src/pages/*.jsx) $(CONSOLE)/index.html $(CONSOLE)/vite.config.js \
               $(CONSOLE)/scripts/manifest.mjs $(CONSOLE)/package.json
$(CONSOLE)/node_modules/.package-lock.json: $(CONSOLE)/package-lock.json $(CONSOLE)/package.json
	@echo "  NPM     ci ($(CONSOLE))"
	@cd $(CONSOLE) && $(NPM) ci --no-audit --no-fund --loglevel=error

$(B)/console/MANIFEST: $(CONSOLE_SRC) $(CONSOLE)/node_modules/.package-lock.json
	@echo "  VITE    $(B)/console"
	@cd $(CONSOLE) && CONSOLE_OUT=$(CURDIR)/$(B)/console $(NPM) run --silent build >/dev/null

console: $(B)/console/MANIFEST
ifneq ($(HAVE_NPM),)
all: console
endif

$(B)/%.o: %.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

$(B)/libappliance.a: $(OBJS)
	@rm -f $@
	@ar rcs $@ $^

$(B)/applianced: $(B)/appliance/applianced_main.o $(B)/libappliance.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/vsadm: $(B)/appliance/vsadm_main.o $(B)/libappliance.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CERTLIBS)

# First boot from a seed (the image's two oneshot units).
$(B)/appliance-seed: $(B)/appliance/apseed_main.o $(B)/libappliance.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/libapweb.a: $(WEBOBJS)
	@rm -f $@
	@ar rcs $@ $^

$(B)/apweb: $(B)/appliance/apweb_main.o $(B)/libapweb.a $(B)/libappliance.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(WEBLIBS)

# The unit tests of apweb's own code link its libraries too.
$(B)/tests/test_web $(B)/tests/test_webtls $(B)/tests/test_webupload: $(B)/tests/%: tests/unit/%.c $(B)/libapweb.a $(B)/libappliance.a
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(WEBLIBS) -lcmocka

# The validator's unit test makes its certificates with GnuTLS.
$(B)/tests/test_certcheck: tests/unit/test_certcheck.c $(B)/libappliance.a
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CERTLIBS) -lcmocka

$(B)/tests/%: tests/unit/%.c $(B)/libappliance.a
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

unit: $(UNITBIN)

$(B)/fuzz/%: $(B)/tests/fuzz/%.o $(B)/tests/fuzz/common.o $(B)/libappliance.a
	@mkdir -p $(dir $@)
	@echo "  FUZZLD  $@"
	@$(CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

# Keep the targets' objects (make would delete them as intermediate).
.SECONDARY: $(FUZZSRC:%.c=$(B)/%.o) $(B)/tests/fuzz/common.o

# The fuzz targets, built by clang into $(FB)/fuzz whatever FUZZ says.
ifeq ($(FUZZ),1)
fuzz-build: $(FUZZBIN)
else
fuzz-build:
	$(MAKE) FUZZ=1 fuzz-build
endif

# Each fuzz target for FUZZ_SECONDS (default 60), its corpus kept in $(FB)/corpus.
fuzz: fuzz-build
	tests/fuzz/run $(FB)/fuzz $(FUZZ_SECONDS)

deps:
	scripts/install-deps

# Unit tests and lab integration tests, sanitizer build; last line "N passed, N failed".
# The fuzz targets run briefly over their seed corpora (tests/fuzz/corpus) there too.
test:
	$(MAKE) SAN=1 all unit
	$(MAKE) fuzz-build
	FUZZ_DIR=$(FB)/fuzz tests/run-all build/san

lab: all
	images/lab/applab up --nodes 1 --demo

# The README's two commands: install what is missing, build, then run the lab
# with a demo virtual server (demo) or every test (check).
demo: deps
	$(MAKE) all
	images/lab/applab up --nodes 1 --demo

check: deps
	$(MAKE) test

# Benchmarks (timing targets live here, never in tests): bench/results.json.
bench: bench-netfail bench-failover

bench-netfail: all
	bench/netfail.sh 20

bench-failover: all
	bench/failover.sh 5
	bench/reclaim.sh 5

# Issue 8's scale figures: many VIPs on a pulled port (and with a hung LUN), a node
# with 30 VSs killed, one change at as many VSs as the model allows; then a table.
# Seeded random faults over a 3-node lab (tests/chaos/README.md):
#   make chaos [SEED=N] [FAULTS=N]
SEED ?= 1
FAULTS ?= 100
chaos: all
	APPLAB_BIN=$${APPLAB_BIN:-$(CURDIR)/$(B)} tests/chaos/chaos --seed $(SEED) --faults $(FAULTS)

# Issue 9: the client-visible gap of a planned migration, 10 runs.
bench-migrate: all
	APPLAB_BIN=$${APPLAB_BIN:-$(CURDIR)/$(B)} bench/migrate.sh 10

bench-scale: all
	APPLAB_BIN=$${APPLAB_BIN:-$(CURDIR)/$(B)} bench/netfail-many.sh 4 13
	APPLAB_BIN=$${APPLAB_BIN:-$(CURDIR)/$(B)} bench/massfail.sh 30
	APPLAB_BIN=$${APPLAB_BIN:-$(CURDIR)/$(B)} bench/scale.sh 1000 20 30
	python3 bench/results.py table bench/results.json

format:
	clang-format -i $(foreach d,$(LAYERS) tests/unit tests/fuzz,$(wildcard $(d)/*.[ch]))

clean:
	rm -rf build

.PHONY: all console unit fuzz fuzz-build deps test lab demo check bench bench-netfail bench-failover format clean
.PHONY: bench-scale bench-migrate chaos

# Issue 10: the balancer on a simulated 16-node, 1,000-VS cluster (no lab), against a
# count-based allocator (CTDB), Pacemaker's balanced placement and a naive greedy
# rebalancer; key "balance" of bench/results.json (tests/sim/README.md). Time it in an
# optimised build (make bench-balance B=build/opt), not SAN=1.
SIMSRC  := $(wildcard tests/sim/*.c)
$(B)/sim/balance_sim: $(SIMSRC) tests/sim/sim.h $(B)/libappliance.a
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(SIMSRC) $(B)/libappliance.a $(LDLIBS) -lm

bench-balance: $(B)/sim/balance_sim
	$(B)/sim/balance_sim --seed $(SEED) --json $(B)/sim/balance.json
	python3 tests/sim/results.py bench/results.json $(B)/sim/balance.json \
	    "$(CC) $(filter -O% -g -fsanitize=%,$(CFLAGS))"

.PHONY: bench-balance

# Issue 13 (first slice): the appliance's own Debian package, a bootable disk image
# built from Debian 12 packages plus that package, and a boot test of the image in
# qemu (not part of `make test`: see README.md, "Disk image").
deb:
	$(MAKE) SAN= FUZZ= all
	packaging/deb/build build build/deb

image: deb
	nice -n 10 images/appliance/build build/image

# The boot checks of images/appliance/test, then a VS serving NFS from the guest (test-nfs).
test-image:
	images/appliance/test-nfs build/image

# First boot from a seed disk (and a refused one), in qemu; key image_seed of bench/results.json.
test-image-seed:
	images/appliance/test-seed build/image

# First setup from the web console with no seed, in qemu (the guest reboots once); key image_setup.
test-image-setup:
	images/appliance/test-setup build/image

# Two virtual machines from the image, a shared LUN, a node killed: the takeover, fenced through
# a BMC simulator (images/appliance/bench-image); key image_cluster of bench/results.json.
bench-image:
	images/appliance/bench-image build/image

.PHONY: deb image test-image test-image-seed test-image-setup bench-image

# Issue 13 item 3, A/B updates: a second build of another version (the same tree, version
# VERSION+u2) into build/image-2, and the update test in qemu over five boots (README
# "Updates"; key image_update of bench/results.json). Not part of `make test`, as test-image.
image-2: deb
	APPLIANCE_VERSION=$$(dpkg-deb -f $$(ls build/deb/appliance_*.deb | tail -n1) Version)+u2 \
	    packaging/deb/build build build/deb-2
	nice -n 10 images/appliance/build build/image-2 $$(ls build/deb-2/appliance_*.deb | tail -n1)

test-image-update:
	images/appliance/test-update build/image build/image-2

.PHONY: image-2 test-image-update

# Issue 13 item 3: a rolling update of a two-node cluster of images in qemu, node after node
# (README "A rolling update"; key image_rolling of bench/results.json). As root; not in make test.
test-image-rolling: all
	images/appliance/test-rolling build/image build/image-2

.PHONY: test-image-rolling

# Issue 13 item 1: a hung applianced (SIGSTOP) restarted by its systemd watchdog while corosync,
# a unit of its own, runs on; in qemu (key image_watchdog of bench/results.json).
test-image-watchdog:
	images/appliance/test-watchdog build/image

.PHONY: test-image-watchdog
