# Appliance layer build. `make` builds the daemons and tools into build/;
# `make test` builds with ASan/UBSan and runs every unit and integration test;
# `make lab` starts the lab cluster. See README.md.
CC      ?= cc
PKGS    := libsystemd sqlite3 blkid jansson libmnl libcpg libquorum libcmap
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wno-format-truncation \
           -I. $(shell pkg-config --cflags $(PKGS))
LDLIBS  += $(shell pkg-config --libs $(PKGS)) -lreadline
SAN     ?=
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
B       := build/san
else
B       := build
endif

LAYERS  := lib netfail fsexport vserver appliance
# Objects of every layer except the programs' main files.
MAINS   := appliance/applianced_main.c appliance/vsadm_main.c
SRCS    := $(filter-out $(MAINS),$(foreach d,$(LAYERS),$(wildcard $(d)/*.c)))
OBJS    := $(SRCS:%.c=$(B)/%.o)
UNIT    := $(wildcard tests/unit/test_*.c)
UNITBIN := $(UNIT:tests/unit/%.c=$(B)/tests/%)

all: $(B)/applianced $(B)/vsadm

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
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libappliance.a
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

unit: $(UNITBIN)

deps:
	scripts/install-deps

# Unit tests and lab integration tests, sanitizer build; last line "N passed, N failed".
test:
	$(MAKE) SAN=1 all unit
	tests/run-all build/san

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

format:
	clang-format -i $(foreach d,$(LAYERS) tests/unit,$(wildcard $(d)/*.[ch]))

clean:
	rm -rf build

.PHONY: all unit deps test lab demo check bench bench-netfail bench-failover format clean
