# Test harness of the out-of-tree virtio-gpu DRM driver.
# Everything runs in cached Debian trixie roots (see README.md); the Kbuild
# file next to this Makefile is the module's own build description.
#
#   make run      boot a virgl guest with our driver and show a kmscube demo
#   make check    build checks + our tests + IGT on every config, vs. distro
# Switches: DRIVER=distro (the distro's in-tree module), CONFIGS="2d virgl",
#           KVER=<headers release>, VGPU_CACHE=<dir>, VGPU_TRACE=1,
#           VGPU_MODPARAMS="notify_delay_us=0" (our module's parameters)

KVER ?= 6.12.117+deb13-amd64
DRIVER ?= ours
export KVER DRIVER
ifdef CONFIGS
export CONFIGS
endif
ifdef VGPU_CACHE
export VGPU_CACHE
endif

VGPU := tests/vgpu.sh

.PHONY: help run check check-full expect intree kmi-check check-arm64 check-deb check-debug check-nested deb roots mesa module W1 sparse checkpatch kunit build-checks \
	c-tests guest clean clean-cache bench bench-mesa dkms-install dkms-uninstall

help:
	@sed -n '2,9p' Makefile | sed 's/^# \{0,1\}//'
	@echo "Other targets: check-full expect intree kmi-check check-arm64 check-deb check-debug check-nested deb roots mesa module W1 sparse checkpatch kunit build-checks c-tests bench bench-mesa"
	@echo "               dkms-install dkms-uninstall (on the machine that runs the driver)"
	@echo "               guest CONFIG=<2d|2d-dual|virgl|virgl-blob|venus> clean clean-cache"

run:
	$(VGPU) run

check:
	$(VGPU) check

# make check plus the IGT subtests it leaves out for time (tests/igt-full.list).
check-full:
	$(VGPU) check-full

expect:
	$(VGPU) expect

# In-tree builds (Debian's config, GKI-like x86_64 and arm64) with the
# Android KMI check; the KMI check alone; the arm64 guest (docs/android.md).
intree kmi-check check-arm64:
	$(VGPU) $@

# The Debian package virtio-gpu-ng-dkms (debian/), checked with lintian,
# into build/deb/.
deb:
	$(VGPU) deb

# The package and make dkms-install, installed, booted with both kernels
# and removed in a guest (tests/deb-check.sh).
check-deb:
	$(VGPU) check-deb

# The guests' tests on a debug kernel: KASAN, lockdep, kmemleak, debug
# objects (tests/debug-kernel.sh). DEBUG_CONFIGS="2d virgl" picks configs.
check-debug:
	$(VGPU) check-debug

# Zero-copy scanout on QEMU's 2D blob device, in a guest inside a guest
# (tests/guest/tests/nested.sh): this machine's kernel has no udmabuf.
check-nested:
	$(VGPU) check-nested

roots:
	$(VGPU) roots

mesa:
	$(VGPU) mesa

module W1 sparse checkpatch kunit:
	$(VGPU) build $@

build-checks:
	$(VGPU) build module checkpatch W1 sparse

c-tests:
	$(VGPU) build c

guest:
	$(VGPU) guest $(or $(CONFIG),2d) $(RUNLIST)

# Kbuild leaves its objects next to the sources (external modules cannot
# build elsewhere on 6.12), so clean them from there.
BUILD_LEFTOVERS := -type f \( -name '*.o' -o -name '*.ko' -o -name '*.mod' \
	-o -name '*.mod.c' -o -name '*.cmd' -o -name '.*.cmd' -o -name '*.a' \
	-o -name modules.order -o -name Module.symvers \)

clean:
	rm -rf build
	find drivers include $(BUILD_LEFTOVERS) -delete 2>/dev/null || true
	rm -f Module.symvers modules.order .*.cmd

clean-cache:
	tests/vgpu.sh clean-cache

# Ours vs the distro driver on the same QEMU, one table (tools/README.md).
bench:
	tools/bench/run.sh $(if $(QUICK),--quick)

bench-mesa:
	tools/bench/run.sh --mesa $(if $(QUICK),--quick)

# Install on the machine that should run the driver (not the test host):
# DKMS builds it for every installed kernel whose headers are there, and
# for each kernel installed later. The source goes without this tree's
# build leftovers, which were built for another kernel.
DKMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
DKMS_SRC := /usr/src/virtio-gpu-ng-$(DKMS_VERSION)

dkms-install:
	if dkms status -m virtio-gpu-ng -v $(DKMS_VERSION) | grep -q .; then \
		dkms remove virtio-gpu-ng/$(DKMS_VERSION) --all; fi
	rm -rf $(DKMS_SRC)
	mkdir -p $(DKMS_SRC)
	cp -r Kbuild dkms.conf drivers include $(DKMS_SRC)/
	find $(DKMS_SRC) $(BUILD_LEFTOVERS) -delete
	dkms add virtio-gpu-ng/$(DKMS_VERSION)
	for k in $$(ls /lib/modules); do \
		if [ -e /lib/modules/$$k/build/Makefile ]; then \
			dkms install virtio-gpu-ng/$(DKMS_VERSION) -k $$k || exit 1; \
		else \
			echo "$$k: no headers (linux-headers-$$k), not built"; \
		fi; \
	done

dkms-uninstall:
	dkms remove virtio-gpu-ng/$(DKMS_VERSION) --all
	rm -rf $(DKMS_SRC)
