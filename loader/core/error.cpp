// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/error.h"

#include <bpf/libbpf.h>

#include <cstdlib>

namespace dupgre {

std::string strerror_text(int err)
{
	char buf[128];

	libbpf_strerror(err < 0 ? err : -err, buf, sizeof(buf));
	return buf;
}

int check(int err, const std::string &what)
{
	if (err < 0)
		throw Error(what + ": " + strerror_text(err));
	return err;
}

}  // namespace dupgre
