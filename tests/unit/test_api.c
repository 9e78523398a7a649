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

/* dm names as lvm2 makes them, and back. */
static void test_dm_names(void **state)
{
	(void)state;
	char b[128], vg[64], lv[64], layer[64];
	assert_int_equal(vm_dm_name("vg", "lv", NULL, b, sizeof(b)), 0);
	assert_string_equal(b, "vg-lv");
	assert_int_equal(vm_dm_name("my-vg", "vm-100-disk-0", NULL, b, sizeof(b)), 0);
	assert_string_equal(b, "my--vg-vm--100--disk--0");
	assert_int_equal(vm_dm_name("v-g", "o", "real", b, sizeof(b)), 0);
	assert_string_equal(b, "v--g-o-real");
	assert_int_equal(vm_dm_name("vg", "lv", NULL, b, 5), -ENAMETOOLONG);
	assert_int_equal(vm_dm_name_split("my--vg-vm--100--disk--0", vg, sizeof(vg), lv, sizeof(lv), layer,
					  sizeof(layer)), 0);
	assert_string_equal(vg, "my-vg");
	assert_string_equal(lv, "vm-100-disk-0");
	assert_string_equal(layer, "");
	assert_int_equal(vm_dm_name_split("v--g-o-cow", vg, sizeof(vg), lv, sizeof(lv), layer, sizeof(layer)), 0);
	assert_string_equal(vg, "v-g");
	assert_string_equal(lv, "o");
	assert_string_equal(layer, "cow");
	/* not VG-LV: one part, an empty part, too many parts */
	assert_int_equal(vm_dm_name_split("vg", vg, sizeof(vg), lv, sizeof(lv), layer, sizeof(layer)), -EINVAL);
	assert_int_equal(vm_dm_name_split("-lv", vg, sizeof(vg), lv, sizeof(lv), layer, sizeof(layer)), -EINVAL);
	assert_int_equal(vm_dm_name_split("a-b-c-d", vg, sizeof(vg), lv, sizeof(lv), layer, sizeof(layer)),
			 -EINVAL);
	assert_int_equal(vm_dm_name_split("vg-lv", vg, 2, lv, sizeof(lv), layer, sizeof(layer)), -ENAMETOOLONG);
	/* round trip of names with dashes at the ends */
	assert_int_equal(vm_dm_name("-a-", "b--", NULL, b, sizeof(b)), 0);
	assert_int_equal(vm_dm_name_split(b, vg, sizeof(vg), lv, sizeof(lv), layer, sizeof(layer)), 0);
	assert_string_equal(vg, "-a-");
	assert_string_equal(lv, "b--");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_null),
		cmocka_unit_test(test_ctx_errors),
		cmocka_unit_test(test_dm_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
