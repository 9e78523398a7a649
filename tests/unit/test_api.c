/* The public API's conventions: NULL-safe frees, errors as -errno with a reason. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "volmgr.h"

static void test_free_null(void **state)
{
	(void)state;
	vm_ctx_free(NULL);
	vm_vg_free(NULL);
}

static void test_ctx_errors(void **state)
{
	vm_ctx *ctx;
	vm_vg *vg = NULL;
	char dir[] = "/tmp/volmgr-api.XXXXXX";
	(void)state;
	assert_non_null(mkdtemp(dir));
	setenv("VOLMGR_SYSTEM_DIR", dir, 1);
	setenv("VOLMGR_LOCK_DIR", dir, 1);
	setenv("VOLMGR_DEVICES", "/dev/null", 1);
	assert_int_equal(vm_ctx_new(&ctx), 0);
	assert_string_equal(vm_ctx_error(ctx), "");
	/* a bad name fails before any I/O, with a reason */
	assert_int_equal(vm_vg_open(ctx, "bad/name", VM_VG_READ, &vg), -EINVAL);
	assert_null(vg);
	assert_non_null(strstr(vm_ctx_error(ctx), "invalid volume group name"));
	/* a VG that does not exist (no PV among the devices) */
	assert_int_equal(vm_vg_open(ctx, "nosuch", VM_VG_READ, &vg), -ENOENT);
	assert_non_null(strstr(vm_ctx_error(ctx), "nosuch"));
	assert_int_equal(vm_ctx_set_devices(ctx, ","), -EINVAL);
	assert_string_equal(vm_ctx_system_dir(ctx), dir);
	vm_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_null),
		cmocka_unit_test(test_ctx_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
