# volmgr: top-level Makefile. `make`, `make check`, `make install`
# (PREFIX, DESTDIR), `make V=1` for full command lines, `make SANITIZE=1`
# for an ASan/UBSan build.

PREFIX    ?= /usr/local
SBINDIR   ?= $(PREFIX)/sbin
LIBDIR    ?= $(PREFIX)/lib
INCDIR    ?= $(PREFIX)/include
MANDIR    ?= $(PREFIX)/share/man
PCDIR     ?= $(LIBDIR)/pkgconfig
LVMLINKDIR ?= $(PREFIX)/libexec/volmgr/lvm
UDEVDIR   ?= /lib/udev/rules.d
DMSETUP   ?= /sbin/dmsetup
SYSTEMDDIR ?= $(PREFIX)/lib/systemd/system
VERSION   := 0.1.0
SOVER     := 1

CC        ?= gcc
CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
             -Wno-unused-parameter -Wvla
BASE      := -std=gnu17 -fPIC -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 \
             -Imetadata -Ilibvolmgr -DVOLMGR_VERSION='"$(VERSION)"'
ifeq ($(SANITIZE),1)
CFLAGS    += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS   += -fsanitize=address,undefined
endif
ALL_CFLAGS = $(BASE) $(WARN) $(CFLAGS) $(shell pkg-config --cflags blkid uuid devmapper 2>/dev/null)
# libblkid, libuuid and libdevmapper are not linked: loaded when first needed (dlopen)

ifeq ($(V),1)
Q :=
else
Q := @
endif

MD_SRC    := $(wildcard metadata/*.c)
LIB_SRC   := $(wildcard libvolmgr/*.c)
TOOL_SRC  := $(wildcard tools/*.c)
MD_OBJ    := $(MD_SRC:.c=.o)
LIB_OBJ   := $(LIB_SRC:.c=.o)
TOOL_OBJ  := $(TOOL_SRC:.c=.o)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:.c=)

SONAME    := libvolmgr.so.$(SOVER)
LIBSO     := libvolmgr/$(SONAME)

.PHONY: all clean check check-slow check-vm vm-shell check-sanitize check-header check-unit check-cli check-fuzz check-man deps demo install bench
all: $(LIBSO) libvolmgr/libvolmgr.so tools/volmgr libvolmgr/volmgr.pc

%.o: %.c $(wildcard metadata/*.h libvolmgr/*.h tools/*.h)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

libvolmgr/libvolmgr.a: $(MD_OBJ) $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBSO): $(MD_OBJ) $(LIB_OBJ) libvolmgr/libvolmgr.sym
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=libvolmgr/libvolmgr.sym \
		-Wl,-z,defs -o $@ $(MD_OBJ) $(LIB_OBJ) $(LDFLAGS)

libvolmgr/libvolmgr.so: $(LIBSO)
	$(Q)ln -sf $(SONAME) $@

# The tool carries its own copy of the library (lvm2's lvm does the same): no
# shared object to find and relocate at start-up, a good part of what a short
# command costs. libvolmgr.so.1 is for other programs.
tools/volmgr: $(TOOL_OBJ) libvolmgr/libvolmgr.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $(TOOL_OBJ) libvolmgr/libvolmgr.a $(LDFLAGS)

libvolmgr/volmgr.pc: libvolmgr/volmgr.pc.in Makefile
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|;s|@LIBDIR@|$(LIBDIR)|;s|@INCDIR@|$(INCDIR)|;s|@VERSION@|$(VERSION)|' $< > $@

tests/unit/test_%: tests/unit/test_%.c libvolmgr/libvolmgr.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes -o $@ $< libvolmgr/libvolmgr.a $(LDFLAGS) -lcmocka

# The public header stands alone: strict C99 and C++ too.
check-header: libvolmgr/volmgr.h
	$(Q)printf '#include "volmgr.h"\nint main(void) { vm_ctx_free(0); return 0; }\n' > tests/unit/header.c
	$(Q)$(CC) -std=c99 -pedantic -Wall -Wextra -Werror -Ilibvolmgr -c tests/unit/header.c -o /dev/null
	$(Q)g++ -x c++ -Wall -Wextra -Werror -Ilibvolmgr -c tests/unit/header.c -o /dev/null
	$(Q)rm -f tests/unit/header.c

check-unit: $(UNIT_BIN) check-header
	$(Q)tests/unit/run $(UNIT_BIN)

check-cli: all
	$(Q)tests/cli/run

tests/fuzz/fuzz_metadata: tests/fuzz/fuzz_metadata.c $(MD_SRC) $(wildcard metadata/*.h)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)clang -std=gnu17 -g -O1 -Wall -Wextra -Werror -Imetadata -fsanitize=fuzzer,address,undefined -o $@ $< $(MD_SRC)

check-fuzz: tests/fuzz/fuzz_metadata
	$(Q)tests/fuzz/run $(FUZZ_SECONDS)

check-man: tools/volmgr
	$(Q)man/check
	$(Q)man/check --options

deps:
	$(Q)tests/deps

# Real device-mapper: in a VM with Debian's kernel when this kernel has none
# (tests/vm fetches and caches what it needs).
check-vm: all
	$(Q)if dmsetup version >/dev/null 2>&1; then \
		echo "check-vm: this kernel has device-mapper; the VM suite is for kernels without"; \
	else tests/vm/check; fi

# t_guest.sh alone, with its nested guest (a qemu boot inside the test VM, about
# 2 minutes; make check runs it among the others).
check-slow: all
	$(Q)VOLMGR_VM_APPEND=vm.nested=1 tests/vm/run --qemu --disks 2 --timeout 600 tests/vm/t_guest.sh

vm-shell: all
	$(Q)tests/vm/run --shell

# The unit and CLI suites again on an ASan + UBSan build of the committed
# tree, in a scratch clone so that this tree's build is left alone.
check-sanitize:
	$(Q)d=$$(mktemp -d) && git clone -q . "$$d/src" && \
	$(MAKE) --no-print-directory -C "$$d/src" -s SANITIZE=1 all && \
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$(MAKE) --no-print-directory -C "$$d/src" SANITIZE=1 check-unit check-cli; \
	r=$$?; rm -rf "$$d"; exit $$r

# `make check` installs what it needs first, as `make demo` does.
check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory check-unit check-cli check-fuzz check-man check-vm

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/demo.sh

bench: all
	$(Q)bench/run

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) $(DESTDIR)$(PCDIR) \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(LVMLINKDIR)
	install -m 0755 $(LIBSO) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libvolmgr.so
	install -m 0644 libvolmgr/volmgr.h $(DESTDIR)$(INCDIR)/volmgr.h
	install -m 0644 libvolmgr/volmgr.pc $(DESTDIR)$(PCDIR)/volmgr.pc
	install -m 0755 tools/volmgr $(DESTDIR)$(SBINDIR)/volmgr
	install -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	for c in $$(tools/volmgr --commands); do ln -sf $(SBINDIR)/volmgr $(DESTDIR)$(LVMLINKDIR)/$$c; done
	install -d $(DESTDIR)$(UDEVDIR)
	sed 's|@DMSETUP@|$(DMSETUP)|' udev/57-volmgr.rules > $(DESTDIR)$(UDEVDIR)/57-volmgr.rules
	chmod 0644 $(DESTDIR)$(UDEVDIR)/57-volmgr.rules
	install -d $(DESTDIR)$(SYSTEMDDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|' tools/volmgr-lvmonitor.service > $(DESTDIR)$(SYSTEMDDIR)/volmgr-lvmonitor.service
	chmod 0644 $(DESTDIR)$(SYSTEMDDIR)/volmgr-lvmonitor.service

clean:
	rm -f metadata/*.o libvolmgr/*.o tools/*.o libvolmgr/*.a libvolmgr/*.so* libvolmgr/volmgr.pc \
		tools/volmgr $(UNIT_BIN) tests/fuzz/fuzz_metadata
