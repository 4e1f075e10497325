#!/usr/bin/env bash
# Installs the build into a scratch prefix, then checks what a user gets:
#  - every public header compiles on its own after the common libc headers
#    (so our linux/*.h coexist with the system's /usr/include/linux);
#  - a program builds with `pkg-config --cflags --libs dmakit` and runs
#    against the shared library;
#  - bin/dmakit runs.
# Usage: check_install.sh BUILD_DIR
set -euo pipefail
build=$1
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cc=${CC:-cc}

cmake --install "$build" --prefix "$prefix" >/dev/null
inc=$prefix/include
fail=0
n=0
while IFS= read -r h; do
	rel=${h#"$inc/dmakit/"}
	for guard in "" "#define _GNU_SOURCE"; do
		src=$(mktemp --suffix=.c)
		cat > "$src" <<C
$guard
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <${rel}>
C
		if ! $cc -std=gnu11 -Wall -Wextra -Werror -fsyntax-only \
			-I"$inc" -I"$inc/dmakit" "$src" 2> "$src.err"; then
			echo "FAIL: <$rel> ${guard:+(with _GNU_SOURCE)}"
			cat "$src.err"
			fail=1
		fi
		rm -f "$src" "$src.err"
	done
	n=$((n + 1))
done < <(find "$inc/dmakit" -name '*.h' | sort)
echo "headers checked: $n"

export PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name dmakit.pc)")
src=$(mktemp --suffix=.c)
cat > "$src" <<'C'
#include <dmakit/machine.h>
#include <linux/slab.h>
#include <linux/io.h>
int main(void)
{
	struct dk_machine *m;
	void *p;

	if (dk_machine_create(NULL, &m))
		return 1;
	p = kmalloc(100, GFP_KERNEL);
	if (!p || virt_to_phys(p) == DK_PHYS_INVALID)
		return 2;
	kfree(p);
	return dk_machine_destroy(m) ? 3 : 0;
}
C
# shellcheck disable=SC2046
$cc -std=gnu11 -Wall -Werror "$src" -o "$prefix/prog" $(pkg-config --cflags --libs dmakit) \
	-Wl,-rpath,"$(pkg-config --variable=libdir dmakit)" || fail=1
rm -f "$src"
if [ $fail -eq 0 ]; then
	"$prefix/prog" || { echo "FAIL: pkg-config program exited $?"; fail=1; }
	"$prefix/bin/dmakit" --version >/dev/null || { echo "FAIL: bin/dmakit --version"; fail=1; }
fi
if [ $fail -eq 0 ]; then
	echo "install check: 1 passed, 0 failed"
else
	echo "install check: 0 passed, 1 failed"
fi
exit $fail
