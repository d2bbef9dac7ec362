// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "core/bpf_util.h"

#include <cerrno>
#include <cstring>

#include "core/bpffs.h"
#include "core/error.h"

namespace dupgre {

Fd open_pinned(const std::string &path)
{
	int fd = bpf_obj_get(path.c_str());
	if (fd < 0)
		throw Error("opening " + display_path(path) + ": " + strerror_text(fd));
	return Fd(fd);
}

__u32 prog_id(int prog_fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	check(bpf_obj_get_info_by_fd(prog_fd, &info, &len), "reading program info");
	return info.id;
}

Rollback::~Rollback()
{
	for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
		try {
			(*it)();
		} catch (...) {
			// Best effort: the original error is the one to report.
		}
	}
}

}  // namespace dupgre
