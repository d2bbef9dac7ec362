# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
# docs/setup.md's configuration blocks, read out of the page by the tests
# that apply them (tests/netns/test-setup-page.sh on this host,
# vmtests/guest/setup_page.sh in the vmtests guest), so the page cannot
# drift from what works. Source this file.
SETUP_PAGE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/docs/setup.md

# page_block SECTION MARKER: the first fenced block after the first line
# matching MARKER (an ERE) in the section whose heading is SECTION. Fails
# when there is none, so a renamed heading or marker is a test failure.
page_block() {
	awk -v sec="$1" -v re="$2" '
		/^```/ { fence = !fence }
		!fence && $0 == sec { in_sec = 1; next }
		!fence && in_sec && /^#+ / { exit }
		in_sec && !seen && !fence && $0 ~ re { seen = 1; next }
		seen && /^```/ { if (inside) { done = 1; exit } inside = 1; next }
		inside { print }
		END { exit !done }' "$SETUP_PAGE" || {
		echo "page_block: no block after /$2/ in \"$1\" of $SETUP_PAGE" >&2
		return 1
	}
}
