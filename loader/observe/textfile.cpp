// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "observe/textfile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "core/fd.h"

namespace dupgre {

namespace {

[[noreturn]] void fail(const std::string &dir, int err)
{
	throw Error("cannot write the textfile in '" + dir + "': " + strerror(err));
}

}  // namespace

void write_textfile(const std::string &dir, const std::string &content)
{
	struct stat st {};
	if (stat(dir.c_str(), &st) < 0)
		fail(dir, errno);
	if (!S_ISDIR(st.st_mode))
		fail(dir, ENOTDIR);
	std::string tmpl = dir + "/." + textfile_name + ".XXXXXX";
	std::vector<char> path(tmpl.begin(), tmpl.end());
	path.push_back('\0');
	int raw = mkostemp(path.data(), O_CLOEXEC);
	if (raw < 0)
		fail(dir, errno);
	Fd fd(raw);
	std::string tmp(path.data());
	int err = 0;
	// The collector runs as another user: readable by all, as a file
	// written with the usual umask would be.
	if (fchmod(fd.get(), 0644) < 0)
		err = errno;
	for (size_t done = 0; !err && done < content.size();) {
		ssize_t n = write(fd.get(), content.data() + done, content.size() - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = errno;
		else
			done += static_cast<size_t>(n);
	}
	if (!err && fsync(fd.get()) < 0)
		err = errno;
	if (!err && close(fd.release()) < 0)
		err = errno;
	if (!err && rename(tmp.c_str(), (dir + "/" + textfile_name).c_str()) < 0)
		err = errno;
	if (err) {
		unlink(tmp.c_str());
		fail(dir, err);
	}
	// The rename itself survives a power cut only once the directory is synced.
	Fd dfd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (dfd.get() >= 0)
		fsync(dfd.get());
}

}  // namespace dupgre
